"""Read an environment file's YAML within fixed bounds, keeping the line of every value.

The file is read with a size bound (never the whole stream) and parsed into events (by libyaml
when PyYAML has it); the events are composed here, so that nesting, the number of values with
aliases expanded, keys and tags are all bounded or checked before any other code sees the data.
A hostile file (an alias bomb, /dev/zero, a 50 MB file) is refused in milliseconds, with the line.

Merge keys (``<<: *defaults``) are supported as YAML 1.1 defines them: the mapping's own keys win
over merged ones, and earlier merged mappings win over later ones. Unquoted timestamps stay the
text they were written as (no field of an environment is a date), so ``2026-01-03T02:00:00Z``
reaches the model exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20
"""Largest environment file read; the shipped ones are a few kilobytes."""
MAX_VALUES = 100_000
"""Most values (scalars, lists, mappings; aliases expanded) in one file; 50 tenants need about 2,000."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings; an environment nests about 8 deep."""

Path_ = tuple[str | int, ...]

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
MERGE_TAG = _TAG + "merge"
_SCALAR_KINDS = {
    _TAG + "null": "null",
    _TAG + "bool": "true/false",
    _TAG + "int": "a number",
    _TAG + "float": "a number",
}
# Characters YAML allows in a stream (YAML 1.1, section 5.1); anything else is refused with its position.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class YamlProblem(Exception):
    """Why a file is not a usable YAML document, at a line (and column, when it is known)."""

    def __init__(self, message: str, line: int | None = 1, column: int | None = None) -> None:
        self.line = line
        self.column = column
        self.message = message
        where = f"line {line}" + (f", column {column}" if column is not None else "") + ": " if line else ""
        super().__init__(f"{where}{message}")


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types without timestamps: a date is written where a field wants text."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TAG + "timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_RESOLVER = _Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCT = {
    _TAG + "null": lambda text: None,
    _TAG + "bool": lambda text: yaml.constructor.SafeConstructor.bool_values[text.lower()],
    _TAG + "int": lambda text: _CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(_TAG + "int", text)),
    _TAG + "float": lambda text: _CONSTRUCTOR.construct_yaml_float(yaml.ScalarNode(_TAG + "float", text)),
}


@dataclass(eq=False)
class Node:
    """A composed value: a scalar (``value`` constructed), a list or a mapping of child nodes."""

    kind: str
    line: int
    column: int
    tag: str
    value: Any = None
    text: str = ""
    plain: bool = False
    children: list[Node | Alias] = field(default_factory=list)


@dataclass(eq=False)
class Alias:
    """A ``*name`` in the file: the anchored node, and where the alias itself is written."""

    node: Node
    name: str
    line: int


@dataclass
class Document:
    """The data of one file, the line of every path in it, and the scalars as written."""

    data: Any
    lines: dict[Path_, int]
    scalars: dict[Path_, Node]


def read_bytes(path: Path) -> bytes:
    """At most MAX_BYTES of ``path``, however large the file or endless the stream."""
    with path.open("rb") as stream:
        raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        limit = f"{MAX_BYTES >> 20} MiB"
        if path.is_file():
            raise YamlProblem(
                f"the file is {path.stat().st_size / (1 << 20):.1f} MiB; an environment file may be at most {limit}",
                None,
            )
        raise YamlProblem(f"the stream is longer than {limit}, the most an environment file may be", None)
    return raw


