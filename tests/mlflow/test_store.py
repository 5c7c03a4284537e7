"""The MLflow registry-store plugin's own rules: URIs, version numbers, where MLflow's notes
live, what deletion means, error codes with nothing changed, and hostile notes from a pull.
Real MLflow client, real git and DVC."""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import pytest
from conftest import Clock, git, make_weights, run_cli, snapshot, tree_md5

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

from llmgit.core import mlflownotes  # noqa: E402


@pytest.fixture(autouse=True)
def _mlflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    warnings.filterwarnings("ignore", category=FutureWarning)


def client(repo: Path, tmp_path: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri(), registry_uri=f"llmgit://{repo}")


def code(e: pytest.ExceptionInfo[MlflowException]) -> str:
    return str(e.value.error_code)


def notes_file(repo: Path, name: str) -> str:
    return git(repo, "show", f"llmgit/mlflow:models/{name}.yaml")


def test_uri_forms(registry_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_weights(tmp_path / "w", seed=1)
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    c.create_model_version("chat", str(tmp_path / "w"))
    monkeypatch.chdir(registry_repo.parent)
    relative = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri(), registry_uri=f"llmgit:{registry_repo.name}")
    assert relative.get_model_version("chat", "1").tags["llmgit.version"] == "1.0.0"
    monkeypatch.chdir(registry_repo)
    here = MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri(), registry_uri="llmgit:.")
    assert [m.name for m in here.search_registered_models()] == ["chat"]
    for bad in (f"llmgit://example.com{registry_repo}", f"llmgit://{tmp_path}/nowhere", f"llmgit://{tmp_path}"):
        with pytest.raises(MlflowException) as e:
            MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri(), registry_uri=bad).search_registered_models()
        assert code(e) == "INVALID_PARAMETER_VALUE", bad


def test_numbers_follow_registration_order_and_are_recorded(registry_repo: Path, tmp_path: Path, clock: Clock) -> None:
    """MLflow's version N is the N-th version registered, whatever its SemVer; once written
    down on ``llmgit/mlflow`` a number never changes."""
    for seed, version in ((1, "2.0.0"), (2, "1.5.0")):
        clock.tick()
        make_weights(registry_repo / "out" / "chat", seed=seed)
        assert run_cli(registry_repo, "register", "chat", "-w", "out/chat", "--version", version).code == 0
    c = client(registry_repo, tmp_path)
    assert c.get_model_version("chat", "1").tags["llmgit.version"] == "2.0.0"
    assert c.get_model_version("chat", "2").tags["llmgit.version"] == "1.5.0"
    make_weights(tmp_path / "w3", seed=3)
    mv = c.create_model_version("chat", str(tmp_path / "w3"), tags={"llmgit.version": "3.0.0"})
    assert (mv.version, mv.tags["llmgit.version"], mv.tags["llmgit.tag"]) == (3, "3.0.0", "chat@v3.0.0")
    recorded = notes_file(registry_repo, "chat")
    assert (
        "1:\n    semver: 2.0.0" in recorded
        and "2:\n    semver: 1.5.0" in recorded
        and "3:\n    semver: 3.0.0" in recorded
    )
    with pytest.raises(MlflowException) as e:
        c.get_model_version("chat", "1.0.0")
    assert code(e) == "INVALID_PARAMETER_VALUE"


