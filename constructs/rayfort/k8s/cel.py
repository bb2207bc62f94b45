"""Small helpers that write CEL text, so the admission policies read as what they check."""

from __future__ import annotations

from collections.abc import Iterable


def lit(value: str) -> str:
    """A CEL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def lits(values: Iterable[str]) -> str:
    """A CEL list literal of strings."""
    return "[" + ", ".join(lit(v) for v in values) + "]"


def present(root: str, fields: str) -> str:
    """Every step of ``fields`` below ``root`` is set: ``has(r.a) && has(r.a.b)``; ``root`` itself must exist."""
    steps = fields.split(".")
    return "(" + " && ".join(f"has({root}.{'.'.join(steps[: i + 1])})" for i in range(len(steps))) + ")"


def or_default(root: str, fields: str, default: str) -> str:
    """A field's value, or a CEL default when any step is unset."""
    return f"({present(root, fields)} ? {root}.{fields} : {default})"


def is_true(root: str, fields: str) -> str:
    """A boolean field is set and true."""
    return f"({present(root, fields)} && {root}.{fields} == true)"


def is_false(root: str, fields: str) -> str:
    """A boolean field is set and false (unset is not false)."""
    return f"({present(root, fields)} && {root}.{fields} == false)"


NAMESPACE_ANNOTATIONS = "namespaceObject.metadata.annotations"
"""The annotations of the request's namespace, which a ValidatingAdmissionPolicy sees as ``namespaceObject``."""


def namespace_annotation(key: str) -> str:
    """CEL: the request namespace's annotation ``key``, or the empty string when it has none."""
    annotations, quoted = NAMESPACE_ANNOTATIONS, lit(key)
    return f"has({annotations}) && {quoted} in {annotations} ? {annotations}[{quoted}] : ''"


class Expr(str):
    """CEL text, as opposed to a literal string, inside ``text``."""


def text(*parts: str) -> str:
    """CEL concatenating literal strings and ``Expr`` parts: a messageExpression reads like its message."""
    return " + ".join(part if isinstance(part, Expr) else lit(part) for part in parts if part)
