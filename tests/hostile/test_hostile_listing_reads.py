"""What a listing reads, it checks: ``models`` reads each model's latest tag, ``search`` on
metrics reads the full tag of each hit; ``llmgit fsck`` checks every tag (docs/trust.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, run_cli
from hostilekit import forge_tag, summary_message
from test_hostile_tags import BAD, HINT, _forge_summary, _weights, reg  # noqa: F401 (reg: the fixture)

WARNING = f"warning: skipped {BAD}: its summary's weights.size is not a whole number ('abc')"


def test_models_skips_a_malformed_latest_and_shows_the_next(reg: Path) -> None:  # noqa: F811
    _forge_summary(reg, weights=_weights(reg, size="abc"))  # m@v1.0.2, the highest
    result = run_cli(reg, "models", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"name": "m", "latest": "1.0.1", "versions": 3}]
    assert result.err.splitlines() == [WARNING, HINT]
    strict = run_cli(reg, "models", "--strict")
    assert strict.code == 2 and strict.err.startswith(f"error: version tag {BAD} is malformed"), strict.err


def test_models_does_not_read_a_malformed_tag_it_does_not_show(reg: Path) -> None:  # noqa: F811
    _forge_summary(reg, weights=_weights(reg, size="abc"))
    commit = git(reg, "rev-parse", "m@v1.0.1^{commit}").strip()
    forge_tag(reg, "m@v2.0.0", commit, summary_message("m", "2.0.0", {"metrics": {"acc": 0.9}}))
    result = run_cli(reg, "models", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{"name": "m", "latest": "2.0.0", "versions": 4}]
    assert result.err == ""  # m@v1.0.2 is not shown, so not read
    fsck = run_cli(reg, "fsck")
    assert fsck.code == 1 and BAD in fsck.out + fsck.err


def test_search_on_metrics_checks_its_hits_in_full_and_passes_over_the_rest(reg: Path) -> None:  # noqa: F811
    _forge_summary(reg, weights=_weights(reg, size="abc"))  # acc 0.6, as m@v1.0.1
    missed = run_cli(reg, "search", "metrics.acc > 0.7", "--json")
    assert missed.code == 0 and json.loads(missed.out or "[]") == [] and "warning" not in missed.err, missed.err
    hit = run_cli(reg, "search", "metrics.acc >= 0.6", "--json")
    assert hit.code == 0, hit.err
    assert [v["tag"] for v in json.loads(hit.out)] == ["m@v1.0.1"]
    assert hit.err.splitlines() == [WARNING, HINT]


def test_search_on_a_malformed_metric_warns_whether_or_not_it_would_match(reg: Path) -> None:  # noqa: F811
    _forge_summary(reg, metrics={"acc": "high"})
    for expr in ("metrics.acc > 0.7", "metrics.acc >= 0"):
        result = run_cli(reg, "search", expr, "--json")
        assert result.code == 0, result.err
        assert result.err.splitlines()[0].startswith(f"warning: skipped {BAD}: its summary's metrics.acc"), result.err


def test_tags_read_on_every_core_answer_and_warn_as_in_one_process(
    reg: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past a few thousand tags each worker reads a share (``store/tagreads.py``): here with a
    share of one tag, the same versions in the same order, and the same warnings."""
    from llmgit.store import tagreads

    _forge_summary(reg, weights=_weights(reg, size="abc"))
    commands = [["versions", "m", "--json"], ["search", "metrics.acc > 0.1", "--json"], ["search", "name = 'm'"]]
    alone = [run_cli(reg, *c) for c in commands]
    monkeypatch.setattr(tagreads, "SHARE", 1)
    shared = [run_cli(reg, *c) for c in commands]
    for a, s in zip(alone, shared, strict=True):
        assert (s.code, s.out, s.err) == (a.code, a.out, a.err)
    assert WARNING in shared[0].err
