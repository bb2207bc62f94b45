"""The environment's image allowlist as one RE2 pattern, with Binary Authorization's matching rules.

``config.cluster.image_admitted`` decides what Binary Authorization admits; admission says the same
earlier, so a team hears about an image at submission, not when a node refuses to run it. Both
qualify Docker's short names first (``rayproject/ray`` is ``docker.io/rayproject/ray``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SAFE = re.compile(r"^[-_.a-z0-9/:]+$")


def pattern_regex(pattern: str) -> str:
    """One allowlist pattern as RE2: ``**`` any depth, ``*`` one path segment, else the name with any tag or digest."""
    if pattern.endswith("**"):
        prefix, tail = pattern[:-2], ".*"
    elif pattern.endswith("*"):
        prefix, tail = pattern[:-1], "[^/]*"
    else:
        prefix, tail = pattern, "(:[^/@]*)?(@.*)?"
    if not _SAFE.match(prefix):
        raise ValueError(f"image pattern {pattern!r} has characters an allowlist pattern never needs")
    # '.' is the only metacharacter a validated pattern can hold; a class needs no escaping in JSON or CEL.
    return prefix.replace(".", "[.]") + tail


def allowlist_regex(patterns: Sequence[str]) -> str:
    """Every pattern as one anchored alternation; matches nothing when the list is empty."""
    if not patterns:
        return "^$a"  # nothing can follow the end of the string
    return "^(" + "|".join(f"({pattern_regex(p)})" for p in patterns) + ")$"


def qualified(image: str) -> str:
    """CEL: an image reference with Docker's implied registry and ``library/`` made explicit."""
    return (
        f"({image}.matches('^[^/]+$') ? 'docker.io/library/' + {image} : "
        f"({image}.matches('^(localhost|[^/]*[.:][^/]*)/') ? {image} : 'docker.io/' + {image}))"
    )


def admitted(image: str, patterns: Sequence[str]) -> str:
    """CEL: the image (a string expression) is on the allowlist.

    Qualifying only ever adds ``docker.io/``, so it can only matter to a docker.io pattern; without one
    (an air-gapped mirror) the name is matched as written and the policy names no upstream registry.
    """
    name = qualified(image) if any(p.startswith("docker.io/") for p in patterns) else image
    return f"{name}.matches('{allowlist_regex(patterns)}')"
