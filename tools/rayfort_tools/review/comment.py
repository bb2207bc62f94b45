"""The review as one sticky pull-request comment: a hidden marker, and cut to GitHub's size limit.

GitHub refuses a comment body over 65,536 characters. When the report is longer, the least important
parts are shortened between lines or left out, a note says which, and points at the full report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMMENT_LIMIT = 65_536
"""GitHub's limit for a comment body. Sizes here are UTF-8 bytes, never fewer than GitHub's characters."""

_NOTE_ROOM = 1_024
"""Kept free for the cut note when the report has to be cut."""


def marker(environment: str) -> str:
    """The hidden first line CI finds to update this environment's comment instead of adding one."""
    return f"<!-- rayfort-review:{environment} -->"


def size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass
class Part:
    """One section of the report, in display order; the comment cuts parts with a lower ``rank`` first."""

    title: str
    body: list[str]
    rank: int
    opening: list[str] = field(default_factory=list)
    """Lines before the body that stay when it is cut (a ``<details>`` summary)."""
    closing: list[str] = field(default_factory=list)
    """Lines after the body that stay when it is cut (``</details>``)."""
    divisible: bool = True
    """The body may be cut between any two lines (tables, lists); else it is kept whole or left out."""

    def render(self, body: list[str] | None = None) -> str:
        return "\n".join([*self.opening, *(self.body if body is None else body), *self.closing]).rstrip() + "\n"

    def shrink(self, room: int) -> tuple[str, str]:
        """The longest rendering within ``room`` bytes, and whether it was ``shortened`` or ``left out``.

        A part left out keeps its opening and closing (a collapsed section keeps its summary) and says so.
        """
        if self.divisible and self.body:
            frame = sum(size(line) + 1 for line in [*self.opening, *self.closing, "", self._cut_line(len(self.body))])
            used, count = frame, 0
            while count < len(self.body) and used + size(self.body[count]) + 1 <= room:
                used += size(self.body[count]) + 1
                count += 1
            if count:
                return self.render([*self.body[:count], "", self._cut_line(len(self.body) - count)]), "shortened"
        return self.render([f"_{self.title}: left out of this comment; see the full report._"]), "left out"

    def _cut_line(self, left: int) -> str:
        return f"_… {left} more lines of {self.title} are in the full report._"


def assemble(head: str, parts: list[Part]) -> str:
    """The whole report: ``head`` then every part, a blank line between them."""
    return "\n".join([head.rstrip() + "\n", *(part.render() for part in parts)]).rstrip() + "\n"


def fit(head: str, parts: list[Part], *, full_report: str, limit: int = COMMENT_LIMIT) -> str:
    """The report within ``limit`` bytes; when cut, a note after the first part names the cuts and ``full_report``."""
    full = assemble(head, parts)
    if size(full) <= limit:
        return full

    def note(outcome: dict[int, str]) -> str:
        cuts = ", ".join(f"{parts[i].title} {outcome[i]}" for i in sorted(outcome))
        return (
            f"> ✂️ This comment is cut to fit GitHub's {limit:,}-character limit ({cuts}). "
            f"The full report ({size(full):,} bytes) is {full_report}.\n"
        )

    rendered = [part.render() for part in parts]
    outcome: dict[int, str] = {}
    budget = limit - size(head) - size(note(dict.fromkeys(range(len(parts)), "left out"))) - 2
    for index in sorted(range(len(parts)), key=lambda i: parts[i].rank):
        excess = sum(size(text) + 1 for text in rendered) - budget
        if excess <= 0:
            break
        rendered[index], outcome[index] = parts[index].shrink(size(rendered[index]) - excess)
    texts = [head.rstrip() + "\n", *rendered[:1], note(outcome), *rendered[1:]]
    return "\n".join(text for text in texts if text).rstrip() + "\n"
