"""llmgit.infra.prometheus against a real Prometheus that loads the rules llmgit.infra.manifests renders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from promkit import exporter, free_port, wait_for
from promkit import prometheus as running_prometheus

from llmgit import errors
from llmgit.core import abstats, deployspec, promql
from llmgit.errors import UsageError
from llmgit.infra import manifests, prometheus

MODEL = "support-llm"
WINDOW = "30s"
# (correct, total) added per tick: stable 75% accurate, candidate 50%, another model 100%
PER_TICK = {(MODEL, "1.2.0"): (3, 4), (MODEL, "1.3.0"): (1, 2), ("other-llm", "1.2.0"): (1, 1)}


@dataclass(frozen=True)
class Server:
    url: str
    spec: deployspec.DeploySpec


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    spec = deployspec.DeploySpec(
        model=MODEL,
        stable_version="1.2.0",
        stable_uri="s3://m/1.2.0",
        candidate_version="1.3.0",
        candidate_uri="s3://m/1.3.0",
        rate_window=WINDOW,
        rule_interval="1s",
        alert_for="0s",
        alert_min_requests=10,
    )
    groups = manifests.render(spec).prometheus_rule.document["spec"]["groups"]
    with (
        exporter(PER_TICK, nan_series=(("nan-llm", "1.0.0"),)) as target,
        running_prometheus(tmp_path_factory.mktemp("prometheus"), groups, target) as url,
    ):
        yield Server(url, spec)


def test_eval_counts_per_version(server: Server) -> None:
    def counts() -> dict[str, abstats.Arm] | None:
        found = prometheus.eval_counts(server.url, MODEL, WINDOW, timeout=5)
        ok = set(found) == {"1.2.0", "1.3.0"} and all(a.total >= 40 for a in found.values())
        return found if ok else None

    found = wait_for("two versions with evaluations", counts)
    stable, candidate = found["1.2.0"], found["1.3.0"]
    assert stable.accuracy == pytest.approx(0.75, abs=1e-9)
    assert candidate.accuracy == pytest.approx(0.5, abs=1e-9)
    assert stable.total == pytest.approx(2 * candidate.total, rel=1e-9)
    assert abstats.compare(stable, candidate).verdict is abstats.Verdict.rollback


def _values(server: Server, promql: str) -> dict[str, float]:
    samples = prometheus.query(server.url, promql, timeout=5)
    return {s.labels.get("version", ""): s.value for s in samples}


def test_recorded_series_exist(server: Server) -> None:
    correct, total, ratio = deployspec.record_names(WINDOW)

    def recorded() -> dict[str, float] | None:
        values = _values(server, f'{ratio}{{model="{MODEL}",job="llmgit-eval"}}')
        return values if set(values) == {"1.2.0", "1.3.0"} else None

    ratios = wait_for("the recorded accuracy ratio", recorded)
    assert ratios["1.2.0"] == pytest.approx(0.75, abs=1e-9)
    assert ratios["1.3.0"] == pytest.approx(0.5, abs=1e-9)
    for name in (correct, total):
        assert set(_values(server, f'{name}{{model="{MODEL}"}}')) == {"1.2.0", "1.3.0"}
    assert "other-llm" not in str(prometheus.query(server.url, ratio, timeout=5))


def test_alert_fires_for_the_worse_candidate(server: Server) -> None:
    query = f'ALERTS{{alertname="{deployspec.ALERT_NAME}",alertstate="firing"}}'
    firing = wait_for("the canary alert", lambda: prometheus.query(server.url, query, timeout=5))
    assert [(s.labels["model"], s.labels["version"], s.labels["severity"]) for s in firing] == [
        (MODEL, "1.3.0", "warning")
    ]


def test_no_data_names_metric_model_and_window(server: Server) -> None:
    with pytest.raises(errors.NoData) as e:
        prometheus.eval_counts(server.url, "no-such-model", WINDOW, timeout=5)
    assert str(e.value) == (
        "no llmgit_eval_total samples for model 'no-such-model' in the last 30s: nothing was scraped for it"
    )


def test_nan_counter_is_an_error(server: Server) -> None:
    def nan_error() -> errors.BadValue | None:
        try:
            prometheus.eval_counts(server.url, "nan-llm", WINDOW, timeout=5)
        except errors.BadValue as e:
            return e
        except errors.NoData:
            return None  # not scraped twice yet
        pytest.fail("a NaN counter was accepted")

    error = wait_for("a NaN increase", nan_error)
    assert "llmgit_eval_total for model 'nan-llm' version '1.0.0' over 30s is nan" in str(error)


def test_bad_query_carries_prometheus_error(server: Server) -> None:
    with pytest.raises(errors.BadQuery) as e:
        prometheus.query(server.url, "sum by (", timeout=5)
    assert "Prometheus rejected the query sum by (: bad_data:" in str(e.value)
    assert "parse error" in str(e.value)


def test_other_http_errors(server: Server) -> None:
    with pytest.raises(errors.PrometheusError, match="answered HTTP 404"):
        prometheus.query(f"{server.url}/not-prometheus", "up", timeout=5)


def test_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(errors.PrometheusUnreachable) as e:
        prometheus.eval_counts(url, MODEL, "5m", timeout=2)
    assert str(e.value).startswith(f"cannot reach Prometheus at {url}: ")
    assert "refused" in str(e.value).lower()


@pytest.mark.parametrize(
    ("window", "seconds"), [("5m", 300), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("500ms", 0.5), ("2w", 1209600)]
)
def test_parse_duration(window: str, seconds: float) -> None:
    assert promql.parse_duration(window) == seconds


@pytest.mark.parametrize("window", ["", "5", "5 minutes", "m5", "1.5h", "5M", "0s", "0"])
def test_bad_windows_are_refused_before_any_query(window: str) -> None:
    with pytest.raises(UsageError):
        prometheus.eval_counts("http://127.0.0.1:1", MODEL, window)


def test_queries() -> None:
    assert promql.count_queries("a.b", "1h") == (
        'sum by (version) (increase(llmgit_eval_correct_total{model="a.b"}[1h]))',
        'sum by (version) (increase(llmgit_eval_total{model="a.b"}[1h]))',
    )
    assert promql.promql_string('x"y\\') == '"x\\"y\\\\"'


def test_url_must_be_http() -> None:
    with pytest.raises(UsageError, match="is not a Prometheus URL"):
        prometheus.query("localhost:9090", "up")
