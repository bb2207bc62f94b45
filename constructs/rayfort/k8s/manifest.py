"""Every in-cluster object rayfort emits goes through KubernetesObject.

Builders return plain dicts, so the same object is unit-tested, schema-checked
and Pod-Security-checked without a synth, and the judges read it back from the
Terraform JSON unchanged.

A tenant applies about forty objects. As two constructs and two overrides each,
they were three fifths of what a tenant costs a synth (bench/floor.py), which is
paid in round trips to the jsii runtime. So each stack holds its objects in one
element (``KubernetesObjects``) that writes their ``kubernetes_manifest`` blocks
itself: an object costs no round trip of its own (its block is held as JSON, and a
stack's blocks cross to the runtime together), and its address, path and block are
exactly those of the element it used to be (``unique_id`` computes the logical id
the framework would). An object that something refers to (``name``, ``manifest``)
becomes that element, so the framework sees the reference, also across stacks.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rayfort._cdk import (
    Construct,
    Fn,
    IResolvable,
    IResolveContext,
    TerraformDataSource,
    TerraformElement,
    TerraformResource,
    TerraformStack,
    Token,
    as_any_json,
    implements,
    json_data,
)
from rayfort._providers import kubernetes

FIELD_MANAGER = {"name": "rayfort", "force_conflicts": False}
"""Server-side apply as ``rayfort``, never taking over fields another manager owns."""
ELEMENT_ID = "object"
"""The id each object's own element has (or had) under the object's construct id: part of its address."""
HOLDER_ID = "rayfort-kubernetes-objects"
"""Construct id of the element that writes a stack's objects; it has no address of its own."""


