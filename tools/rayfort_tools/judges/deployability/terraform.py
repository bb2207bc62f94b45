"""Synthesized stacks read as Terraform reads them: references, dependencies, stack order, plan-time values.

Everything is judged for the *first* apply, when no stack's resources exist yet
and the stacks are applied in the order ``manifest.json`` gives: a stack's
dependencies (and theirs) are applied before it, so their outputs, read through
``terraform_remote_state``, are known when it is planned; its own resources are
not.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "<unknown>"})()
"""A value Terraform only learns at apply time, or one this reader cannot evaluate."""

# A traversal: a root name followed by attribute steps and index steps. A name
# right after ")" or "]" or "." is an attribute of something else, not a root.
_TRAVERSAL = re.compile(r"(?<![\w\-.)\]\"])([A-Za-z_]\w*)((?:\.[A-Za-z_][\w-]*|\[\s*(?:\d+|\"[^\"]*\"|\*)\s*\])+)")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\s*(?:(\d+)|\"([^\"]*)\"|\*)\s*\]")
_FOR_MAP = re.compile(
    r"^\{\s*for\s+[\w\s,]+\s+in\s+(?P<source>.+?)\s*:\s*(?P<key>.+?)\s*=>\s*(?P<value>.+?)\s*}$", re.S
)
_SPECIAL_ROOTS = {"var", "local", "module", "each", "count", "path", "terraform", "self"}
_ALWAYS_KNOWN = {"var", "count", "path", "terraform"}


@dataclass(frozen=True)
class Ref:
    """One reference: the block (``type.name``, ``data.type.name``, ``local.x``, ``each.value``) and the path."""

    address: str
    path: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ".".join((self.address, *self.path))

    @property
    def type(self) -> str:
        """The resource or data source type; the root word (``local``, ``var``) for the others."""
        parts = self.address.split(".")
        return parts[1] if parts[0] == "data" else parts[0]


def interpolations(text: str) -> Iterator[str]:
    """The expression inside each top-level ``${...}`` of a string (``$${`` is a literal)."""
    start = text.find("${")
    while start != -1:
        if start > 0 and text[start - 1] == "$":
            start = text.find("${", start + 2)
            continue
        depth, index = 0, start + 1
        while index < len(text):
            if text[index] == "{":
                depth += 1
            elif text[index] == "}":
                depth -= 1
                if depth == 0:
                    break
            index += 1
        yield text[start + 2 : index]
        start = text.find("${", index + 1)


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and any(True for _ in interpolations(value))


def _steps(text: str) -> tuple[str, ...]:
    """Attribute and key steps of a traversal, without list indexes."""
    return tuple(name or key for name, _index, key in _STEP.findall(text) if name or key)


def parse_refs(expression: str) -> Iterator[Ref]:
    """Every traversal in one expression, as a Ref (roots are not checked against a stack here)."""
    for root, rest in _TRAVERSAL.findall(expression):
        steps = _steps(rest)
        if root == "data":
            if len(steps) >= 2:
                yield Ref(f"data.{steps[0]}.{steps[1]}", steps[2:])
        elif steps:
            yield Ref(f"{root}.{steps[0]}", steps[1:])


def walk_strings(value: Any, skip: frozenset[str] = frozenset({"//", "depends_on", "lifecycle"})) -> Iterator[str]:
    """Every string in a JSON value, leaving out metadata, explicit dependencies and lifecycle settings."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from walk_strings(item, skip)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item, skip)


def step_into(value: Any, path: Iterable[str]) -> Any:
    """The configured value at ``path`` (a nested block may be written as an object or a list of objects)."""
    for step in path:
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict) or step not in value:
            return UNKNOWN
        value = value[step]
    return value


