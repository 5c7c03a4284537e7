"""Semantic versions: parse, compare and bump. Pure; SemVer 2.0 precedence, never tag dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

import semver

from llmgit.errors import InvalidVersion


class Bump(str, Enum):
    major = "major"
    minor = "minor"
    patch = "patch"


FIRST_VERSION = "1.0.0"
MAX_LENGTH = 128  # a version is part of a tag name, a branch name and file paths
MAX_DIGITS = 20  # per number: 2^64 has 20 digits; longer ones are typos or attacks
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1}}}")
_HINT = "use MAJOR.MINOR.PATCH, for example 1.2.0 or 2.0.0-rc.1"


def shown(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message (a 5,000-digit input is not echoed)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def bounds_problem(text: str) -> str | None:
    """Why ``text`` is too long to be a version (``"has a number of more than 20 digits"``), or
    None. Such a version makes a tag name git refuses, or an int Python will not convert, so it
    is refused before anything else looks at it."""
    if len(text) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if _LONG_NUMBER.search(text):
        return f"has a number of more than {MAX_DIGITS} digits"
    return None


def parse(text: str) -> semver.Version:
    """Parse ``1.2.3`` or ``v1.2.3`` (pre-release and build metadata allowed; bounded, see
    :func:`bounds_problem`)."""
    problem = bounds_problem(text)
    if problem:
        raise InvalidVersion(f"'{shown(text)}' is not a semantic version: it {problem}", hint=_HINT)
    raw = text[1:] if text[:1] in ("v", "V") else text
    try:
        return semver.Version.parse(raw)
    except (ValueError, TypeError):
        raise InvalidVersion(f"'{shown(text)}' is not a semantic version", hint=_HINT) from None


def normalize(text: str) -> str:
    """The canonical string of a version, without the ``v`` prefix."""
    return str(parse(text))


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidVersion:
        return False
    return True


def sort_key(text: str) -> semver.Version:
    return parse(text)


def highest(versions: Iterable[str]) -> str | None:
    best: semver.Version | None = None
    best_text: str | None = None
    for v in versions:
        parsed = parse(v)
        if best is None or parsed > best:
            best, best_text = parsed, v
    return best_text


def bump(current: str | None, kind: Bump) -> str:
    """The next version after ``current`` (the first version when there is none)."""
    if current is None:
        return FIRST_VERSION
    v = parse(current)
    if kind is Bump.major:
        return str(v.bump_major())
    if kind is Bump.minor:
        return str(v.bump_minor())
    if v.prerelease:
        # 1.2.0-rc.1 -> 1.2.0: releasing a pre-release is the patch step
        return str(v.finalize_version())
    return str(v.bump_patch())
