"""The card of a version GTO registered: built from its real GTO tag and the artifacts.yaml of
the tagged commit (GTO's own model accepts the file), with "imported from GTO" provenance;
artifacts.yaml is outside data, so hostile files are read within caps or left out."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_gto_import
import yaml
from conftest import git
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gto_import import ARTIFACTS, M

from llmgit.core import gtocard
from llmgit.core.bounded import BoundError
from llmgit.store import cards
from llmgit.store.store import Store

gto_repo = test_gto_import.gto_repo  # the fixture: a history written by the real gto


def card_at(repo: Path, reference: str) -> dict:
    store = Store(repo)
    v = store.get(reference)
    blob = git(repo, "show", f"{v.commit}:{gtocard.ARTIFACTS}", check=False)
    entry = gtocard.parse_artifacts(blob).entries.get(v.name) if blob else None
    return gtocard.card(v, entry)


def test_gto_accepts_the_artifacts_file_the_cards_read() -> None:
    from gto.index import state_adapter

    state = state_adapter.validate_python(yaml.safe_load(ARTIFACTS))
    ours = gtocard.parse_artifacts(ARTIFACTS).entries[M]
    assert (ours.type, ours.path, ours.description, list(ours.labels)) == (
        state[M].type,
        state[M].path,
        state[M].description,
        state[M].labels,
    )


def test_a_gto_version_gets_a_card_from_its_tag_and_artifacts_yaml(gto_repo: Path) -> None:
    repo = gto_repo
    card = card_at(repo, f"{M}@v1.0.0")
    date = git(repo, "for-each-ref", "--format=%(taggerdate:iso-strict)", f"refs/tags/{M}@v1.0.0").strip()
    assert card == {
        "name": M,
        "version": "1.0.0",
        "date": date,
        "description": "Gradient-boosted churn classifier",
        "training": {},
        "performance": {},
        "tags": ["tabular", "churn"],
        "provenance": {
            "author": "Ada Lovelace <ada@example.com>",
            "created": date,
            "git_commit": git(repo, "rev-parse", f"{M}@v1.0.0^{{commit}}").strip(),
            "imported_from": {
                "tool": "gto",
                "tag": f"{M}@v1.0.0",
                "message": f"Registering artifact {M} version v1.0.0",
                "note": "no model card was committed with this version; this one is synthesised from its tag "
                "and artifacts.yaml",
                "type": "model",
                "path": "models/churn.pkl",
            },
        },
    }
    # it says what is missing rather than inventing it: GTO never recorded the weights' hashes,
    # and no llmgit registered the version
    assert cards.validate(card) == [
        "(top level): 'weights' is a required property",
        "provenance: 'llmgit_version' is a required property",
    ]


def test_a_gto_version_without_an_artifacts_entry_keeps_to_its_tag(gto_repo: Path) -> None:
    card = card_at(gto_repo, "legacy@v0.1.0")
    assert (card["name"], card["version"], card["description"], card["tags"]) == ("legacy", "0.1.0", "", [])
    assert card["provenance"]["imported_from"]["tool"] == "gto"  # GTO's own registration message
    assert "artifacts.yaml" not in card["provenance"]["imported_from"]["note"]


HOSTILE = [
    pytest.param("a: &x [1]\nb: *x\n", "alias", id="alias"),
    pytest.param("[churn, legacy]\n", "must be a YAML mapping", id="a-list"),
    pytest.param("churn:\n  description: " + "x" * 300_000 + "\n", "above the limit", id="oversize"),
    pytest.param("churn: [" * 40 + "]" * 40 + "\n", "levels", id="deep"),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE)
def test_a_hostile_artifacts_file_is_refused_whole(text: str, reason: str) -> None:
    with pytest.raises(BoundError, match=reason):
        gtocard.parse_artifacts(text)


def test_a_bad_entry_is_left_out_with_its_reason() -> None:
    text = (
        "churn:\n  description: 'fine'\n  labels: [a]\n"
        'evil:\n  description: "\\e]0;pwned\\a"\n'
        "many:\n  labels: [" + ", ".join(f"l{i}" for i in range(60)) + "]\n"
        "odd: 3\n"
        "empty:\n"
    )
    found = gtocard.parse_artifacts(text)
    assert sorted(found.entries) == ["churn", "empty"]
    assert found.entries["churn"].labels == ("a",)
    assert [p.split(":")[1].strip() for p in found.problems] == [
        "'evil'",
        "'many'",
        "'odd' is not a mapping; the entry was left out",
    ]
    assert all(p.startswith("artifacts.yaml: ") for p in found.problems)


TEXT = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["churn", "x", "1"]), TEXT, max_size=3) | TEXT)
def test_any_artifacts_file_gives_bounded_entries_or_a_refusal(data: object) -> None:
    try:
        found = gtocard.parse_artifacts(yaml.safe_dump(data))
    except BoundError:
        return
    for name, entry in found.entries.items():
        assert isinstance(name, str)
        for value in (entry.type, entry.path, entry.description, *entry.labels):
            assert value is None or isinstance(value, str)
        assert len(entry.labels) <= gtocard.MAX_LABELS and len(entry.description) <= gtocard.MAX_DESCRIPTION
        assert not any(ch in (entry.type or "") + "".join(entry.labels) for ch in "\x1b\x07\n")