class Stack:
    """One synthesized stack: its blocks, the references between them, and what is known when it is planned."""

    def __init__(self, name: str, tf_json: dict, deployment: Deployment) -> None:
        self.name = name
        self.tf = tf_json
        self.deployment = deployment
        self.blocks: dict[str, dict] = {}
        for resource_type, blocks in tf_json.get("resource", {}).items():
            for block_name, body in blocks.items():
                self.blocks[f"{resource_type}.{block_name}"] = body
        for data_type, blocks in tf_json.get("data", {}).items():
            for block_name, body in blocks.items():
                self.blocks[f"data.{data_type}.{block_name}"] = body
        self.locals: dict = tf_json.get("locals", {})
        self.outputs: dict = tf_json.get("output", {})

    def __repr__(self) -> str:
        return f"Stack({self.name})"

    # --- blocks --------------------------------------------------------------

    def resources(self, *types: str) -> Iterator[tuple[str, dict]]:
        """(address, body) of the managed resources of these types (every type when none is given)."""
        for address, body in self.blocks.items():
            if not address.startswith("data.") and (not types or address.split(".")[0] in types):
                yield address, body

    def data_sources(self, *types: str) -> Iterator[tuple[str, dict]]:
        for address, body in self.blocks.items():
            if address.startswith("data.") and (not types or address.split(".")[1] in types):
                yield address, body

    @staticmethod
    def is_managed(address: str) -> bool:
        return not address.startswith(("data.", "local.", "var.", "module.", "each.", "count."))

    def providers(self) -> Iterator[tuple[str, dict]]:
        """(``provider.type[index]``, configuration) of every provider block."""
        for provider_type, configs in self.tf.get("provider", {}).items():
            for index, config in enumerate(configs if isinstance(configs, list) else [configs]):
                yield f"provider.{provider_type}[{index}]", config

    # --- references ----------------------------------------------------------

    def refs(self, value: Any) -> list[Ref]:
        """The references in a value that name something of this stack (blocks, locals, variables, each)."""
        found = []
        for text in walk_strings(value):
            for expression in interpolations(text):
                for ref in parse_refs(expression):
                    root = ref.address.split(".")[0]
                    if ref.address in self.blocks or root in _SPECIAL_ROOTS:
                        found.append(ref)
        return found

    @functools.cache  # noqa: B019 - a Stack lives as long as its Deployment, for one judgement
    def direct_dependencies(self, address: str) -> frozenset[str]:
        """Blocks ``address`` waits for: what it references (through locals) and its ``depends_on``."""
        body = self.blocks.get(address, {})
        found: set[str] = set()
        for ref in self.refs(body):
            found |= self._blocks_behind(ref)
        for dependency in body.get("depends_on", []) if isinstance(body, dict) else []:
            found |= self._blocks_behind(Ref(dependency))
        found.discard(address)
        return frozenset(found)

    def _blocks_behind(self, ref: Ref, seen: frozenset[str] = frozenset()) -> set[str]:
        if ref.address in self.blocks:
            return {ref.address}
        if ref.address.startswith("local.") and ref.address not in seen:
            name = ref.address.split(".", 1)[1]
            found: set[str] = set()
            for inner in self.refs(self.locals.get(name)):
                found |= self._blocks_behind(inner, seen | {ref.address})
            return found
        return set()

    def depends_on(self, address: str, target: str) -> bool:
        """Whether ``address`` waits, directly or transitively, for ``target`` in this stack."""
        return target in self.dependencies(address)

    @functools.cache  # noqa: B019
    def dependencies(self, address: str) -> frozenset[str]:
        """Every block ``address`` waits for, transitively."""
        seen: set[str] = set()
        pending = list(self.direct_dependencies(address))
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(self.direct_dependencies(current))
        return frozenset(seen)

    # --- where a reference leads -----------------------------------------------

    def origins(self, ref: Ref) -> list[tuple[Stack, Ref]]:
        """The blocks a reference ultimately reads, following locals, outputs and remote state to other stacks."""
        return self._origins(ref, frozenset())

    def _origins(self, ref: Ref, seen: frozenset) -> list[tuple[Stack, Ref]]:
        key = (self.name, ref)
        if key in seen:
            return []
        seen = seen | {key}
        if ref.address.startswith("local."):
            return self._origins_of_value(self.locals.get(ref.address.split(".", 1)[1]), ref.path, seen)
        if ref.type == "terraform_remote_state" and ref.address.startswith("data.") and ref.path[:1] == ("outputs",):
            producer = self.deployment.remote_stack(self, ref.address)
            if producer is None or len(ref.path) < 2 or ref.path[1] not in producer.outputs:
                return [(self, ref)]
            return producer._origins_of_value(producer.outputs[ref.path[1]].get("value"), ref.path[2:], seen)
        return [(self, ref)]

    def _origins_of_value(self, value: Any, rest: tuple[str, ...], seen: frozenset) -> list[tuple[Stack, Ref]]:
        refs = self.refs(value)
        single = isinstance(value, str) and _is_single(value)
        found = []
        for ref in refs:
            extended = Ref(ref.address, ref.path + rest) if single else ref
            found.extend(self._origins(extended, seen))
        return found

    # --- literal values --------------------------------------------------------

    def literal(self, value: Any, owner: str | None = None) -> Any:
        """The value as Terraform would compute it from configuration alone; UNKNOWN when it cannot be."""
        return self._literal(value, owner, frozenset())

    def _literal(self, value: Any, owner: str | None, seen: frozenset) -> Any:
        if isinstance(value, dict):
            return {key: self._literal(item, owner, seen) for key, item in value.items() if key != "//"}
        if isinstance(value, list):
            return [self._literal(item, owner, seen) for item in value]
        if not isinstance(value, str) or "${" not in value:
            return value
        pieces = _template_pieces(value)
        if pieces is None:
            return UNKNOWN
        resolved = []
        for literal_text, expression in pieces:
            if expression is None:
                resolved.append(literal_text)
                continue
            refs = list(parse_refs(expression))
            if len(refs) != 1 or str(refs[0]) != _strip_indexes(expression):
                return UNKNOWN
            result = self._resolve(refs[0], owner, seen)
            if result is UNKNOWN:
                return UNKNOWN
            if len(pieces) == 1:
                return result
            if isinstance(result, dict | list):
                return UNKNOWN
            resolved.append(str(result).lower() if isinstance(result, bool) else str(result))
        return "".join(resolved)

    def _resolve(self, ref: Ref, owner: str | None, seen: frozenset) -> Any:
        key = (self.name, ref)
        if key in seen:
            return UNKNOWN
        seen = seen | {key}
        if ref.address.startswith("local."):
            name = ref.address.split(".", 1)[1]
            if name not in self.locals:
                return UNKNOWN
            return _walk_literal(self._literal(self.locals[name], owner, seen), ref.path)
        if ref.address.startswith("each.") and owner is not None:
            return self._each(ref, owner, seen)
        if ref.address.startswith("data.") and ref.type == "terraform_remote_state" and ref.path[:1] == ("outputs",):
            producer = self.deployment.remote_stack(self, ref.address)
            if producer is None or len(ref.path) < 2 or ref.path[1] not in producer.outputs:
                return UNKNOWN
            output = producer._literal(producer.outputs[ref.path[1]].get("value"), None, seen)
            return _walk_literal(output, ref.path[2:])
        if ref.address in self.blocks and not ref.address.startswith("data."):
            configured = step_into(self.blocks[ref.address], ref.path)
            return UNKNOWN if configured is UNKNOWN else self._literal(configured, ref.address, seen)
        return UNKNOWN

    def _each(self, ref: Ref, owner: str, seen: frozenset) -> Any:
        for_each = self._literal(self.blocks.get(owner, {}).get("for_each"), None, seen)
        if not isinstance(for_each, dict) or len(for_each) != 1:
            return UNKNOWN  # more than one instance: no single value
        key, value = next(iter(for_each.items()))
        return key if ref.address == "each.key" else _walk_literal(value, ref.path)

    # --- known at plan time ----------------------------------------------------

    def unknown_refs(self, value: Any, owner: str | None = None) -> list[Ref]:
        """The references in ``value`` whose values are unknown when this stack is first planned."""
        return [ref for ref in self.refs(value) if not self.known(ref, owner)]

    def known(self, ref: Ref, owner: str | None = None) -> bool:
        return self._known(ref, owner, frozenset())

    def _known(self, ref: Ref, owner: str | None, seen: frozenset) -> bool:
        key = (ref, owner)
        if key in seen:
            return False
        seen = seen | {key}
        root = ref.address.split(".")[0]
        if root in _ALWAYS_KNOWN:
            return True
        if root == "local":
            value = step_into(self.locals.get(ref.address.split(".", 1)[1], UNKNOWN), ref.path)
            return value is not UNKNOWN and self._value_known(value, owner, seen)
        if root == "each":
            body = self.blocks.get(owner or "", {})
            return "for_each" in body and self._value_known(body["for_each"], None, seen)
        if root == "data":
            return not self.read_deferred(ref.address, seen)
        if ref.address in self.blocks:
            configured = step_into(self.blocks[ref.address], ref.path) if ref.path else UNKNOWN
            return configured is not UNKNOWN and self._value_known(configured, ref.address, seen)
        return False  # modules, self, or a name this stack does not define

    def _value_known(self, value: Any, owner: str | None, seen: frozenset) -> bool:
        return all(self._known(ref, owner, seen) for ref in self.refs(value))

    def read_deferred(self, address: str, seen: frozenset = frozenset()) -> bool:
        """Whether a data source is read only at apply time (so every attribute of it is unknown at plan).

        Terraform defers the read when its configuration holds an unknown value
        or it depends on a managed resource with changes (on a first apply, any
        resource of the stack). A remote state is read at plan time; its outputs
        are known when the producing stack is deployed before this one.
        """
        body = self.blocks.get(address)
        if body is None:
            return True
        if address.split(".")[1] == "terraform_remote_state":
            producer = self.deployment.remote_stack(self, address)
            return producer is None or not self.deployment.before(producer.name, self.name)
        if any(self.is_managed(d) for d in self.dependencies(address)):
            return True
        return not self._value_known(body, address, seen)

    def for_each_keys_known(self, address: str) -> tuple[bool, list[Ref]]:
        """Whether the instance keys of a block are known at plan time; the unknown references if not."""
        for_each = self.blocks.get(address, {}).get("for_each")
        if for_each is None:
            return True, []
        if isinstance(for_each, dict):
            return True, []  # literal keys; values may be unknown
        if isinstance(for_each, list):
            unknown = self.unknown_refs(for_each, address)
            return not unknown, unknown
        expressions = list(interpolations(for_each)) if isinstance(for_each, str) else []
        if len(expressions) == 1 and (match := _FOR_MAP.match(expressions[0].strip())):
            keys = f"${{{match['source']}}} ${{{match['key']}}}"
            unknown = self.unknown_refs(keys, address)
            return not unknown, unknown
        unknown = self.unknown_refs(for_each, address)
        return not unknown, unknown


