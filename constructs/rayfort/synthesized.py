"""A synthesized app directory, read back: every stack the manifest lists, by stack id.

The manifest is the authority: a stack directory it does not list (one the
cdktf CLI is about to remove) is not part of the app.

``read_exact`` and ``stable_json`` read and write a file the way the framework writes
it, byte for byte, for the synth that merges what several processes wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any


def read_manifest(outdir: Path) -> dict[str, Any]:
    """cdktf's manifest.json of ``outdir``; FileNotFoundError names what to run when there is none."""
    path = outdir / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{outdir} holds no synthesized app (no manifest.json): run `make synth` first")
    return json.loads(path.read_text())


def read_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    """{stack id: cdk.tf.json} of every stack of the app in ``outdir``, in stack id order."""
    manifest = read_manifest(outdir)
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in sorted(manifest["stacks"].items())
    }


class SynthesizedStacks(Mapping[str, dict[str, Any]]):
    """{stack id: cdk.tf.json} of the app in ``outdir``, each stack parsed when asked for and not kept.

    The synth's checks each read every stack once; holding them all parsed would add
    about 150 MB at 500 tenants, on top of the framework's node runtime, which still
    holds the whole app. Iteration is in stack id order, like ``read_stacks``.
    """

    def __init__(self, outdir: Path) -> None:
        self._outdir = outdir
        self._paths = {
            name: entry["synthesizedStackPath"] for name, entry in sorted(read_manifest(outdir)["stacks"].items())
        }

    def __getitem__(self, name: str) -> dict[str, Any]:
        return json.loads((self._outdir / self._paths[name]).read_text())

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


class Number(str):
    """A number as the file spells it: a file read with ``read_exact`` is written back with the same digits."""


def read_exact(path: Path) -> Any:
    """A JSON file of the framework's, with its fractions and exponents kept as written (``Number``).

    Its integers need no keeping: JavaScript writes a whole number below 1e21 in digits, which Python
    reads and writes back unchanged.
    """
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Number)


def add_blocks(outdir: Path, blocks: Mapping[str, Mapping[str, Mapping[str, str]]], framework: str) -> None:
    """Write blocks into the synthesized stacks of ``outdir``, as ``framework`` would have written them.

    ``blocks``: {stack construct path: {resource type: {name: the block's JSON}}}.
    """
    files = {
        entry["constructPath"]: entry["synthesizedStackPath"] for entry in read_manifest(outdir)["stacks"].values()
    }
    for stack_path, by_type in blocks.items():
        path = outdir / files[stack_path]
        tf_json = read_exact(path)
        resources = tf_json.setdefault("resource", {})
        for resource_type, named in by_type.items():
            written = resources.setdefault(resource_type, {})
            for name, text in named.items():
                written[name] = json.loads(text)
        path.write_text(stable_json(tf_json, framework), encoding="utf-8")


EMPTY_ON_TWO_LINES = {"cdktf": True, "cdktn": False}
"""How each framework writes an empty list or object: cdktf's json-stable-stringify 1.x on two lines,
cdktn's safe-stable-stringify 2.x as ``[]`` and ``{}``. Otherwise both write what ``stable_json`` writes."""


def stable_json(value: Any, framework: str = "cdktf") -> str:
    """``value`` written as ``framework`` writes manifest.json and cdk.tf.json, byte for byte.

    Two spaces, keys sorted by UTF-16 code unit (JavaScript's sort), each entry on a line of its own, strings
    escaped as ``JSON.stringify`` escapes them. Tests compare it with every file the frameworks wrote for the
    shipped environments, and with json-stable-stringify itself for awkward values.
    """
    return _stable(value, "\n", EMPTY_ON_TWO_LINES[framework])


def _stable(value: Any, indent: str, empty_on_two_lines: bool) -> str:
    kind = type(value)
    if kind is str:
        return _string(value)
    inner = indent + "  "
    if kind is dict:
        if not value and not empty_on_two_lines:
            return "{}"
        keys = sorted(value)
        if not all(key.isascii() for key in keys):
            keys.sort(key=_utf16)
        entries = ",".join(f"{inner}{_string(key)}: {_stable(value[key], inner, empty_on_two_lines)}" for key in keys)
        return f"{{{entries}{indent}}}"
    if kind is list:
        if not value and not empty_on_two_lines:
            return "[]"
        return f"[{','.join(inner + _stable(item, inner, empty_on_two_lines) for item in value)}{indent}]"
    if kind is Number:
        return str.__str__(value)
    return _scalar(value)


_string = json.encoder.encode_basestring
"""A string as ``JSON.stringify`` writes it (the C encoder behind ``json.dumps(..., ensure_ascii=False)``)."""


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return _javascript_number(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _EXACT_INTEGERS:
        return _javascript_number(float(value))  # JavaScript holds it as the nearest double
    return json.dumps(value, ensure_ascii=False)


_EXACT_INTEGERS = 2**53
"""Integers up to this size are numbers JavaScript holds exactly."""


def _javascript_number(value: float) -> str:
    """``value`` as JavaScript writes it: the shortest digits that read back as it (as Python's ``repr``),
    in positional notation from 1e-6 up to below 1e21 and with an exponent outside (``1e-7``, ``1e+21``)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    decimal = Decimal(repr(abs(value))).normalize()
    digits = "".join(map(str, decimal.as_tuple().digits))
    point = len(digits) + int(decimal.as_tuple().exponent)  # value = 0.<digits> x 10**point
    if len(digits) <= point <= 21:
        return sign + digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'+' if point > 0 else '-'}{abs(point - 1)}"


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")
