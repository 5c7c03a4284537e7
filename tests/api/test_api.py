"""The Python API (llmgit-native: SemVer strings, dataclasses) on a real registry, checked with raw git."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from conftest import git, make_weights, run_cli
from stagekit import ok

import llmgit
from llmgit.api.tracking import default_run_name
from llmgit.errors import InputError, UnknownReference, UsageError

M = "llama2-7b-alpaca"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trained(registry_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """v1.0.0 registered earlier (val_accuracy 0.80); new weights in out/ from this run."""
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    ok(
        repo,
        "register",
        M,
        "-w",
        f"out/{M}",
        "-M",
        "val_accuracy=0.80",
        "-M",
        "val_loss=0.61",
        "-p",
        "lora_r=4",
        "-p",
        "learning_rate=1e-4",
        "-m",
        "first try",
    )
    make_weights(repo / "out" / M, seed=2)
    monkeypatch.chdir(repo)
    return repo


def commit_of(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", f"{ref}^{{commit}}").strip()


def test_the_issue_example_as_written(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import llmgit

    reg = llmgit.Registry(".")
    with llmgit.start_run(reg, experiment="llama2-finetuning", run_name="llama2-7b-alpaca") as run:
        run.log_params({"model": "llama-2-7b", "learning_rate": 3e-4, "lora_r": 8})
        run.log_metrics({"val_loss": 0.45, "val_accuracy": 0.92})
        mv = run.log_model("out/llama2-7b-alpaca", registered_model_name="llama2-7b-alpaca")

    versions = reg.search_details("name = 'llama2-7b-alpaca'")
    reg.transition("llama2-7b-alpaca", mv.version, "production")
    v1 = reg.details("llama2-7b-alpaca@v1.0.0")
    print(v1.metrics["val_accuracy"], v1.params["lora_r"], v1.stage, v1.card["training"])
    current = reg.holders("llama2-7b-alpaca")["production"]
    reg.rollback_to_version("llama2-7b-alpaca", "1.0.0", reason="regression")
    rolled_back = reg.auto_rollback_if_degraded("llama2-7b-alpaca", metric="val_accuracy", threshold=0.05)

    repo = trained
    assert mv.version == "1.0.1" and run.status == "FINISHED"
    assert [v.version for v in versions] == ["1.0.1", "1.0.0"]
    assert current.version == "1.0.1" and current.stage == "production"
    assert capsys.readouterr().out.startswith("0.8 4 None {'dataset': None")
    # 1.0.1 was rolled back from by a person: the guard never restores it (I2, I5)
    assert rolled_back is False
    assert commit_of(repo, f"{M}#production") == commit_of(repo, f"{M}@v1.0.0")
    log = git(repo, "log", "--format=%s", "stage/production").splitlines()
    assert log == [f"roll back {M} to v1.0.0 in production", f"promote {M} v1.0.1 to production"]
    prod = yaml.safe_load(git(repo, "show", "stage/production:stage.yaml"))["models"][M]
    assert prod["reason"] == "regression" and prod["action"] == "rollback"
    # the run's params and metrics are in the tag summary and the card
    summary = yaml.safe_load(git(repo, "tag", "-l", "--format=%(contents)", f"{M}@v1.0.1").split("\n\n", 1)[1])
    assert summary["params"] == {"model": "llama-2-7b", "learning_rate": 0.0003, "lora_r": 8}
    assert summary["metrics"] == {"val_loss": 0.45, "val_accuracy": 0.92}
    assert summary["message"] == "run llama2-7b-alpaca in llama2-finetuning"
    assert reg.details(f"{M}@v1.0.1").card["training"]["lora_r"] == 8


def test_the_example_in_the_docs_is_the_one_tested() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    body = source.split("    import llmgit\n\n", 1)[1].split("\n\n    repo = trained", 1)[0]
    example = "import llmgit\n\n" + "\n".join(line[4:] for line in body.splitlines())
    assert f"```python\n{example}\n```" in (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def test_version_forms_holders_and_search(trained: Path) -> None:
    reg = llmgit.Registry(".")
    ok(trained, "register", M, "-w", f"out/{M}", "--version", "3.1.0", "-M", "val_accuracy=0.9")
    make_weights(trained / "out" / M, seed=3)
    ok(trained, "register", M, "-w", f"out/{M}", "--version", "3.2.0", "-M", "val_accuracy=0.91")
    assert reg.details(f"{M}@1.0.0").version == "1.0.0"
    assert reg.details(f"{M}@3").version == "3.2.0"  # the highest 3.x.y, as in 'llmgit show'
    assert reg.details(f"{M}@3.1").version == "3.1.0"
    assert reg.details(M).version == "3.2.0"
    assert reg.holders(M) == {}
    staged = reg.transition(M, "3.1", "Staging")
    assert (staged.version, staged.stage, staged.stages) == ("3.1.0", "staging", ("staging",))
    assert commit_of(trained, f"{M}#staging") == commit_of(trained, f"{M}@v3.1.0")
    assert reg.details(f"{M}#staging") == staged
    assert {s: d.version for s, d in reg.holders(M).items()} == {"staging": "3.1.0"}
    assert reg.holders(M, stage="PRODUCTION") == {}
    reg.transition(M, "3.2.0", "production")
    assert {s: d.version for s, d in reg.holders(M).items()} == {"staging": "3.1.0", "production": "3.2.0"}
    query = llmgit.Query(filter="metrics.val_accuracy > 0.5", order=(("metrics.val_accuracy", True),), limit=2)
    ordered = reg.search_details(query)
    assert [(v.version, v.stage) for v in ordered] == [("3.2.0", "production"), ("3.1.0", "staging")]
    by_version = reg.search_details(llmgit.Query(order=(("version", False),)))
    assert [v.version for v in by_version] == ["1.0.0", "3.1.0", "3.2.0"]
    assert [h.version.version for h in reg.search("stage = 'staging'")] == ["3.1.0"]


def test_mlflow_client_names_are_not_on_the_registry() -> None:
    """MLflow's client runs through the plugin; the Registry keeps llmgit's own names."""
    for name in ("get_model_version", "search_model_versions", "get_latest_versions", "transition_model_version_stage"):
        assert not hasattr(llmgit.Registry, name), name
    assert not hasattr(llmgit.VersionDetails, "current_stage")


def test_errors_match_the_cli(trained: Path) -> None:
    reg = llmgit.Registry(".")
    cli = run_cli(trained, "show", f"{M}@9.9.9")
    with pytest.raises(UnknownReference) as info:
        reg.details(f"{M}@9.9.9")
    assert cli.err.splitlines()[0] == f"error: {info.value.message}"
    with pytest.raises(UnknownReference, match="unknown stage 'qa'"):
        reg.holders(M, stage="qa")
    with pytest.raises(UsageError, match="'archived' holds many versions, not one"):
        reg.holders(M, stage="archived")
    with pytest.raises(UsageError, match="a version is a SemVer string like '1.2.0', not 1"):
        reg.transition(M, 1, "production")  # type: ignore[arg-type]
    with pytest.raises(UnknownReference, match="unknown stage 'None'"):
        reg.transition(M, "1.0.0", "None")
    with pytest.raises(UsageError, match="no version of 'llama2-7b-alpaca' holds production"):
        reg.rollback_to_version(M, "1.0.0")
    with pytest.raises(llmgit.LlmgitError, match="filter syntax error at column 6"):
        reg.search_details("name 'x'")
    with llmgit.start_run(reg) as run:
        with pytest.raises(InputError, match="metric 'acc' is not a finite number: 'high'"):
            run.log_metric("acc", "high")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="this run has ended"):
        run.log_model(f"out/{M}", registered_model_name=M)


def test_default_run_name_is_date_plus_key_params(trained: Path) -> None:
    started = dt.datetime(2026, 9, 21, 8, 30, tzinfo=dt.timezone.utc)
    params = {"seed": 1, "lora_r": 8, "learning_rate": 3e-4, "model": "llama-2-7b", "epochs": 3}
    assert default_run_name(started, params) == "2026-09-21_model=llama-2-7b_learning_rate=0.0003_lora_r=8"
    reg = llmgit.Registry(".")
    with llmgit.start_run(reg, experiment="exp") as run:
        run.log_param("lora_r", 16)
        run.log_metric("val_accuracy", 0.7, step=3)
        mv = run.log_model(f"out/{M}", registered_model_name=M, bump="minor")
    assert mv.version == "1.1.0" and run.run_name.endswith("_lora_r=16")
    assert mv.message == f"run {run.run_name} in exp" and mv.stage is None
