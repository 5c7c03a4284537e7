"""One MLflow registry script, run against MLflow on SQLite and against llmgit: same transcript.

The script (registry_script.py) is plain MLflow code; only the registry URI changes between
the two runs. Each run is a fresh interpreter, so MLflow's global state cannot leak across.
Where llmgit differs from MLflow on purpose (one version per stage, no renames, llmgit model
names), the script stays clear of it and the llmgit-only tests below pin the documented behaviour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import git, make_weights

SCRIPT = Path(__file__).with_name("registry_script.py")
pytestmark = pytest.mark.filterwarnings("ignore:.*registry stages:FutureWarning")  # stages are the subject


def mlflow_env(home: Path) -> dict[str, str]:
    """The test's isolated environment, with the wall clock back: MLflow stamps real time."""
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    env.update(HOME=str(home), MLFLOW_ALLOW_FILE_STORE="true", MLFLOW_DISABLE_TELEMETRY="true")
    return env


def run_script(work: Path, registry_uri: str) -> list[dict[str, Any]]:
    work.mkdir(parents=True)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--tracking-uri", (work / "mlruns").as_uri(), "--registry-uri", registry_uri,
         "--workdir", str(work / "work")],
        cwd=work, env=mlflow_env(work), capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"the script failed against {registry_uri}:\n{proc.stderr[-6000:]}"
    return [json.loads(line) for line in proc.stdout.splitlines()]


def first_difference(want: list[dict[str, Any]], got: list[dict[str, Any]]) -> str:
    """Empty if equal; else the first differing record in full, then a list of all that differ."""
    differing = [i for i, (w, g) in enumerate(zip(want, got, strict=False)) if w != g]
    if not differing and len(want) == len(got):
        return ""
    lines = []
    if differing:
        i = differing[0]
        lines += [
            f"record {i}: {want[i]['call']} {json.dumps(want[i]['args'])}",
            f"  MLflow on SQLite: {json.dumps({k: v for k, v in want[i].items() if k not in ('call', 'args')})}",
            f"  llmgit:           {json.dumps({k: v for k, v in got[i].items() if k not in ('call', 'args')})}",
            f"{len(differing)} of {min(len(want), len(got))} records differ:",
        ]
        lines += [f"  {i}: {want[i]['call']} {json.dumps(want[i]['args'])}" for i in differing]
    if len(want) != len(got):
        lines.append(f"MLflow on SQLite wrote {len(want)} records, llmgit {len(got)}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def sqlite_transcript(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    work = tmp_path_factory.mktemp("sqlite") / "run"
    return run_script(work, f"sqlite:///{work.parent / 'registry.db'}")


def test_script_makes_forty_distinct_calls_on_sqlite(sqlite_transcript: list[dict[str, Any]]) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    from registry_script import distinct_calls

    methods = {r["call"] for r in sqlite_transcript if not r["call"].startswith("script:")}
    assert len(distinct_calls(sqlite_transcript)) >= 40
    assert len(methods) >= 25, sorted(methods)
    assert not [r for r in sqlite_transcript if "checks" in r]  # timestamps, download URIs: sane
    errors = {r["error"] for r in sqlite_transcript if "error" in r}
    assert errors == {"RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}
    weights = [r["result"] for r in sqlite_transcript if r["call"] == "mlflow.artifacts.download_artifacts"]
    assert weights == [{"weights_match": True}] * 4


def test_llmgit_answers_the_script_as_mlflow_on_sqlite(
    sqlite_transcript: list[dict[str, Any]], registry_repo: Path, tmp_path: Path
) -> None:
    got = run_script(tmp_path / "llmgit", f"llmgit://{registry_repo}")
    difference = first_difference(sqlite_transcript, got)
    assert not difference, "llmgit differs from MLflow on SQLite\n" + difference
    tags = git(registry_repo, "tag", "-l").split()
    assert {"alpha-chat@v1.0.0", "beta.coder@v1.0.0", "gamma_vision@v1.0.0"} <= set(tags)


# -- where llmgit differs from MLflow on purpose --


@pytest.fixture
def llmgit_client(registry_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An MlflowClient on the llmgit registry, in this process (no MLflow globals set)."""
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri(), registry_uri=f"llmgit://{registry_repo}")


def register(client: Any, name: str, weights: Path, seed: int) -> None:
    make_weights(weights / f"w{seed}", seed)
    client.create_model_version(name, str(weights / f"w{seed}"))


def test_rename_is_refused(llmgit_client: Any, tmp_path: Path) -> None:
    from mlflow.exceptions import MlflowException

    llmgit_client.create_registered_model("chat")
    with pytest.raises(MlflowException) as raised:
        llmgit_client.rename_registered_model("chat", "chat2")
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert llmgit_client.get_registered_model("chat").name == "chat"


@pytest.mark.parametrize("name", ["Chat", "my model", "-chat", "chat-", "chat/v2"], ids=repr)
def test_names_llmgit_cannot_tag_are_refused(llmgit_client: Any, name: str) -> None:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as raised:
        llmgit_client.create_registered_model(name)
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"


def test_one_version_per_stage_even_without_archive_existing_versions(llmgit_client: Any, tmp_path: Path) -> None:
    client = llmgit_client
    client.create_registered_model("chat")
    for seed in (1, 2):
        register(client, "chat", tmp_path / "weights", seed)
    client.transition_model_version_stage("chat", "1", "Production")
    with pytest.warns(Warning, match="one version per stage"):
        client.transition_model_version_stage("chat", "2", "Production", archive_existing_versions=False)
    stages = {int(mv.version): mv.current_stage for mv in client.search_model_versions("name = 'chat'")}
    assert stages == {1: "Archived", 2: "Production"}  # MLflow on SQLite would keep both in Production
