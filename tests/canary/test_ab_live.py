"""End to end against a real Prometheus: ab start -> deploy render -> deploy validate (with
promtool) -> Prometheus loads the rendered rule groups and scrapes an exporter with known
accuracies -> ab status gives the verdict -> ab promote / ab abort, checked with raw git."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from canarykit import M, served_repo
from conftest import git, run_cli, snapshot
from promkit import Rates, exporter, prometheus, prometheus_bin, wait_for
from stagekit import ok

from llmgit.core import deployspec as manifests
from llmgit.infra import prometheus as promql

WINDOW = "30s"
STABLE, CANDIDATE = "1.0.1", "1.0.2"


@pytest.fixture
def served(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The served registry with promtool on PATH and rules that evaluate every second."""
    bin_dir = prometheus_bin()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    repo = served_repo(tmp_path, tmp_path_factory)
    path = repo / "llmgit.yaml"
    data = yaml.safe_load(path.read_text())
    data["deploy"] = {
        "namespace": "models",
        "storage_uri": "s3://ml-models/{name}/v{version}",
        "rule_interval": "1s",
        "alert_for": "0s",
    }
    path.write_text(yaml.safe_dump(data))
    return repo


@contextmanager
def canary_live(repo: Path, tmp_path: Path, candidate_rate: tuple[int, int]) -> Iterator[str]:
    """Start the canary, render and validate its manifests, then serve live numbers for them."""
    ok(repo, "ab", "start", M, "--candidate", CANDIDATE, "--percent", "20", "--reason", "LoRA r=16")
    out = tmp_path / "deploy"
    ok(repo, "deploy", "render", M, "--stage", "production", "--out", str(out))
    checked = ok(repo, "deploy", "validate", str(out))
    assert f"{out}: valid (schemas and semantic checks, promtool check rules)" in checked
    groups = yaml.safe_load((out / "prometheusrule.yaml").read_text())["spec"]["groups"]
    # per 0.1 s tick: the stable version gets four times the candidate's traffic
    rates: Rates = {(M, STABLE): (300, 400), (M, CANDIDATE): candidate_rate, ("other-llm", "1.0.0"): (1, 1)}
    with exporter(rates) as target, prometheus(tmp_path / "prometheus", groups, target) as url:
        yield url


def verdict(repo: Path, url: str) -> dict:
    def ready() -> dict | None:
        r = run_cli(repo, "ab", "status", M, "--prometheus", url, "--window", WINDOW, "--json")
        if r.code == 1 and ("has no evaluations of" in r.err or "no llmgit_eval_total samples" in r.err):
            return None  # not scraped twice yet
        assert r.code == 0, r.err
        data: dict = json.loads(r.out)
        return data if all(a["requests"] >= 1000 for a in data["arms"]) else None

    return wait_for("a live verdict", ready, timeout=90)


def recorded_ratio(url: str) -> dict[str, float] | None:
    ratio = manifests.record_names("5m")[2]
    found = {s.labels["version"]: s.value for s in promql.query(url, f'{ratio}{{model="{M}"}}', timeout=5)}
    return found if set(found) == {STABLE, CANDIDATE} else None


