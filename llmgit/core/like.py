"""The ``like`` matcher of the filter language: a SQL pattern (``%`` any run, ``_`` one
character) compiled into fixed-length pieces found left to right. Pure.

A module of its own because it is the one part of the filter language with a cost bound to
keep: matching is linear in the pattern times the text, whatever the pattern, where a regex of
the same pattern can backtrack for hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LikePattern:
    """A ``like`` pattern matched without backtracking: ``%`` splits it into fixed-length
    parts (characters and ``_``) found left to right, so matching takes at most the text's
    length times the pattern's, whatever the pattern (as a regex, ``%a%a%a%a%a%a%b`` takes
    hours on a 60-character text)."""

    parts: tuple[re.Pattern[str], ...]  # the pieces between the % signs
    sizes: tuple[int, ...]  # the length of text each piece matches

    def fullmatch(self, text: str) -> bool:
        if len(self.parts) == 1:  # no %: the whole text
            return self.parts[0].fullmatch(text) is not None
        if self.parts[0].match(text) is None:
            return False
        pos = self.sizes[0]
        for part in self.parts[1:-1]:
            found = part.search(text, pos)
            if found is None:
                return False
            pos = found.end()
        end = len(text) - self.sizes[-1]
        return end >= pos and self.parts[-1].fullmatch(text, end) is not None


def like_pattern(pattern: str) -> LikePattern:
    """SQL ``like``: ``%`` any run, ``_`` one character, ``\\%``/``\\_`` literal; case-sensitive."""
    pieces: list[list[str]] = [[]]
    sizes = [0]
    for part in re.split(r"(\\[%_\\]|%|_)", pattern):
        if part == "%":
            pieces.append([])
            sizes.append(0)
            continue
        literal = part[1:] if part in ("\\%", "\\_", "\\\\") else part
        pieces[-1].append("." if part == "_" else re.escape(literal))
        sizes[-1] += len(literal)
    return LikePattern(tuple(re.compile("".join(p), re.DOTALL) for p in pieces), tuple(sizes))
