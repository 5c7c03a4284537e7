"""The ref grammar and versions on any text: a value or the domain error (exit 2), never
another exception; and what the grammar builds it parses back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from llmgit.core import refs, versions
from llmgit.errors import InvalidName, InvalidVersion, UnknownReference

# Text made of the grammar's own characters reaches its deep paths far more often than any text.
grammar_text = st.text(alphabet="0123456789.v@#-+_abcmrz/ ", max_size=60)
long_numbers = st.builds(
    lambda prefix, digits, suffix: f"{prefix}{digits}{suffix}",
    st.sampled_from(["m@", "m@v", "m@1.", "m@v1.0.", "m@1.2.3-rc.", "1.0.", "", "v"]),
    st.integers(min_value=19, max_value=6000).map(lambda n: "9" * n),
    st.sampled_from(["", ".0", "-rc.1", "+build"]),
)
any_text = st.text(max_size=80) | grammar_text | long_numbers


@given(any_text)
def test_parse_reference_is_a_reference_or_a_usage_error(text: str) -> None:
    try:
        ref = refs.parse_reference(text)
    except (InvalidName, InvalidVersion, UnknownReference) as e:
        assert e.exit_code == 2 and len(e.message) < 300
    else:
        assert refs.validate_model_name(ref.name) == ref.name
        if ref.kind is refs.RefKind.exact:
            assert versions.normalize(ref.version or "") == ref.version
        if ref.kind is refs.RefKind.partial:
            refs.partial_matches(ref.version or "", "1.2.3")


@given(any_text)
def test_parse_version_tag_is_parts_or_none(text: str) -> None:
    for tag in (text, f"refs/tags/{text}", f"m@v{text}"):
        parsed = refs.parse_version_tag(tag)
        if parsed is not None:
            assert refs.version_tag(parsed.name, parsed.version).removeprefix(f"{parsed.name}@v") == versions.normalize(
                parsed.version
            )


@given(any_text)
def test_versions_parse_and_normalize_are_a_version_or_invalid_version(text: str) -> None:
    try:
        normal = versions.normalize(text)
    except InvalidVersion as e:
        assert e.exit_code == 2 and "is not a semantic version" in e.message and len(e.message) < 200
    else:
        assert len(normal) <= versions.MAX_LENGTH
        assert versions.parse(normal) == versions.parse(text)


@given(any_text)
def test_validate_model_name_is_the_name_or_invalid_name(text: str) -> None:
    try:
        assert refs.validate_model_name(text) == text
    except InvalidName as e:
        assert e.exit_code == 2 and len(e.message) < 200


@given(
    st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,20}[a-z0-9])?", fullmatch=True),
    st.integers(0, 10**20 - 1),
    st.integers(0, 10**20 - 1),
    st.integers(0, 10**20 - 1),
)
def test_a_version_tag_round_trips(name: str, major: int, minor: int, patch: int) -> None:
    version = f"{major}.{minor}.{patch}"
    tag = refs.version_tag(name, version)
    assert refs.parse_version_tag(tag) == refs.ParsedTag(name, version)
    ref = refs.parse_reference(tag)
    assert (ref.name, ref.kind, ref.version) == (name, refs.RefKind.exact, version)