def _is_single(value: str) -> bool:
    """Whether a string is exactly one ``${...}`` holding a plain traversal."""
    expressions = list(interpolations(value))
    if len(expressions) != 1 or not value.startswith("${") or not value.endswith("}"):
        return False
    refs = list(parse_refs(expressions[0]))
    return len(refs) == 1 and str(refs[0]) == _strip_indexes(expressions[0])


def _strip_indexes(expression: str) -> str:
    text = expression.strip()
    text = re.sub(r"\[\s*(\d+|\*)\s*\]", "", text)
    return re.sub(r"\[\s*\"([^\"]*)\"\s*\]", r".\1", text)


def _template_pieces(value: str) -> list[tuple[str, str | None]] | None:
    """A string template as (literal text, None) and ("", expression) pieces."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for expression in interpolations(value):
        start = value.index("${" + expression, position)
        if start > position:
            pieces.append((value[position:start].replace("$${", "${"), None))
        pieces.append(("", expression))
        position = start + len(expression) + 3
    if position < len(value):
        pieces.append((value[position:].replace("$${", "${"), None))
    return pieces


def _walk_literal(value: Any, path: Iterable[str]) -> Any:
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, dict) or step not in value:
            return UNKNOWN
        value = value[step]
    return value


def _backend_identity(kind: str, config: dict) -> tuple | None:
    """Where a state lives, comparable between a stack's backend and another stack's remote state."""
    if kind == "local":
        return ("local", posixpath.normpath(str(config.get("path", "terraform.tfstate"))))
    if kind in {"remote", "cloud"}:
        workspaces = config.get("workspaces", {})
        return (
            "remote",
            config.get("hostname", "app.terraform.io"),
            config.get("organization"),
            workspaces.get("name"),
        )
    if kind == "gcs":
        return ("gcs", config.get("bucket"), config.get("prefix", ""))
    if kind == "s3":
        return ("s3", config.get("bucket"), config.get("key"))
    return (kind, json.dumps(config, sort_keys=True))


class Deployment:
    """Every stack of one synthesized app and the order the manifest gives them."""

    def __init__(self, stacks: dict[str, dict], dependencies: dict[str, list[str]], name: str = "") -> None:
        self.name = name
        self.stacks = {stack: Stack(stack, tf, self) for stack, tf in stacks.items()}
        self.dependencies = {stack: list(dependencies.get(stack, [])) for stack in stacks}
        self._states: dict[tuple, str] = {}
        for stack_name, stack in self.stacks.items():
            terraform = stack.tf.get("terraform", {})
            if "cloud" in terraform:
                identity = _backend_identity("cloud", terraform["cloud"])
            else:
                backend = terraform.get("backend", {"local": {}})
                kind, config = next(iter(backend.items()))
                identity = _backend_identity(kind, config)
            self._states[identity] = stack_name

    @classmethod
    def from_outdir(cls, outdir: Path, name: str = "", stacks: dict[str, dict] | None = None) -> Deployment:
        """The app in a cdktf output directory (``stacks``, when given, stand for the files: already read)."""
        manifest = json.loads((outdir / "manifest.json").read_text())
        if stacks is None:
            stacks = {
                stack: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
                for stack, entry in sorted(manifest["stacks"].items())
            }
        dependencies = {stack: entry.get("dependencies", []) for stack, entry in manifest["stacks"].items()}
        return cls(stacks, dependencies, name)

    def stack(self, name: str) -> Stack:
        return self.stacks[name]

    @functools.cache  # noqa: B019
    def earlier(self, stack: str) -> frozenset[str]:
        """The stacks deployed before ``stack``: its dependencies, transitively."""
        seen: set[str] = set()
        pending = list(self.dependencies.get(stack, []))
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(self.dependencies.get(current, []))
        return frozenset(seen)

    def before(self, first: str, second: str) -> bool:
        """Whether stack ``first`` is always applied before stack ``second``."""
        return first in self.earlier(second)

    def remote_stack(self, reader: Stack, address: str) -> Stack | None:
        """The stack whose state a ``terraform_remote_state`` data source reads: by backend, else by outputs."""
        body = reader.blocks.get(address, {})
        config = dict(body.get("config", {}))
        kind = body.get("backend", "local")
        if kind == "local" and "path" in config:
            config["path"] = posixpath.normpath(config["path"])
        producer = self._states.get(_backend_identity(kind, config))
        if producer is not None:
            return self.stacks[producer]
        used = {ref.path[1] for ref in reader.refs(reader.tf) if ref.address == address and len(ref.path) > 1}
        matches = [stack for stack in self.stacks.values() if used and used <= set(stack.outputs)]
        return matches[0] if len(matches) == 1 else None
