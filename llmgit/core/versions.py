"""Semantic versions: parse, compare and bump. Pure; SemVer 2.0 precedence, never tag dates."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

import semver

from llmgit.errors import InvalidVersion


class Bump(str, Enum):
    major = "major"
    minor = "minor"
    patch = "patch"


FIRST_VERSION = "1.0.0"


def parse(text: str) -> semver.Version:
    """Parse ``1.2.3`` or ``v1.2.3`` (pre-release and build metadata allowed)."""
    raw = text[1:] if text[:1] in ("v", "V") else text
    try:
        return semver.Version.parse(raw)
    except (ValueError, TypeError):
        raise InvalidVersion(
            f"'{text}' is not a semantic version", hint="use MAJOR.MINOR.PATCH, for example 1.2.0 or 2.0.0-rc.1"
        ) from None


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
