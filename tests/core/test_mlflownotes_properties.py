"""``llmgit/mlflow`` notes: what llmgit writes it reads back unchanged, and any text at all is
parsed without raising (bad records are left out, never fatal)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import mlflownotes
from llmgit.core.mlflownotes import ModelNotes, VersionNote

text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")), max_size=40)
key = text.filter(lambda s: s.strip() != "")
millis = st.integers(0, 2**53)
semver = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
alias = st.text(st.sampled_from("abcXYZ019_-"), min_size=1, max_size=12)


@st.composite
def notes(draw: st.DrawFn) -> ModelNotes:
    semvers = draw(st.lists(semver, unique=True, max_size=6))
    numbers = draw(st.lists(st.integers(1, 10_000), unique=True, min_size=len(semvers), max_size=len(semvers)))
    versions = {
        n: VersionNote(
            n,
            s,
            description=draw(st.none() | text),
            tags=draw(st.dictionaries(key, text, max_size=3)),
            run_id=draw(st.none() | key),
            source=draw(st.none() | key),
            created=draw(st.none() | millis),
            updated=draw(st.none() | millis),
            deleted=draw(st.booleans()),
            unstaged=draw(st.booleans()),
        )
        for n, s in zip(numbers, semvers, strict=True)
    }
    aliases = draw(st.dictionaries(alias, st.sampled_from(numbers), max_size=3)) if numbers else {}
    return ModelNotes(
        "chat",
        created=draw(st.none() | millis),
        updated=draw(st.none() | millis),
        description=draw(st.none() | text),
        tags=draw(st.dictionaries(key, text, max_size=3)),
        aliases=aliases,
        deleted=draw(st.booleans()),
        versions=versions,
    )


@settings(max_examples=150, deadline=None)
@given(notes())
def test_what_llmgit_writes_it_reads_back(n: ModelNotes) -> None:
    assert mlflownotes.parse("chat", mlflownotes.dump(n)) == n


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_any_text_parses_without_raising(raw: str | bytes) -> None:
    n = mlflownotes.parse("chat", raw)
    assert all(v.number >= 1 for v in n.versions.values())
    assert set(n.aliases.values()) <= set(n.versions)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(semver, st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"])), max_size=8))
def test_numbering_is_dense_and_keeps_recorded_numbers(found: list[tuple[str, str]]) -> None:
    first = mlflownotes.number(mlflownotes.empty("chat"), found[:3])
    again = mlflownotes.number(first, found)
    assert {n: v.semver for n, v in first.versions.items()}.items() <= {
        n: v.semver for n, v in again.versions.items()
    }.items()
    assert sorted(again.versions) == list(range(1, len(again.versions) + 1))
    assert len({v.semver for v in again.versions.values()}) == len(again.versions)
