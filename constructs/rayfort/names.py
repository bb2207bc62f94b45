"""Resource names that fit Google's length limits, shortened the same way everywhere."""

from __future__ import annotations

import hashlib

DIGEST_LENGTH = 8


def short_name(
    name: str,
    max_length: int,
    *,
    keep_prefix: str = "",
    keep_suffix: str = "",
    digest_of: str | None = None,
    min_length: int = 1,
    trim_dashes: bool = True,
) -> str:
    """``name`` when it fits; else its start, ``-`` and 8 hex digits of a SHA-256, within ``max_length``.

    ``keep_prefix`` (which ``name`` starts with) and ``keep_suffix`` survive the
    shortening whole, so ``ray-<tenant>`` stays recognisable and a bucket keeps its
    purpose at the end. The digest is of ``digest_of`` (``name`` by default): two
    long names that share their start still differ. Names are part of a
    resource's identity, so this must never change for a name it has already
    produced; ``trim_dashes=False`` keeps the key rings' original shortening,
    which did not drop a trailing ``-`` before the digest (key rings cannot be deleted).
    """
    if not name.startswith(keep_prefix):
        raise ValueError(f"{name!r} does not start with {keep_prefix!r}")
    if min_length <= len(name) <= max_length:
        return name
    digest = hashlib.sha256((name if digest_of is None else digest_of).encode()).hexdigest()[:DIGEST_LENGTH]
    room = max_length - len(keep_prefix) - len(keep_suffix) - DIGEST_LENGTH - 1
    if room < 1:
        raise ValueError(f"no room to shorten {name!r} to {max_length} characters")
    middle = name[len(keep_prefix) :][:room]
    if trim_dashes:
        middle = middle.rstrip("-")
    return f"{keep_prefix}{middle}-{digest}{keep_suffix}"
