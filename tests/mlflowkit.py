"""A real ``mlflow server`` on loopback and a small registry built through MLflow's client.

``mlflow_server`` starts the server in its own process group (uvicorn, one worker), waits for
``/health`` up to a deadline and stops the whole group on exit. ``build_registry`` fills any
registry URI (``llmgit:...`` or MLflow's own ``sqlite:///...``) with the same two models through
the real ``MlflowClient``, so tests can compare what each store serves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import free_port, git, make_weights

from llmgit.cli.main import main

MLFLOW = Path(sys.executable).parent / "mlflow"
START_TIMEOUT = 90.0
# no telemetry, and no background job runners (huey consumers) beside the web server
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


@dataclass(frozen=True)
class VersionSpec:
    """One registered version as MLflow shows it after ``build_registry``."""

    number: int
    stage: str  # None, Staging, Production, Archived
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    tags: Mapping[str, str]
    versions: tuple[VersionSpec, ...]

    @property
    def latest(self) -> int:
        return max(v.number for v in self.versions)

    def holder(self, stage: str) -> VersionSpec:
        return next(v for v in self.versions if v.stage == stage)


MODELS = (
    ModelSpec(
        "llama2-7b-alpaca",
        "Llama 2 7B, LoRA on Alpaca",
        {"team": "nlp"},
        (
            VersionSpec(1, "Archived", tags={"dataset": "tatsu-lab/alpaca"}),
            VersionSpec(2, "Production", ("champion",), {"dataset": "tatsu-lab/alpaca"}),
            VersionSpec(3, "Staging", ("challenger",), {"dataset": "tatsu-lab/alpaca-cleaned"}),
        ),
    ),
    ModelSpec(
        "mistral-7b-chat",
        "Mistral 7B chat",
        {"team": "chat"},
        (
            VersionSpec(1, "Production", ("champion",), {"dataset": "ultrachat"}),
            VersionSpec(2, "None", tags={"dataset": "ultrachat"}),
        ),
    ),
)


def init_registry(root: Path, remote: Path) -> Path:
    """A git repository with one commit after ``llmgit init --remote REMOTE``."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# experiments\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    old = os.getcwd()
    os.chdir(root)
    try:
        code = main(["-C", str(root), "init", "--remote", str(remote)])
    finally:
        os.chdir(old)
    assert code == 0, f"llmgit init exited {code}"
    return root


def build_registry(
    registry_uri: str, tracking_uri: str, weights: Path, tick: Callable[[], object] | None = None
) -> tuple[ModelSpec, ...]:
    """Register ``MODELS`` through ``MlflowClient``: versions, stages, aliases, tags, descriptions.

    Each version's source is a small model directory under ``weights``. The second Production
    transition archives the first holder, which llmgit does anyway (one version per stage).
    ``tick`` runs before each registration: a clock that moves git's dates on (sitekit's
    ``Ticker.tick``) gives every version its own creation time, as MLflow's UI orders by it.
    """
    from mlflow import MlflowClient

    with warnings.catch_warnings():  # stages are deprecated in MLflow, not in llmgit
        warnings.filterwarnings("ignore", category=FutureWarning)
        client = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
        for seed, model in enumerate(MODELS):
            client.create_registered_model(model.name, tags=dict(model.tags), description=model.description)
            for v in model.versions:
                source = weights / model.name / f"v{v.number}"
                make_weights(source, seed=100 * seed + v.number)
                if tick:
                    tick()
                mv = client.create_model_version(
                    model.name, str(source), tags=dict(v.tags), description=f"{model.name} version {v.number}"
                )
                assert int(mv.version) == v.number, (model.name, mv.version)
            # an Archived version held Production before a later one took it over
            for v in model.versions:
                if v.stage in ("Archived", "Production"):
                    client.transition_model_version_stage(model.name, str(v.number), "Production", True)
            for v in model.versions:
                if v.stage == "Staging":
                    client.transition_model_version_stage(model.name, str(v.number), "Staging")
            for v in model.versions:
                for alias in v.aliases:
                    client.set_registered_model_alias(model.name, alias, str(v.number))
    return MODELS


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` (JSON) with query ``params``; lists become repeated parameters."""
        query = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(f"{self.url}{path}{'?' + query if query else ''}", timeout=30) as r:
            return json.loads(r.read())

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group, SIGKILL if it is still there after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def mlflow_server(
    workdir: Path, registry_uri: str, backend_uri: str | None = None, timeout: float = START_TIMEOUT
) -> Iterator[Server]:
    """``mlflow server`` on 127.0.0.1 and a free port, one uvicorn worker, logs in ``workdir``.

    The backend (tracking) store defaults to SQLite in ``workdir``; the process inherits the
    environment (the caller's HOME and git identity: the llmgit store commits as that user).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "mlflow-server.log"
    argv = [
        str(MLFLOW),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_uri or f"sqlite:///{workdir / 'mlflow.db'}",
        "--registry-store-uri",
        registry_uri,
        "--default-artifact-root",
        (workdir / "artifacts").as_uri(),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env={**os.environ, **QUIET},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited {proc.returncode}:\n{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server not healthy after {timeout:.0f} s:\n{log.read_text(errors='replace')}"
                )
            time.sleep(0.5)
        yield Server(url, log)
    finally:
        _stop(proc)
