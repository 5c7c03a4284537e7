from __future__ import annotations

import pytest

from llmgit.core import refs, versions
from llmgit.errors import InvalidName, InvalidVersion, UnknownReference


@pytest.mark.parametrize(
    "name", ["llama2-7b-alpaca", "a", "m1", "mistral_7b.v2", "x" * 63, "0model"], ids=lambda n: n[:20]
)
def test_valid_model_names(name: str) -> None:
    assert refs.validate_model_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "Llama", "a@b", "a#b", "a/b", "a..b", "a b", "-lead", "trail-", ".dot", "x" * 64, "a\nb", "ü"],
    ids=[
        "empty",
        "upper",
        "at",
        "hash",
        "slash",
        "dotdot",
        "space",
        "lead-dash",
        "trail-dash",
        "lead-dot",
        "too-long",
        "newline",
        "unicode",
    ],
)
def test_invalid_model_names(name: str) -> None:
    with pytest.raises(InvalidName):
        refs.validate_model_name(name)


@pytest.mark.parametrize(
    ("text", "kind", "version", "stage"),
    [
        ("m", refs.RefKind.latest, None, None),
        ("m@latest", refs.RefKind.latest, None, None),
        ("m@v1.2.3", refs.RefKind.exact, "1.2.3", None),
        ("m@1.2.3", refs.RefKind.exact, "1.2.3", None),
        ("m@1.2.3-rc.1+build.5", refs.RefKind.exact, "1.2.3-rc.1+build.5", None),
        ("m@3", refs.RefKind.partial, "3", None),
        ("m@v3.1", refs.RefKind.partial, "3.1", None),
        ("m#production", refs.RefKind.stage, None, "production"),
    ],
    ids=["bare", "latest", "v-exact", "exact", "prerelease-build", "major", "minor", "stage"],
)
def test_parse_reference(text: str, kind: refs.RefKind, version: str | None, stage: str | None) -> None:
    ref = refs.parse_reference(text)
    assert (ref.name, ref.kind, ref.version, ref.stage) == ("m", kind, version, stage)


@pytest.mark.parametrize("text", ["m@1.2.x", "m@", "m#", "m#Prod", "M@1.0.0", "m@1.2.3.4"])
def test_bad_references(text: str) -> None:
    with pytest.raises((UnknownReference, InvalidName)):
        refs.parse_reference(text)


def test_tag_round_trip() -> None:
    tag = refs.version_tag("m", "v1.2.0")
    assert tag == "m@v1.2.0"
    parsed = refs.parse_version_tag("refs/tags/" + tag)
    assert parsed == refs.ParsedTag("m", "1.2.0")
    assert refs.parse_version_tag("m#production") is None
    assert refs.parse_version_tag("Bad@v1.0.0") is None
    assert refs.parse_stage_tag("refs/tags/m#production") == ("m", "production")


def test_partial_matches_ignores_prereleases() -> None:
    assert refs.partial_matches("3", "3.4.1")
    assert not refs.partial_matches("3", "4.0.0")
    assert refs.partial_matches("3.4", "3.4.0")
    assert not refs.partial_matches("3", "3.5.0-rc.1")


@pytest.mark.parametrize(
    ("current", "kind", "expected"),
    [
        (None, versions.Bump.minor, "1.0.0"),
        ("1.0.0", versions.Bump.patch, "1.0.1"),
        ("1.0.9", versions.Bump.minor, "1.1.0"),
        ("1.4.2", versions.Bump.major, "2.0.0"),
        ("2.0.0-rc.1", versions.Bump.patch, "2.0.0"),
    ],
    ids=["first", "patch", "minor", "major", "finalize-prerelease"],
)
def test_bump(current: str | None, kind: versions.Bump, expected: str) -> None:
    assert versions.bump(current, kind) == expected


def test_semver_precedence_not_string_order() -> None:
    assert versions.highest(["1.9.0", "1.10.0", "1.10.0-rc.1"]) == "1.10.0"
    with pytest.raises(InvalidVersion):
        versions.parse("1.0")
