"""A real Prometheus on loopback and a small eval exporter (prometheus_client) for the tests.

The exporter serves ``llmgit_eval_correct_total`` and ``llmgit_eval_total`` per
``(model, version)``; a feeder thread adds fixed (correct, total) per tick, and one scrape
reads both counters from the same tick, so accuracies over any window are exact.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from prometheus_bin import find_prometheus_bin
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily

TICK = 0.1  # seconds between counter increments
MAX_TICKS = 3000  # the feeder stops by itself after 5 minutes
T = TypeVar("T")
Rates = Mapping[tuple[str, str], tuple[int, int]]  # (model, version) -> (correct, total) per tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except Exception as e:  # noqa: BLE001 - keep polling, report the last failure
            last = e
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what} (last error: {last})")


class EvalExporter:
    """Counters per (model, version), read consistently under a lock."""

    def __init__(self, rates: Rates, nan_series: tuple[tuple[str, str], ...] = ()) -> None:
        self.rates = dict(rates)
        self.nan_series = nan_series
        self.lock = threading.Lock()
        self.ticks = 0

    def collect(self) -> Iterator[CounterMetricFamily]:
        with self.lock:
            ticks = self.ticks
        correct = CounterMetricFamily("llmgit_eval_correct", "correct evals", labels=["model", "version"])
        total = CounterMetricFamily("llmgit_eval", "evals", labels=["model", "version"])
        for (model, version), (c, t) in self.rates.items():
            correct.add_metric([model, version], c * ticks)
            total.add_metric([model, version], t * ticks)
        for model, version in self.nan_series:  # a broken exporter
            total.add_metric([model, version], float("nan"))
        yield correct
        yield total

    def feed(self, stop: threading.Event) -> None:
        for _ in range(MAX_TICKS):
            if stop.wait(TICK):
                return
            with self.lock:
                self.ticks += 1


@contextmanager
def exporter(rates: Rates, nan_series: tuple[tuple[str, str], ...] = ()) -> Iterator[str]:
    """Serve the counters on loopback; yields the scrape target ``127.0.0.1:PORT``."""
    source = EvalExporter(rates, nan_series)
    registry = CollectorRegistry()
    registry.register(source)  # type: ignore[arg-type]
    port = free_port()
    httpd, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    stop = threading.Event()
    feeder = threading.Thread(target=source.feed, args=(stop,), daemon=True)
    feeder.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop.set()
        feeder.join(timeout=5)
        httpd.shutdown()


def prometheus_bin() -> Path:
    """The directory with prometheus and promtool; skips the test (with why) when unavailable."""
    bin_dir, why = find_prometheus_bin()
    if bin_dir is None:
        pytest.skip(why)
    return bin_dir


@contextmanager
def prometheus(tmp: Path, rule_groups: list[Any], target: str) -> Iterator[str]:
    """A real Prometheus on loopback: 1 s scrapes of ``target``, ``rule_groups`` loaded as a
    rule file (the ``spec.groups`` of a PrometheusRule). Yields its base URL."""
    bin_dir = prometheus_bin()
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups}))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp / "rules.yaml")],
        "scrape_configs": [{"job_name": "llmgit-eval", "static_configs": [{"targets": [target]}]}],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = tmp / "prometheus.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(bin_dir / "prometheus"), f"--config.file={tmp / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:

            def ready() -> bool:
                if proc.poll() is not None:
                    pytest.fail(f"prometheus exited: {log_path.read_text()[-2000:]}")
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
                    return bool(r.status == 200)

            wait_for("prometheus to be ready", ready)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