def test_better_canary_is_promoted(served: Path, tmp_path: Path) -> None:
    with canary_live(served, tmp_path, (90, 100)) as url:
        data = verdict(served, url)
        assert data["verdict"] == "promote"
        arms = {a["version"]: a for a in data["arms"]}
        assert arms[STABLE]["accuracy"] == pytest.approx(0.75, abs=1e-9)
        assert arms[CANDIDATE]["accuracy"] == pytest.approx(0.90, abs=1e-9)
        assert arms[STABLE]["requests"] == pytest.approx(4 * arms[CANDIDATE]["requests"], rel=1e-9)
        assert data["difference"] == pytest.approx(0.15, abs=1e-9) and data["interval"][0] > 0
        assert data["source"] == f"Prometheus at {url}" and data["window"] == WINDOW
        ratios = wait_for("the rendered recording rules", lambda: recorded_ratio(url), timeout=90)
        assert ratios == pytest.approx({STABLE: 0.75, CANDIDATE: 0.90}, abs=1e-9)
        text = run_cli(served, "ab", "status", M, "--prometheus", url, "--window", WINDOW)
        assert text.code == 0 and "verdict: PROMOTE: the 95% interval of the difference" in text.out
        healthy = run_cli(served, "guard", M, "--source", "prometheus", "--prometheus", url, "--window", WINDOW)
        assert healthy.code == 0 and f"canary v{CANDIDATE}: healthy" in healthy.out
    promoted = ok(served, "ab", "promote", M)
    assert f"Promoted canary {M} v{CANDIDATE} to production (was v{STABLE})" in promoted
    prod = yaml.safe_load(git(served, "show", "stage/production:stage.yaml"))["models"][M]
    assert (prod["version"], prod["action"], prod["reason"]) == (CANDIDATE, "canary-promote", "LoRA r=16")
    assert "canary" not in prod
    assert git(served, "rev-parse", f"{M}#production^{{commit}}") == git(
        served, "rev-parse", f"{M}@v{CANDIDATE}^{{commit}}"
    )
    archived = yaml.safe_load(git(served, "show", "stage/archived:stage.yaml"))["models"][M]
    assert [e["version"] for e in archived] == ["1.0.0", STABLE]
    isvc = yaml.safe_load(git(served, "show", f"stage/production:deploy/{M}/inferenceservice.yaml"))
    assert isvc["metadata"]["namespace"] == "models" and "canaryTrafficPercent" not in isvc["spec"]["predictor"]
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == f"s3://ml-models/{M}/v{CANDIDATE}"


def test_worse_canary_is_rolled_back(served: Path, tmp_path: Path) -> None:
    with canary_live(served, tmp_path, (50, 100)) as url:
        data = verdict(served, url)
        assert data["verdict"] == "rollback" and data["interval"][1] < -0.02
        assert {a["version"]: a["accuracy"] for a in data["arms"]} == pytest.approx({STABLE: 0.75, CANDIDATE: 0.5})
        alert = f'ALERTS{{alertname="{manifests.ALERT_NAME}",alertstate="firing"}}'
        firing = wait_for("the rendered canary alert", lambda: promql.query(url, alert, timeout=5), timeout=90)
        assert [(s.labels["model"], s.labels["version"]) for s in firing] == [(M, CANDIDATE)]
        before = snapshot(served)
        guard = run_cli(served, "guard", M, "--source", "prometheus", "--prometheus", url, "--window", WINDOW)
        assert guard.code == 5, guard.err
        # read a while after the verdict, so a scrape may fall differently across the window
        # edge for requests and for correct answers; their ratio between the arms holds
        seen = re.search(
            rf"{M} production canary v{CANDIDATE}: DEGRADED: accuracy (0\.\d+) of canary "
            rf"v{CANDIDATE} against (0\.\d+) of v{STABLE}",
            guard.out,
        )
        assert seen, guard.err
        assert float(seen[1]) / float(seen[2]) == pytest.approx(0.5 / 0.75, abs=0.02)
        assert snapshot(served) == before
    aborted = ok(served, "ab", "abort", M, "--reason", "worse on long prompts")
    assert f"Aborted canary {M} v{CANDIDATE} in production; v{STABLE} serves all traffic" in aborted
    assert git(served, "log", "-1", "--format=%s", "stage/production").strip() == (
        f"abort canary {M} v{CANDIDATE} in production"
    )
    prod = yaml.safe_load(git(served, "show", "stage/production:stage.yaml"))["models"][M]
    assert prod["version"] == STABLE and "canary" not in prod
    isvc = yaml.safe_load(git(served, "show", f"stage/production:deploy/{M}/inferenceservice.yaml"))
    assert isvc["spec"]["predictor"]["canaryTrafficPercent"] == 0
    assert git(served, "rev-parse", f"{M}#production^{{commit}}") == git(
        served, "rev-parse", f"{M}@v{STABLE}^{{commit}}"
    )