def decode(raw: bytes) -> str:
    """The file as text: UTF-8 (a byte order mark is allowed) with only the characters YAML allows."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise YamlProblem(
            f"byte 0x{raw[exc.start]:02x} is not UTF-8 text; save the file as UTF-8",
            raw.count(b"\n", 0, exc.start) + 1,
            column,
        ) from None
    text = text.removeprefix("\ufeff")
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, column = _position(text, bad.start())
        raise YamlProblem(
            f"the character U+{ord(bad.group()):04X} is not allowed in a YAML file; remove it", line, column
        )
    return text


def _position(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def parse(text: str) -> Document:
    """Compose and expand ``text``; raises YamlProblem for anything but one bounded, plain document."""
    root = _compose(text)
    expander = _Expander()
    data = expander.expand(root, ()) if root is not None else None
    return Document(data, expander.lines, expander.scalars)


def _compose(text: str) -> Node | None:
    """The document's node graph, built from parser events without recursion."""
    root: Node | None = None
    stack: list[Node] = []
    anchors: dict[str, Node] = {}
    documents = values = 0
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlProblem(
                        "a second YAML document starts here ('---'); an environment file holds one document",
                        event.start_mark.line + 1,
                    )
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            values += 1
            if values > MAX_VALUES:
                raise YamlProblem(
                    f"the file holds more than {MAX_VALUES:,} values; an environment has a few thousand at most",
                    event.start_mark.line + 1,
                )
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                done: Node | Alias = stack.pop()
            elif isinstance(event, yaml.AliasEvent):
                done = _alias(event, anchors, stack)
            elif isinstance(event, yaml.ScalarEvent):
                done = _scalar(event)
                if event.anchor is not None:
                    anchors[event.anchor] = done
            else:
                node = _collection(event)
                if len(stack) >= MAX_DEPTH:
                    raise YamlProblem(f"lists and mappings nest more than {MAX_DEPTH} deep", node.line, node.column)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                stack.append(node)
                continue
            if stack:
                stack[-1].children.append(done)
            else:
                root = done.node if isinstance(done, Alias) else done
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        raise YamlProblem(f"YAML cannot read this character: {exc.reason}", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML syntax error: {exc}") from None
    return root


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "not valid YAML"
    context = ""
    if exc.context and exc.context_mark is not None and exc.problem:
        context = f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
    if mark is None:
        return YamlProblem(f"YAML syntax error: {problem}{context}")
    return YamlProblem(f"YAML syntax error: {problem}{context}", mark.line + 1, mark.column + 1)


def _alias(event: yaml.AliasEvent, anchors: dict[str, Node], stack: list[Node]) -> Alias:
    line = event.start_mark.line + 1
    node = anchors.get(event.anchor)
    if node is None:
        raise YamlProblem(
            f"the alias *{event.anchor} names no anchor; define &{event.anchor} on a value above it", line
        )
    if any(open_node is node for open_node in stack):
        raise YamlProblem(f"the alias *{event.anchor} is inside the value anchored &{event.anchor} itself", line)
    return Alias(node, event.anchor, line)


def _scalar(event: yaml.ScalarEvent) -> Node:
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    tag = event.tag
    if tag is None or tag == "!":
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
    node = Node("scalar", line, column, tag, text=event.value, plain=not event.style)
    if tag == MERGE_TAG:
        return node
    if tag == _TAG + "str":
        node.value = event.value
        return node
    if tag not in _SCALAR_KINDS:
        raise _tag_problem(tag, line, column)
    try:
        node.value = _CONSTRUCT[tag](event.value)
    except (KeyError, ValueError, IndexError):
        raise YamlProblem(f"{brief(event.value)!r} cannot be read as {_SCALAR_KINDS[tag]}", line, column) from None
    return node


def _collection(event: yaml.CollectionStartEvent) -> Node:
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    kind = "list" if isinstance(event, yaml.SequenceStartEvent) else "mapping"
    plain_tag = _TAG + ("seq" if kind == "list" else "map")
    if event.tag not in (None, "!", plain_tag):
        raise _tag_problem(event.tag, line, column)
    return Node(kind, line, column, plain_tag)


def _tag_problem(tag: str, line: int, column: int) -> YamlProblem:
    shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    return YamlProblem(
        f"the tag {shown} is not allowed; an environment file holds only text, numbers, true/false, null, "
        "lists and mappings",
        line,
        column,
    )


class _Expander:
    """Turns the node graph into plain data, expanding aliases and merge keys within MAX_VALUES."""

    def __init__(self) -> None:
        self.lines: dict[Path_, int] = {}
        self.scalars: dict[Path_, Node] = {}
        self.budget = MAX_VALUES
        self.alias: Alias | None = None

    def expand(self, item: Node | Alias, path: Path_) -> Any:
        node = self._enter(item)
        if len(path) > MAX_DEPTH:
            raise YamlProblem(f"lists and mappings nest more than {MAX_DEPTH} deep (aliases included)", node.line)
        outer = self.alias
        if isinstance(item, Alias) and outer is None:
            self.alias = item
        try:
            self.lines.setdefault(path, node.line)
            if node.kind == "scalar":
                if node.tag == MERGE_TAG:
                    raise YamlProblem(f"{dotted(path)}: '<<' merges a mapping only as a key: '<<: *name'", node.line)
                self.scalars[path] = node
                return node.value
            if node.kind == "list":
                return [self.expand(child, (*path, index)) for index, child in enumerate(node.children)]
            result = {}
            for key, key_node, value in self._entries(node, path):
                child = (*path, key)
                self.lines[child] = key_node.line
                result[key] = self.expand(value, child)
            return result
        finally:
            self.alias = outer

    def _enter(self, item: Node | Alias) -> Node:
        self.budget -= 1
        if self.budget < 0:
            if self.alias is not None or isinstance(item, Alias):
                alias = self.alias or item
                assert isinstance(alias, Alias)
                raise YamlProblem(
                    f"the alias *{alias.name} expands to more than {MAX_VALUES:,} values (aliases nested in "
                    "aliases multiply); an environment has a few thousand at most: share smaller blocks",
                    alias.line,
                )
            node = item.node if isinstance(item, Alias) else item
            raise YamlProblem(f"the file holds more than {MAX_VALUES:,} values", node.line)
        return item.node if isinstance(item, Alias) else item

    def _entries(self, node: Node, path: Path_, depth: int = 0) -> list[tuple[str, Node, Node | Alias]]:
        """The mapping's keys and values after merges: its own keys first, then merged ones not given."""
        if depth > MAX_DEPTH:
            raise YamlProblem(f"{dotted(path)}: merges ('<<') nest more than {MAX_DEPTH} deep", node.line)
        own: dict[str, tuple[Node, Node | Alias]] = {}
        merged: list[Node] = []
        merge_line = 0
        pairs = node.children
        for index in range(0, len(pairs) - 1, 2):
            key_node = self._enter(pairs[index])
            value = pairs[index + 1]
            if key_node.kind != "scalar":
                raise YamlProblem(
                    f"{dotted(path)}: a key must be a name, not a {key_node.kind} (YAML's '? ' complex keys "
                    "are not allowed)",
                    key_node.line,
                    key_node.column,
                )
            if key_node.tag == MERGE_TAG:
                if merge_line:
                    raise YamlProblem(
                        f"{dotted(path)}: '<<' is repeated (first at line {merge_line}); merge several mappings "
                        "with one key: '<<: [*first, *second]'",
                        key_node.line,
                    )
                merge_line = key_node.line
                merged = self._merge_sources(value, path, key_node.line)
                continue
            key = _key_text(key_node, path)
            if key in own:
                raise YamlProblem(
                    f"{dotted(path)}: key {key!r} is repeated (first at line {own[key][0].line})",
                    key_node.line,
                    key_node.column,
                )
            own[key] = (key_node, value)
        entries = dict(own)
        for source in merged:
            for key, key_node, value in self._entries(source, path, depth + 1):
                entries.setdefault(key, (key_node, value))
        return [(key, key_node, value) for key, (key_node, value) in entries.items()]

    def _merge_sources(self, value: Node | Alias, path: Path_, line: int) -> list[Node]:
        node = self._enter(value)
        sources = [node] if node.kind == "mapping" else [self._enter(item) for item in node.children]
        if node.kind == "scalar" or any(source.kind != "mapping" for source in sources):
            raise YamlProblem(
                f"{dotted(path)}: '<<' takes a mapping, usually an alias of one ('<<: *defaults'), or a list of "
                "them ('<<: [*a, *b]')",
                line,
            )
        return sources


def _key_text(key_node: Node, path: Path_) -> str:
    if isinstance(key_node.value, str):
        return key_node.value
    kind = _SCALAR_KINDS.get(key_node.tag, "not text")
    text = brief(key_node.text)
    raise YamlProblem(
        f"{dotted(path)}: the key {text or 'that is empty'} is read as {kind}; keys are names: quote it "
        f"('\"{text}\"') if it is meant as one",
        key_node.line,
        key_node.column,
    )


def brief(text: str) -> str:
    """``text`` cut to 40 characters, for messages."""
    return text if len(text) <= 40 else text[:37] + "..."


def dotted(path: Path_) -> str:
    """A path as a user writes it: tenants[0].worker_groups[1].name."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"
