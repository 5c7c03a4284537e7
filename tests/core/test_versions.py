"""llmgit.core.versions: SemVer 2.0 parsing, precedence and bumps (never tag dates)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmgit.core import versions
from llmgit.core.versions import Bump
from llmgit.errors import InvalidVersion

numbers = st.integers(min_value=0, max_value=10**6)
idents = st.from_regex(r"[0-9A-Za-z-]{1,8}", fullmatch=True).filter(
    lambda s: not (s.isdigit() and s[0] == "0" and len(s) > 1)
)


@given(numbers, numbers, numbers, st.lists(idents, max_size=3), st.lists(idents, max_size=2))
def test_normalize_round_trips(major: int, minor: int, patch: int, pre: list[str], build: list[str]) -> None:
    text = f"{major}.{minor}.{patch}" + (f"-{'.'.join(pre)}" if pre else "") + (f"+{'.'.join(build)}" if build else "")
    assert versions.normalize(text) == text
    assert versions.normalize("v" + text) == text and versions.is_valid(text)


@given(st.text(max_size=30))
def test_any_text_is_a_version_or_invalid_version(text: str) -> None:
    try:
        versions.parse(text)
    except InvalidVersion as e:
        assert e.exit_code == 2 and "is not a semantic version" in e.message


@pytest.mark.parametrize(
    ("current", "kind", "expected"),
    [
        (None, Bump.patch, "1.0.0"),
        ("1.2.3", Bump.patch, "1.2.4"),
        ("1.2.3", Bump.minor, "1.3.0"),
        ("1.2.3", Bump.major, "2.0.0"),
        ("1.2.0-rc.1", Bump.patch, "1.2.0"),
        ("1.2.0-rc.1", Bump.minor, "1.3.0"),
    ],
    ids=["first", "patch", "minor", "major", "release-candidate", "minor-from-rc"],
)
def test_bump(current: str | None, kind: Bump, expected: str) -> None:
    assert versions.bump(current, kind) == expected


def test_highest_is_by_precedence_not_by_text() -> None:
    assert versions.highest(["1.10.0", "1.9.0", "1.10.0-rc.1", "v1.2.0"]) == "1.10.0"
    assert versions.highest(["2.0.0-rc.2", "2.0.0-rc.10"]) == "2.0.0-rc.10"
    assert versions.highest([]) is None
    assert sorted(["1.0.0+b", "1.0.0-a", "0.9.9"], key=versions.sort_key) == ["0.9.9", "1.0.0-a", "1.0.0+b"]
