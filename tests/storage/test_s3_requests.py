"""``cost`` and ``lifecycle plan`` on S3: one listing pass and no request per version, counted
from the S3 server's own request log (moto's server on 127.0.0.1). A manifest that is neither
remembered nor in the local cache (a fresh clone) is read once, then remembered."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Clock, S3Target, make_weights
from stagekit import ok

from llmgit.infra import git

M = "chat"
DAY = 86400
T0 = 1_780_000_000
_REQUEST = re.compile(r'"(GET|PUT|HEAD|POST|DELETE) (\S+) HTTP/')


class ServerLog(logging.Handler):
    """The request lines the S3 server logs (werkzeug: one per HTTP request served)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def requests(self) -> list[tuple[str, str]]:
        found = [_REQUEST.search(line) for line in self.lines]
        return [(f[1], f[2]) for f in found if f]


@pytest.fixture
def server_log(s3: S3Target) -> Iterator[ServerLog]:
    if s3.endpoint is None:
        pytest.skip("counts the requests moto's server logs")
    logger = logging.getLogger("werkzeug")
    handler, level = ServerLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _kinds(requests: list[tuple[str, str]], bucket: str) -> dict[str, int]:
    kinds = {"list": 0, "get": 0, "other": 0}
    for method, target in requests:
        path, _, query = target.partition("?")
        if method == "GET" and "list-type=2" in query:
            kinds["list"] += 1
        elif method == "GET" and path.startswith(f"/{bucket}/"):
            kinds["get"] += 1
        else:
            kinds["other"] += 1
    return kinds


@pytest.mark.parametrize("command", [["cost"], ["lifecycle", "plan"]], ids=["cost", "lifecycle-plan"])
def test_one_listing_and_a_get_per_manifest_only_once(
    s3_repo: Path, s3: S3Target, server_log: ServerLog, command: list[str]
) -> None:
    for seed in (1, 2, 3):
        make_weights(s3_repo / "out" / M, seed=seed)
        ok(s3_repo, "register", M, "-w", f"out/{M}")
    ok(s3_repo, "push")
    cache = s3_repo / ".dvc" / "cache"
    shutil.rmtree(cache)  # a fresh clone: no manifest cached, none remembered
    (git.common_dir(s3_repo) / "llmgit" / "cache" / "manifests.json").unlink(missing_ok=True)

    server_log.lines.clear()
    ok(s3_repo, *command)
    first = _kinds(server_log.requests(), s3.bucket)
    assert first == {"list": 1, "get": 3, "other": 0}  # one GET per version's manifest

    server_log.lines.clear()
    ok(s3_repo, *command)
    assert _kinds(server_log.requests(), s3.bucket) == {"list": 1, "get": 0, "other": 0}


def test_a_purged_version_costs_no_request_either(
    s3_repo: Path, s3: S3Target, server_log: ServerLog, clock: Clock
) -> None:
    """The purge rule looks for a purged version's objects stored again: from its remembered
    manifest too, not a GET each time."""
    clock.set(T0)
    for seed in (1, 2):
        make_weights(s3_repo / "out" / M, seed=seed)
        ok(s3_repo, "register", M, "-w", f"out/{M}")
    ok(s3_repo, "push")
    for version in ("1.0.0", "1.0.1"):
        ok(s3_repo, "promote", f"{M}@v{version}", "--to", "production", "--direct", "--skip-staging")
    clock.set(T0 + 400 * DAY)
    assert f"purge {M}@v1.0.0" in ok(s3_repo, "lifecycle", "apply")
    clock.tick()
    shutil.rmtree(s3_repo / ".dvc" / "cache")  # the purged version's manifest only remembered

    server_log.lines.clear()
    ok(s3_repo, "lifecycle", "plan")
    ok(s3_repo, "cost")
    assert _kinds(server_log.requests(), s3.bucket) == {"list": 2, "get": 0, "other": 0}
