"""llmgit.core.stagefile: stage.yaml written directly and read back, validated with errors that
name the branch, and the one-model slice history reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmgit.core import stagefile
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import StageFileError

names = st.from_regex(r"[a-z0-9](?:[a-z0-9._-]{0,20}[a-z0-9])?", fullmatch=True).filter(lambda n: ".." not in n)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
versions_ = st.tuples(*[st.integers(0, 99)] * 3).map(lambda t: ".".join(map(str, t)))
commits = st.text("0123456789abcdef", min_size=40, max_size=40)


@st.composite
def entries(draw: st.DrawFn, action: str = "promote") -> Entry:
    version = draw(versions_)
    return Entry(
        version,
        f"m@v{version}",
        draw(commits),
        draw(st.sampled_from(["", "a" * 32])),
        draw(texts) or "2026-01-01",  # since and by are required
        draw(texts) or "someone",
        draw(texts),
        action,
        draw(st.sampled_from([{}, {"canary": {"version": "2.0.0", "percent": 10}}, {"note": "ü\u2028x"}])),
    )


@given(st.dictionaries(names, entries(), max_size=5))
def test_holding_stage_round_trips(holders: dict[str, Entry]) -> None:
    sf = StageFile("production", dict(sorted(holders.items())))
    text = stagefile.dump(sf)
    assert stagefile.parse(text, "production", "stage/production") == sf
    for name in holders:
        assert stagefile.parse_model(text.encode(), "production", "stage/production", name).holders == {
            name: holders[name]
        }


@given(st.dictionaries(names, st.lists(entries("archive"), min_size=1, max_size=3).map(tuple), max_size=4))
def test_archived_stage_round_trips(archived: dict[str, tuple[Entry, ...]]) -> None:
    sf = StageFile(ARCHIVED, {}, dict(sorted(archived.items())))
    assert stagefile.parse(stagefile.dump(sf), ARCHIVED, "stage/archived") == sf


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "branch 'stage/production' has no stage.yaml"),
        ("models: [", "stage/production:stage.yaml is not valid YAML"),
        ("llmgit: 1\nstage: staging\nmodels: {}\n", "is not an llmgit stage file for 'production'"),
        ("llmgit: 1\nstage: production\nmodels: [1]\n", "'models' must be a mapping"),
        ("llmgit: 1\nstage: production\nmodels:\n  m: {version: 1.0.0}\n", "models.m: missing 'by'"),
        ("llmgit: 1\nstage: production\nmodels:\n  Bad: {}\n", "invalid model name 'Bad'"),
        (
            "llmgit: 1\nstage: production\nmodels:\n  m: {version: x, tag: t, commit: c, since: s, by: b}\n",
            "'x' is not a semantic version",
        ),
        (
            "llmgit: 1\nstage: production\nmodels:\n  m: {version: 1.0.0, tag: t, commit: abc, since: s, by: b}\n",
            "commit 'abc' is not a full commit id",
        ),
    ],
    ids=["missing", "yaml", "other-stage", "models-list", "missing-key", "bad-name", "bad-version", "short-commit"],
)
def test_bad_stage_files_name_the_branch_and_the_repair(text: str | None, message: str) -> None:
    with pytest.raises(StageFileError) as e:
        stagefile.parse(text, "production", "stage/production")
    assert message in e.value.message
    assert e.value.hint == "repair it with a commit on 'stage/production' (for example 'git revert' of the bad commit)"