def test_registered_bytes_are_the_sources(registry_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "trained"
    expected = make_weights(source, seed=7, shards=3)
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    mv = c.create_model_version("chat", source.as_uri(), description="LoRA r=16")
    assert (mv.version, mv.source, mv.description, mv.current_stage) == (1, source.as_uri(), "LoRA r=16", "None")
    tags = git(registry_repo, "tag", "-l", "chat@*").split()
    assert tags == ["chat@v1.0.0"]
    out = tmp_path / "checked-out"
    assert run_cli(registry_repo, "checkout", "chat@v1.0.0", "--to", str(out)).code == 0
    assert tree_md5(out) == expected
    download = Path(c.get_model_version_download_uri("chat", "1"))
    assert tree_md5(download) == expected
    assert not str(download).startswith(str(source))
    # MLflow's models:/ artifact repository reads the process's registry URI
    monkeypatch.setattr("mlflow.tracking._model_registry.utils._registry_uri", f"llmgit://{registry_repo}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    got = mlflow.artifacts.download_artifacts(
        "models:/chat/1",
        dst_path=str(tmp_path / "dl"),
        tracking_uri=(tmp_path / "mlruns").as_uri(),
        registry_uri=f"llmgit://{registry_repo}",
    )
    assert tree_md5(Path(got)) == expected


def test_aliases_live_on_the_notes_branch(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    for seed in (1, 2):
        make_weights(tmp_path / f"w{seed}", seed=seed)
        c.create_model_version("chat", str(tmp_path / f"w{seed}"))
    c.set_registered_model_alias("chat", "champion", "2")
    assert "aliases:\n  champion: 2" in notes_file(registry_repo, "chat")
    assert c.get_model_version_by_alias("chat", "champion").version == 2
    assert c.get_registered_model("chat").aliases == {"champion": 2}
    c.set_registered_model_alias("chat", "champion", "1")  # moves back: a rollback by alias
    assert c.get_model_version_by_alias("chat", "champion").aliases == ["champion"]
    assert c.get_model_version_by_alias("chat", "latest").version == 2
    log = git(registry_repo, "log", "--format=%s", "llmgit/mlflow").splitlines()
    assert log[0] == "mlflow: alias chat: champion -> version 1"
    c.delete_registered_model_alias("chat", "champion")
    with pytest.raises(MlflowException) as e:
        c.get_model_version_by_alias("chat", "champion")
    assert code(e) == "INVALID_PARAMETER_VALUE"
    for bad in ("latest", "v3", "bad alias"):
        with pytest.raises(MlflowException) as e:
            c.set_registered_model_alias("chat", bad, "1")
        assert code(e) == "INVALID_PARAMETER_VALUE"


def test_delete_hides_a_version_and_keeps_its_tag_and_number(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    for seed in (1, 2):
        make_weights(tmp_path / f"w{seed}", seed=seed)
        c.create_model_version("chat", str(tmp_path / f"w{seed}"))
    c.transition_model_version_stage("chat", "2", "Production")
    c.set_registered_model_alias("chat", "champion", "2")
    c.delete_model_version("chat", "2")
    with pytest.raises(MlflowException) as e:
        c.get_model_version("chat", "2")
    assert code(e) == "RESOURCE_DOES_NOT_EXIST"
    assert [m.version for m in c.search_model_versions("name='chat'")] == [1]
    assert c.get_registered_model("chat").aliases == {}
    assert "chat@v1.0.1" in git(registry_repo, "tag", "-l")  # the tag and its weights stay
    assert "production" not in run_cli(registry_repo, "stages").out.split("chat")[-1].split("\n")[0]
    make_weights(tmp_path / "w3", seed=3)
    assert c.create_model_version("chat", str(tmp_path / "w3")).version == 3  # never reused


def test_one_version_per_stage(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    for seed in (1, 2):
        make_weights(tmp_path / f"w{seed}", seed=seed)
        c.create_model_version("chat", str(tmp_path / f"w{seed}"))
    c.transition_model_version_stage("chat", "1", "Production")
    with pytest.warns(UserWarning, match="one version per stage: version 1 of chat left Production"):
        c.transition_model_version_stage("chat", "2", "Production")
    assert [
        (m.version, m.current_stage) for m in c.search_model_versions("name='chat'", order_by=["version_number"])
    ] == [(1, "Archived"), (2, "Production")]
    assert c.transition_model_version_stage("chat", "2", "None").current_stage == "None"
    assert c.transition_model_version_stage("chat", "1", "Archived").current_stage == "Archived"
    assert c.get_latest_versions("chat", ["Production"]) == []
    with pytest.raises(MlflowException) as e:
        c.transition_model_version_stage("chat", "1", "Shipped")
    assert code(e) == "INVALID_PARAMETER_VALUE"


def test_errors_have_mlflow_codes_and_change_nothing(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat", tags={"team": "nlp"})
    make_weights(tmp_path / "w", seed=1)
    c.create_model_version("chat", str(tmp_path / "w"))
    before = snapshot(registry_repo)
    cases = [
        (lambda: c.get_registered_model("nope"), "RESOURCE_DOES_NOT_EXIST"),
        (lambda: c.get_model_version("chat", "9"), "RESOURCE_DOES_NOT_EXIST"),
        (lambda: c.create_registered_model("chat"), "RESOURCE_ALREADY_EXISTS"),
        (lambda: c.create_registered_model("Chat"), "INVALID_PARAMETER_VALUE"),
        (lambda: c.rename_registered_model("chat", "chat2"), "INVALID_PARAMETER_VALUE"),
        (lambda: c.search_model_versions("colour = 'red'"), "INVALID_PARAMETER_VALUE"),
        (lambda: c.search_registered_models(max_results=0), "INVALID_PARAMETER_VALUE"),
        (lambda: c.create_model_version("chat", "s3://bucket/model"), "INVALID_PARAMETER_VALUE"),
        (lambda: c.create_model_version("chat", str(tmp_path / "missing")), "INVALID_PARAMETER_VALUE"),
        (lambda: c.create_model_version("nope", str(tmp_path / "w")), "RESOURCE_DOES_NOT_EXIST"),
        (lambda: c.set_model_version_tag("chat", "1", "", "v"), "INVALID_PARAMETER_VALUE"),
    ]
    for call, expected in cases:
        with pytest.raises(MlflowException) as e:
            call()
        assert code(e) == expected, e.value.message
    after = snapshot(registry_repo)
    assert after.refs == before.refs and after.index == before.index and after.files == before.files


def test_paging_and_search_grammar(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    for name in ("alpha", "beta", "gamma"):
        c.create_registered_model(name, tags={"family": "greek" if name != "beta" else "other"})
        make_weights(tmp_path / name, seed=len(name))
        c.create_model_version(name, str(tmp_path / name), run_id=f"run-{name}", tags={"reviewed": name})
    page = c.search_registered_models(max_results=2, order_by=["name DESC"])
    assert [m.name for m in page] == ["gamma", "beta"] and page.token
    assert [
        m.name for m in c.search_registered_models(max_results=2, order_by=["name DESC"], page_token=page.token)
    ] == ["alpha"]
    assert [m.name for m in c.search_registered_models("tags.family = 'greek'", order_by=["name"])] == [
        "alpha",
        "gamma",
    ]
    assert [m.name for m in c.search_registered_models("name ILIKE '%A'", order_by=["name"])] == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert [m.name for m in c.search_model_versions("run_id = 'run-beta'")] == ["beta"]
    assert [m.name for m in c.search_model_versions("name IN ('alpha', 'gamma')", order_by=["name"])] == [
        "alpha",
        "gamma",
    ]
    assert [m.name for m in c.search_model_versions("tags.reviewed = 'gamma' and version_number >= 1")] == ["gamma"]


HOSTILE = """\
name: chat
created: 1764676800000
description: fine
tags: {ok: "yes", "bad\\u0007key": x}
aliases: {champion: 1, ghost: 99, "no way": 1}
versions:
  1: {semver: 1.0.0, description: kept}
  -4: {semver: 1.0.1}
  2: {semver: "not a version"}
  3: {semver: 1.0.0}
"""


def test_hostile_notes_are_skipped_with_warnings_and_never_rewritten(registry_repo: Path, tmp_path: Path) -> None:
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat")
    make_weights(tmp_path / "w", seed=1)
    c.create_model_version("chat", str(tmp_path / "w"))
    (tmp_path / "notes.yaml").write_text(HOSTILE)
    blob = git(registry_repo, "hash-object", "-w", str(tmp_path / "notes.yaml")).strip()
    env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "index")}
    subprocess.run(
        ["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},models/chat.yaml"],
        cwd=registry_repo,
        env=env,
        check=True,
    )
    tree = subprocess.run(
        ["git", "write-tree"], cwd=registry_repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    commit = git(registry_repo, "commit-tree", tree, "-p", "llmgit/mlflow", "-m", "pushed by someone").strip()
    git(registry_repo, "update-ref", "refs/heads/llmgit/mlflow", commit)
    with pytest.warns(UserWarning, match="skipped a record of llmgit/mlflow") as caught:
        mv = c.get_model_version("chat", "1")
    assert (mv.description, mv.aliases) == ("kept", ["champion"])
    assert len(caught) >= 4
    before = snapshot(registry_repo)
    with pytest.raises(MlflowException) as e, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c.update_model_version("chat", "1", "new")
    assert code(e) == "INVALID_PARAMETER_VALUE" and "will not rewrite" in e.value.message
    assert snapshot(registry_repo).refs == before.refs
    fsck = run_cli(registry_repo, "fsck")
    assert fsck.code == 1
    assert "malformed: llmgit/mlflow:models/chat.yaml version -4: a version number is a whole number" in fsck.out
    assert "malformed: llmgit/mlflow:models/chat.yaml tags key holds a control character: 'bad\\\\x07key'" in fsck.out


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",
        "[" * 100 + "]" * 100,
        "x" * (mlflownotes.MAX_BYTES + 1),
        "versions: {1: {semver: 1.0.0, tags: {a: [1, 2]}}}",
    ],
)
def test_notes_parser_refuses_without_raising(text: str) -> None:
    notes = mlflownotes.parse("chat", text)
    assert notes.bad and not notes.versions


def test_push_carries_the_notes_and_a_clone_reads_them(registry_repo: Path, tmp_path: Path) -> None:
    """``llmgit push`` pushes ``llmgit/mlflow`` with the stage branches; a clone that fetched
    it sees the same numbers, aliases and descriptions."""
    c = client(registry_repo, tmp_path)
    c.create_registered_model("chat", description="support chat")
    for seed in (1, 2):
        make_weights(tmp_path / f"w{seed}", seed=seed)
        c.create_model_version("chat", str(tmp_path / f"w{seed}"), description=f"seed {seed}")
    c.set_registered_model_alias("chat", "champion", "1")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(registry_repo, "remote", "add", "origin", str(origin))
    git(registry_repo, "push", "-q", "origin", "main")  # the code and the cards
    assert run_cli(registry_repo, "push").code == 0
    assert "refs/heads/llmgit/mlflow" in git(registry_repo, "ls-remote", str(origin))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "fetch", "-q", "origin", "refs/tags/*:refs/tags/*")
    theirs = client(clone, tmp_path)
    assert theirs.get_model_version_by_alias("chat", "champion").description == "seed 1"
    assert [
        (m.version, m.tags["llmgit.version"])
        for m in theirs.search_model_versions("name='chat'", order_by=["version_number"])
    ] == [(1, "1.0.0"), (2, "1.0.1")]
