"""MLflow writes through the plugin killed at their k-th git call: the registry stays readable
(by MLflow and by llmgit), nothing is half-recorded on a ref, and running the call again ends
where an uninterrupted call ends."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import git, make_weights
from faultkit import KILLED, Shim, copy_repo, full_sweep

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

CHILD = """
import json, os, sys, warnings
warnings.simplefilter("ignore")
open(os.environ["LLMGIT_FAULT_PIDFILE"], "w").write(str(os.getpid()))
from mlflow import MlflowClient
c = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[2])
call = json.loads(sys.argv[3])
getattr(c, call[0])(*call[1:])
"""

CALLS = {  # each child starts MLflow (about 2 s): the sample is small, LLMGIT_FAULT_SWEEP=full runs them all
    "transition": ["transition_model_version_stage", "chat", "2", "Production", True],
    "delete": ["delete_model_version", "chat", "1"],
}
if full_sweep():
    CALLS |= {
        "archive": ["transition_model_version_stage", "chat", "1", "Archived"],
        "alias": ["set_registered_model_alias", "chat", "champion", "2"],
    }


def view(repo: Path, tracking: str) -> list[tuple[object, ...]]:
    c = MlflowClient(tracking_uri=tracking, registry_uri=f"llmgit://{repo}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = c.search_model_versions("name='chat'", order_by=["version_number"])
        model = c.get_registered_model("chat")
    return [(m.version, m.current_stage, m.description, tuple(sorted(m.tags.items()))) for m in found] + [
        ("aliases", tuple(sorted(model.aliases.items())))
    ]


def run(
    shim: Shim, repo: Path, tracking: str, call: list[object], at: int = 0, when: str = "before"
) -> tuple[int, int, str]:
    shim.count.write_text("0")
    env = shim.env(at, when, {"MLFLOW_ALLOW_FILE_STORE": "true"})
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, tracking, f"llmgit://{repo}", json.dumps(call)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return proc.returncode, int(shim.count.read_text().strip() or 0), proc.stderr


@pytest.mark.parametrize("name", list(CALLS))
def test_mlflow_write_killed_at_each_git_call(
    name: str, registry_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    tracking = (tmp_path / "mlruns").as_uri()
    c = MlflowClient(tracking_uri=tracking, registry_uri=f"llmgit://{registry_repo}")
    c.create_registered_model("chat")
    for seed in (1, 2):
        make_weights(tmp_path / f"w{seed}", seed=seed)
        c.create_model_version("chat", str(tmp_path / f"w{seed}"), description=f"seed {seed}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c.transition_model_version_stage("chat", "1", "Production")
    c.set_registered_model_alias("chat", "champion", "1")
    shim = Shim(tmp_path / "kit")
    reference = copy_repo(registry_repo, tmp_path / "reference")
    code, calls, err = run(shim, reference, tracking, CALLS[name])
    assert code == 0, err
    expected = view(reference, tracking)
    assert expected != view(registry_repo, tracking)
    points = [(k, w) for k in range(1, calls + 1) for w in ("before", "after")]
    if not full_sweep():  # a sample: the last calls, where refs move, and one in the middle
        points = [
            (calls // 2, "after"),
            (calls - 2, "after"),
            (calls - 1, "after"),
            (calls, "after"),
            (calls, "before"),
        ]
    for i, (k, when) in enumerate(points):
        work = copy_repo(registry_repo, tmp_path / f"k{i}")
        killed, _, err = run(shim, work, tracking, CALLS[name], at=k, when=when)
        assert killed in (KILLED, 0, 1), f"k={k} {when}: {err}"
        fsck = git(work, "fsck", "--connectivity-only", "--no-dangling", check=False)
        assert "error" not in fsck.lower() and "missing" not in fsck.lower(), fsck
        stages = subprocess.run(
            [sys.executable, "-m", "llmgit", "-C", str(work), "stages"], capture_output=True, check=False
        )
        assert stages.returncode == 0, stages.stderr  # readable by llmgit
        if view(work, tracking) == expected:  # and by MLflow; killed after the call was done
            continue
        code, _, err = run(shim, work, tracking, CALLS[name])
        assert code == 0, f"k={k} {when}: the rerun failed: {err}"
        assert view(work, tracking) == expected, (
            f"k={k} {when}: the rerun does not end where an uninterrupted call does"
        )
    print(f"{name}: {calls} git calls, {len(points)} fault points")
