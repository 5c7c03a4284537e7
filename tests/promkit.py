"""A real Prometheus on loopback and a small eval exporter (prometheus_client) for the tests.

The exporter serves ``llmgit_eval_correct_total`` and ``llmgit_eval_total`` per
``(model, version)``; every scrape adds fixed (correct, total) per tick, TICKS_PER_SCRAPE
ticks, and reads both counters from the same tick, so accuracies over any window are exact.
Nothing sleeps: :func:`wait_for` probes again after each scrape (Prometheus scrapes and
evaluates rules every second), up to a deadline.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from prometheus_bin import find_prometheus_bin
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily

TICKS_PER_SCRAPE = 10  # ticks of counts added by each scrape
T = TypeVar("T")
Rates = Mapping[tuple[str, str], tuple[int, int]]  # (model, version) -> (correct, total) per tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Scrapes:
    """How many times Prometheus scraped the running exporter; waiters wake on each scrape."""

    count: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def seen(self) -> None:
        with self.changed:
            self.count += 1
            self.changed.notify_all()

    def after(self, count: int, timeout: float) -> bool:
        """Wait until a scrape after the ``count``-th one happened (False: the timeout passed)."""
        with self.changed:
            return self.changed.wait_for(lambda: self.count > count, timeout=max(0.0, timeout))


SCRAPES = Scrapes()  # of the exporter running now (the tests run one at a time)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Probe now and again after each scrape until ``probe`` returns something truthy; fail
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        seen = SCRAPES.count
        try:
            result = probe()
            if result:
                return result
        except Exception as e:  # noqa: BLE001 - keep probing, report the last failure
            last = e
        if not SCRAPES.after(seen, deadline - time.monotonic()):
            pytest.fail(f"timed out after {timeout:g} s waiting for {what} (last error: {last})")


class EvalExporter:
    """Counters per (model, version), read consistently under a lock."""

    def __init__(self, rates: Rates, nan_series: tuple[tuple[str, str], ...] = ()) -> None:
        self.rates = dict(rates)
        self.nan_series = nan_series
        self.lock = threading.Lock()
        self.ticks = 0
        self.scrapes = Scrapes()

    def collect(self) -> Iterator[CounterMetricFamily]:
        with self.lock:
            self.ticks += TICKS_PER_SCRAPE
            ticks = self.ticks
        correct = CounterMetricFamily("llmgit_eval_correct", "correct evals", labels=["model", "version"])
        total = CounterMetricFamily("llmgit_eval", "evals", labels=["model", "version"])
        for (model, version), (c, t) in self.rates.items():
            correct.add_metric([model, version], c * ticks)
            total.add_metric([model, version], t * ticks)
        for model, version in self.nan_series:  # a broken exporter
            total.add_metric([model, version], float("nan"))
        self.scrapes.seen()
        yield correct
        yield total


@contextmanager
def exporter(rates: Rates, nan_series: tuple[tuple[str, str], ...] = ()) -> Iterator[str]:
    """Serve the counters on loopback; yields the scrape target ``127.0.0.1:PORT``."""
    global SCRAPES
    source = EvalExporter(rates, nan_series)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(source)  # type: ignore[arg-type]
    SCRAPES = source.scrapes
    port = free_port()
    httpd, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"127.0.0.1:{port}"
    finally:
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
            [
                str(bin_dir / "prometheus"),
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
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