def unique_id(components: Sequence[str]) -> str:
    """The logical id the framework gives an element at ``components`` (its path below the stack).

    The framework's ``makeUniqueId`` (the same in cdktf and cdktn): ``Default`` is left out; a single
    component is used as it is; otherwise the human-readable components, each ending one no other
    ends, joined by ``_``, then the first 8 hex digits of the path's MD5.
    """
    components = [c for c in components if c != "Default"]
    if not components:
        raise ValueError("an element directly in a stack has no components to name it by")
    if len(components) == 1 and len(_allowed(components[0])) <= 255:
        return _allowed(components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    readable = "_".join(_allowed(c) for c in human if c != "Resource")[:240]
    return f"{readable}_{digest}"


def _allowed(component: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", component)


_TOKEN = re.compile(r"[$#&]\{TfToken\[|e\+(?:2[89][0-9]|3[0-9][0-9])")
"""What the framework's tokens look like in JSON: a string, list or map token, or a number token (about -1.9e289)."""


class KubernetesObjects(TerraformElement):
    """The ``kubernetes_manifest`` blocks of a stack's objects, written in one fragment."""

    def __init__(self, stack: TerraformStack) -> None:
        super().__init__(stack, HOLDER_ID)
        self.stack_path: str = stack.node.path
        self.deferred = bool(_deferring)
        """Its plain blocks without a token are written by the synth after the framework's (``objects_left_out``)."""
        if _deferring:
            _deferring[-1].append(self)
        self._plain: dict[str, str] = {}
        """The JSON (``json_data``) of each block of plain data without a token, by logical id."""
        self._others: dict[str, str | dict[str, Any]] = {}
        """The other blocks by id: the JSON of those with a token, the block itself when it is not plain data."""
        self._handed: dict[bool, Any] = {}
        """What the runtime holds, for the synth's preparing pass (True) and its writing pass (False)."""
        self._fragment = {"resource": {"kubernetes_manifest": _HeldBlocks(self)}}
        self.paths: set[str] = set()
        """Construct paths taken by objects (written here or as elements of their own)."""

    def add(self, logical_id: str, block: dict[str, Any]) -> None:
        text = json_data(block)
        if text is not None and not _TOKEN.search(text):
            self._plain[logical_id] = text
        else:
            self._others[logical_id] = block if text is None else text
        self._handed.clear()

    def remove(self, logical_id: str) -> None:
        self._plain.pop(logical_id, None)
        self._others.pop(logical_id, None)
        self._handed.clear()

    def to_terraform(self) -> Any:
        return self._fragment if self._plain or self._others else {}

    def blocks(self, preparing: bool) -> Any:
        """The blocks, handed to the runtime when the synth first asks for them.

        Held as JSON until then, a stack's blocks cross in one string: one round trip per stack instead of
        one per object, and no conversion value by value (``_cdk.as_any_json``). A block that is not plain
        data crosses on its own, the usual way. Held as Python data instead, a 500-tenant synth's blocks
        took hundreds of MB until the synth; as JSON they take about 60 MB.

        The framework resolves every element twice: once ``preparing``, to find references to other stacks,
        then to write it. Blocks without a token hold no reference, so the preparing pass gets only the others.
        """
        handed = self._handed.get(preparing)
        if handed is None:
            held = self._others if preparing or self.deferred else {**self._plain, **self._others}
            handed = self._handed[preparing] = _crossed(held)
        return handed

    def left_out(self) -> dict[str, str]:
        """The JSON of the blocks a deferring holder leaves out of the framework's synth, by logical id."""
        return dict(self._plain) if self.deferred else {}


def _crossed(blocks: dict[str, str | dict[str, Any]]) -> Any:
    """``blocks`` as the runtime holds them: one JSON string when all are plain data, else one crossing each."""
    if not blocks:
        return {}
    if all(isinstance(block, str) for block in blocks.values()):
        return as_any_json("{" + ",".join(f"{json.dumps(i)}:{block}" for i, block in blocks.items()) + "}")
    return {i: as_any_json(b) if isinstance(b, str) else Token.as_any(b) for i, b in blocks.items()}


@implements(IResolvable)
class _HeldBlocks:
    """A stack's blocks as a token: resolved, it asks its holder for what the framework's pass needs."""

    def __init__(self, holder: KubernetesObjects) -> None:
        self._holder = holder

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, context: IResolveContext) -> Any:
        return self._holder.blocks(bool(context.preparing))


_deferring: list[list[KubernetesObjects]] = []


@contextmanager
def objects_left_out() -> Iterator[list[KubernetesObjects]]:
    """Holders made within leave their plain blocks without a token out of the framework's synth.

    The framework resolves every block of every element several times over as it writes a stack, and a
    block of plain data without a token comes out as it went in: for a tenant's objects that was most
    of the synth's time. The caller writes those blocks into the synthesized stacks itself, after
    ``app.synth()`` (``rayfort.synth_workers.synthesize_app``, with ``KubernetesObjects.left_out``);
    without this context, as in an app of a user's own, the framework writes them all.
    """
    holders: list[KubernetesObjects] = []
    _deferring.append(holders)
    try:
        yield holders
    finally:
        _deferring.remove(holders)
        for holder in holders:  # a later synth of the same app has the framework write every block again
            holder.deferred = False
            holder._handed.clear()


class _Placement:
    """Where a scope is: its stack's holder and its path below the stack (asked of the runtime once per scope)."""

    def __init__(self, scope: Construct) -> None:
        stack = scope if isinstance(scope, TerraformStack) else TerraformStack.of(scope)
        holder = _holders.get(stack)
        if holder is None:
            holder = _holders[stack] = KubernetesObjects(stack)
        self.holder = holder
        self.path = holder.stack_path if scope is stack else scope.to_string()  # the path, in one round trip
        below = self.path[len(holder.stack_path) + 1 :]
        self.components = tuple(below.split("/")) if below else ()


_holders: weakref.WeakKeyDictionary[Any, KubernetesObjects] = weakref.WeakKeyDictionary()
_placements: weakref.WeakKeyDictionary[Any, _Placement] = weakref.WeakKeyDictionary()
_addresses: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _placement(scope: Construct) -> _Placement:
    found = _placements.get(scope)
    if found is None:
        found = _placements[scope] = _Placement(scope)
    return found


class KubernetesObject:
    """One object applied with server-side apply, owned by the ``rayfort`` field manager.

    ``depends_on``: objects and elements of the same stack that must exist first. The object is
    ``kubernetes_manifest.<logical id>`` at construct path ``<scope>/<construct_id>/object``, whether
    its stack's holder writes it or it is an element of its own (once ``name`` or ``manifest`` is
    asked for); two objects with one construct id in one scope are refused, as constructs are.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        manifest: dict[str, Any],
        *,
        depends_on: Sequence[TerraformResource | TerraformDataSource | KubernetesObject] = (),
    ) -> None:
        placement = _placement(scope)
        self.scope = scope
        self.construct_id = construct_id
        self.body = manifest
        self.path = f"{placement.path}/{construct_id}/{ELEMENT_ID}"
        self.logical_id = unique_id((*placement.components, construct_id, ELEMENT_ID))
        self._holder = placement.holder
        self._dependencies = tuple(depends_on)
        self._after = [_address(dependency, placement.holder) for dependency in depends_on]
        self._element: TerraformResource | None = None
        if self.path in self._holder.paths:
            raise ValueError(
                f"There is already a Construct with name '{construct_id}' in {type(scope).__name__} [{scope.node.id}]"
            )
        self._holder.paths.add(self.path)
        self._holder.add(self.logical_id, self._block())

    @property
    def address(self) -> str:
        """``kubernetes_manifest.<logical id>``: what ``depends_on`` names in its stack."""
        return f"kubernetes_manifest.{self.logical_id}"

    @property
    def manifest(self) -> TerraformResource:
        """The object as an element of its own, for references the framework must see (other stacks')."""
        if self._element is None:
            self._holder.remove(self.logical_id)
            # The objects it waits for become elements too (rare: most objects wait for none, or for elements).
            after = [d.manifest if isinstance(d, KubernetesObject) else d for d in self._dependencies]
            self._element = kubernetes.Manifest(
                Construct(self.scope, self.construct_id),
                ELEMENT_ID,
                manifest=self.body,
                field_manager=FIELD_MANAGER,
                **({"depends_on": after} if after else {}),
            )
        return self._element

    @property
    def name(self) -> str:
        """The object's name as a Terraform reference, so objects and other stacks wait for it."""
        return Fn.lookup_nested(self.manifest.get_any_map_attribute("manifest"), ["metadata", "name"])

    @property
    def name_in_stack(self) -> str:
        """``name`` as the object's own stack spells it, for objects and resources of that stack only.

        The same reference, written by rayfort rather than the framework: the object stays with its
        holder, and the blocks that use it hold no token. Another stack needs ``name``, which the
        framework turns into a remote state lookup; ``name_in_stack`` there names nothing.
        """
        return f"${{{self.address}.manifest.metadata.name}}"

    def _block(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "//": {"metadata": {"path": self.path, "uniqueId": self.logical_id}},
            "field_manager": dict(FIELD_MANAGER),
            "manifest": self.body,
        }
        if self._after:
            block["depends_on"] = list(self._after)
        return block


def _address(dependency: TerraformResource | TerraformDataSource | KubernetesObject, holder: KubernetesObjects) -> str:
    """The address ``depends_on`` names (``type.id``, without braces), asked of the runtime once per element."""
    if isinstance(dependency, KubernetesObject):
        if dependency._holder is not holder:
            raise ValueError(f"{dependency.path} is in another stack; depends_on names only its own stack's")
        return dependency.address
    address = _addresses.get(dependency)
    if address is None:
        kind = ("data." if isinstance(dependency, TerraformDataSource) else "") + dependency.terraform_resource_type
        address = _addresses[dependency] = f"{kind}.{dependency.friendly_unique_id}"
    return address
