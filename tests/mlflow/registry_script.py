"""An MLflow model-registry script: plain MLflow calls; only the URIs come from outside.

Run it against any registry (MLflow on SQLite, llmgit, ...) and compare the transcripts. Each
record is one call and its result reduced to fields that must agree between registries: names,
integer versions, stages, descriptions, tags, aliases, run ids (as placeholders), statuses, list
order, error codes. Timestamps, sources and download URIs differ by nature; they are checked for
sanity instead (a failed check is written into the record, so it shows up as a difference).

    python tests/mlflow/registry_script.py --tracking-uri URI --registry-uri URI --workdir DIR
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conftest import make_weights  # noqa: E402

CHAT, CODER, VISION, SCRATCH, COPY = "alpha-chat", "beta.coder", "gamma_vision", "delta-7b", "epsilon"
HIDDEN_TAG_PREFIX = "llmgit."  # what llmgit adds on top of MLflow (the SemVer, ...)
SLACK_MS = 2000  # git stores whole seconds


class WeightsModel(mlflow.pyfunc.PythonModel):
    """A pyfunc model over a weights directory: predicts the size of each shard it was given."""

    def load_context(self, context: Any) -> None:
        self.root = Path(context.artifacts["weights"])

    def predict(self, context: Any, model_input: list[str], params: dict[str, Any] | None = None) -> list[int]:
        return [(self.root / name).stat().st_size for name in model_input]


class Transcript:
    """Records each call and its normalized result; keeps the sanity state across calls."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.records: list[dict[str, Any]] = []
        self.runs: dict[str, str] = {}
        self.started_ms = int(time.time() * 1000)
        self.last_created_ms = 0
        self.last_updated: dict[str, int] = {}

    def call(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.invoke(label, [*args, kwargs] if kwargs else list(args), fn, *args, **kwargs)

    def paged(self, label: str, fetch: Callable[[str | None], Any], **shown: Any) -> None:
        """Every page of a paged search; the page token is opaque, so the record shows the page number."""
        token = None
        for n in range(20):
            page = self.invoke(label, {**shown, "page": n}, fetch, token)
            token = page.token if page is not None else None
            if not token:
                return

    def invoke(self, label: str, shown: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        record: dict[str, Any] = {"call": label, "args": self.plain(shown)}
        checks: list[str] = []
        self.checks = checks
        try:
            result = fn(*args, **kwargs)
        except MlflowException as exc:
            print(f"{label}: {exc.error_code}: {exc.message}", file=sys.stderr)
            record["error"] = exc.error_code
            result = None
        except Exception as exc:  # not MLflow's way of failing: recorded, so that it shows as a difference
            traceback.print_exc()
            record["error"] = f"{type(exc).__name__}: {exc}"[:300]
            result = None
        else:
            record["result"] = self.reduce(result)
            if label in ("create_model_version", "mlflow.register_model", "copy_model_version"):
                self.check_created(result)
        if checks:
            record["checks"] = checks
        self.records.append(record)
        return result

    def refine(self, reduce: Callable[[Any], Any], result: Any) -> None:
        """Replace the last record's result by what the script derives from it (if it succeeded)."""
        if "result" in self.records[-1]:
            self.records[-1]["result"] = self.plain(reduce(result))

    def note(self, label: str, args: Any, result: Any) -> None:
        """A record (label "script: ...") for a value the script derives, not an MLflow call."""
        self.records.append({"call": label, "args": self.plain(args), "result": self.plain(result)})

    # -- normalization --

    def plain(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): self.plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.plain(v) for v in value]
        if isinstance(value, Path):
            value = str(value)
        if isinstance(value, str):
            for run_id, placeholder in self.runs.items():
                value = value.replace(run_id, placeholder)
            return value.replace(self.workdir.as_uri(), "file://<workdir>").replace(str(self.workdir), "<workdir>")
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return type(value).__name__

    def run_ref(self, run_id: str | None) -> str | None:
        if not run_id:
            return None
        return self.runs.get(run_id, "<unknown run>")

    def reduce(self, value: Any) -> Any:
        if isinstance(value, mlflow.entities.model_registry.ModelVersion):
            return self.version(value)
        if isinstance(value, mlflow.entities.model_registry.RegisteredModel):
            return self.model(value)
        if isinstance(value, mlflow.store.entities.PagedList):
            return {"items": [self.reduce(v) for v in value], "more": bool(value.token)}
        if isinstance(value, list):
            return [self.reduce(v) for v in value]
        return self.plain(value)

    def version(self, mv: Any) -> dict[str, Any]:
        self.check_times(f"{mv.name}/{mv.version}", mv.creation_timestamp, mv.last_updated_timestamp)
        if not isinstance(mv.source, str) or not mv.source:
            self.checks.append(f"source is {mv.source!r}")
        return {
            "name": mv.name,
            "version": int(mv.version),
            "current_stage": mv.current_stage,
            "description": mv.description or None,
            "tags": visible(mv.tags),
            "aliases": sorted(mv.aliases),
            "run_id": self.run_ref(mv.run_id),
            "status": mv.status,
        }

    def model(self, rm: Any) -> dict[str, Any]:
        self.check_times(rm.name, rm.creation_timestamp, rm.last_updated_timestamp)
        latest = sorted((mv.current_stage, int(mv.version)) for mv in rm.latest_versions or [])
        return {
            "name": rm.name,
            "description": rm.description or None,
            "tags": visible(rm.tags),
            "aliases": {k: int(v) for k, v in sorted(rm.aliases.items())},
            "latest_versions": [list(pair) for pair in latest],
        }

    # -- sanity of what is not compared --

    def check_times(self, key: str, created: Any, updated: Any) -> None:
        now = int(time.time() * 1000)
        for what, ts in (("creation_timestamp", created), ("last_updated_timestamp", updated)):
            if not isinstance(ts, int) or isinstance(ts, bool):
                self.checks.append(f"{key} {what} is {ts!r}, not an int")
                return
            if not self.started_ms - SLACK_MS <= ts <= now + SLACK_MS:
                self.checks.append(f"{key} {what} {ts} is outside the script's run")
        if updated < created:
            self.checks.append(f"{key} last_updated_timestamp {updated} < creation_timestamp {created}")
        if updated < self.last_updated.get(key, 0):
            self.checks.append(f"{key} last_updated_timestamp went back to {updated}")
        self.last_updated[key] = max(updated, self.last_updated.get(key, 0))

    def check_created(self, mv: Any) -> None:
        if mv.creation_timestamp < self.last_created_ms:
            self.checks.append(f"version created at {mv.creation_timestamp}, before the previous one")
        self.last_created_ms = max(self.last_created_ms, mv.creation_timestamp)

    def check_download_uri(self, uri: str) -> str:
        """'local' (an existing directory), 's3', or what is wrong with it."""
        if uri.startswith("s3://"):
            return "s3"
        path = Path(uri.removeprefix("file://")) if "://" not in uri or uri.startswith("file://") else None
        if path is None:
            return f"not a local path or s3 URI: {uri.split(':', 1)[0]}:"
        return "local" if path.is_dir() else "missing local path"


def visible(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(HIDDEN_TAG_PREFIX)}


def tree_md5(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def model_dir(path: Path, seed: int) -> Path:
    """Weights plus an MLmodel file: what `mlflow.register_model("runs:/...")` accepts."""
    make_weights(path, seed)
    mlflow.models.Model().save(str(path / "MLmodel"))
    return path


def run(tracking_uri: str, registry_uri: str, workdir: str | Path) -> list[dict[str, Any]]:
    """Run the script; returns the transcript."""
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if tracking_uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3 keeps it in maintenance mode
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri)
    client = MlflowClient()
    t = Transcript(work)
    call = t.call

    # -- runs in the tracking store: two logged model directories and a pyfunc model --
    weights = {seed: model_dir(work / "weights" / f"w{seed}", seed) for seed in range(1, 6)}
    mlflow.set_experiment("registry-script")
    for key, seed, params, metrics in (
        ("run-a", 1, {"lr": "0.001", "epochs": "3"}, {"accuracy": 0.81, "loss": 0.52}),
        ("run-b", 2, {"lr": "0.0005", "epochs": "4"}, {"accuracy": 0.86, "loss": 0.41}),
    ):
        with mlflow.start_run() as active:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.log_artifacts(str(weights[seed]), "model")
        t.runs[active.info.run_id] = key
    run_a, run_b = list(t.runs)

    # -- registered models --
    call(
        "create_registered_model",
        client.create_registered_model,
        CHAT,
        tags={"team": "nlp", "task": "chat"},
        description="Chat model",
    )
    call("create_registered_model", client.create_registered_model, CODER, tags={"team": "code"})
    call("create_registered_model", client.create_registered_model, SCRATCH)
    call("create_registered_model", client.create_registered_model, CHAT)  # RESOURCE_ALREADY_EXISTS
    call("get_registered_model", client.get_registered_model, CHAT)
    call("get_registered_model", client.get_registered_model, "no-such-model")
    time.sleep(0.02)
    call("update_registered_model", client.update_registered_model, CODER, description="Code model")
    call("set_registered_model_tag", client.set_registered_model_tag, SCRATCH, "tmp", "1")
    call("delete_registered_model_tag", client.delete_registered_model_tag, SCRATCH, "tmp")
    call("get_registered_model", client.get_registered_model, SCRATCH)

    # -- versions: runs:/ sources, a local path, a file:// URI, a pyfunc model --
    first = call("mlflow.register_model", mlflow.register_model, f"runs:/{run_a}/model", CHAT)
    t.note("script: type of ModelVersion.version", [], first and type(first.version).__name__)
    call("mlflow.register_model", mlflow.register_model, f"runs:/{run_b}/model", CHAT, tags={"data": "v2"})
    call(
        "create_model_version",
        client.create_model_version,
        CHAT,
        str(weights[3]),
        run_id=run_b,
        tags={"data": "v3", "eval": "pending"},
        description="third",
    )
    call("create_model_version", client.create_model_version, CODER, weights[4].as_uri(), description="coder one")
    call("create_model_version", client.create_model_version, CODER, weights[5].as_uri())
    call("create_model_version", client.create_model_version, "no-such-model", str(weights[5]))
    with mlflow.start_run() as active:
        mlflow.log_metrics({"accuracy": 0.7})
        t.runs[active.info.run_id] = "run-c"
        info = call(
            "mlflow.pyfunc.log_model",
            mlflow.pyfunc.log_model,
            name="model",
            python_model=WeightsModel(),
            artifacts={"weights": str(weights[1])},
            pip_requirements=[],
            registered_model_name=VISION,
        )
    call("get_registered_model", client.get_registered_model, VISION)
    t.note("script: version the logged model got", [], info and int(info.registered_model_version))
    call("get_model_version", client.get_model_version, VISION, "1")

    # -- reading, describing and tagging versions --
    call("get_model_version", client.get_model_version, CHAT, "1")
    call("get_model_version", client.get_model_version, CHAT, "99")
    call("update_model_version", client.update_model_version, CHAT, "1", description="first")
    call("set_model_version_tag", client.set_model_version_tag, CHAT, "1", "eval", "passed")
    call("set_model_version_tag", client.set_model_version_tag, CHAT, "2", "eval", "passed")
    call("set_model_version_tag", client.set_model_version_tag, CHAT, "2", "tmp", "x")
    call("delete_model_version_tag", client.delete_model_version_tag, CHAT, "2", "tmp")
    call("get_model_version", client.get_model_version, CHAT, "2")
    call("get_model_version_stages", client.get_model_version_stages, CHAT, "1")

    # -- stages --
    call("get_latest_versions", client.get_latest_versions, CHAT)
    call("transition_model_version_stage", client.transition_model_version_stage, CHAT, "1", "Staging")
    call("transition_model_version_stage", client.transition_model_version_stage, CHAT, "2", "Production")
    call("get_latest_versions", client.get_latest_versions, CHAT, stages=["Staging", "Production"])
    call(
        "transition_model_version_stage",
        client.transition_model_version_stage,
        CHAT,
        "3",
        "Staging",
        archive_existing_versions=True,
    )
    call(
        "transition_model_version_stage",
        client.transition_model_version_stage,
        CHAT,
        "3",
        "Production",
        archive_existing_versions=True,
    )
    call("get_latest_versions", client.get_latest_versions, CHAT, stages=["Production"])
    call("get_latest_versions", client.get_latest_versions, CHAT, stages=["Staging"])
    call("get_latest_versions", client.get_latest_versions, CHAT, stages=["Archived"])
    call("transition_model_version_stage", client.transition_model_version_stage, CODER, "1", "Archived")
    call("transition_model_version_stage", client.transition_model_version_stage, CODER, "2", "Staging")
    call("transition_model_version_stage", client.transition_model_version_stage, CODER, "2", "None")
    call("transition_model_version_stage", client.transition_model_version_stage, CHAT, "1", "Staging")
    call("transition_model_version_stage", client.transition_model_version_stage, CHAT, "1", "Bogus")
    call("get_latest_versions", client.get_latest_versions, CHAT)
    call("get_latest_versions", client.get_latest_versions, "no-such-model")

    # -- aliases --
    call("set_registered_model_alias", client.set_registered_model_alias, CHAT, "champion", "3")
    call("set_registered_model_alias", client.set_registered_model_alias, CHAT, "challenger", "2")
    call("set_registered_model_alias", client.set_registered_model_alias, CHAT, "v1", "1")  # reserved form
    call("get_model_version_by_alias", client.get_model_version_by_alias, CHAT, "champion")
    call("get_model_version_by_alias", client.get_model_version_by_alias, CHAT, "nope")
    call("get_registered_model", client.get_registered_model, CHAT)
    call("set_registered_model_alias", client.set_registered_model_alias, CHAT, "champion", "2")
    call("delete_registered_model_alias", client.delete_registered_model_alias, CHAT, "challenger")
    call("get_model_version", client.get_model_version, CHAT, "2")
    call("get_model_version", client.get_model_version, CHAT, "3")

    # -- searching registered models --
    time.sleep(0.02)
    call("update_registered_model", client.update_registered_model, SCRATCH, description="scratch space")
    call("search_registered_models", client.search_registered_models)
    call("search_registered_models", client.search_registered_models, f"name = '{CHAT}'")
    call("search_registered_models", client.search_registered_models, "name LIKE '%a-%'")
    call("search_registered_models", client.search_registered_models, "name ILIKE '%CODER%'")
    call("search_registered_models", client.search_registered_models, "tags.team = 'nlp'")
    call("search_registered_models", client.search_registered_models, "name LIKE 'a%' AND tags.task = 'chat'")
    call("search_registered_models", client.search_registered_models, order_by=["name DESC"])
    call("search_registered_models", client.search_registered_models, order_by=["name ASC"])
    call("search_registered_models", client.search_registered_models, order_by=["last_updated_timestamp DESC"])
    t.paged(
        "search_registered_models",
        lambda token: client.search_registered_models(max_results=2, page_token=token),
        max_results=2,
    )
    call("search_registered_models", client.search_registered_models, "name = 'x' AND bogus")
    call("search_registered_models", client.search_registered_models, order_by=["bogus ASC"])
    call("mlflow.search_registered_models", mlflow.search_registered_models, filter_string="name LIKE 'g%'")

    # -- searching versions --
    call("search_model_versions", client.search_model_versions, f"name = '{CHAT}'")
    call("search_model_versions", client.search_model_versions, f"name IN ('{CHAT}', '{CODER}')")
    call("search_model_versions", client.search_model_versions, f"name = '{CHAT}' AND version_number > 1")
    call("search_model_versions", client.search_model_versions, "version_number <= 1")
    call("search_model_versions", client.search_model_versions, f"run_id = '{run_a}'")
    call("search_model_versions", client.search_model_versions, f"run_id IN ('{run_a}', '{run_b}')")
    call("search_model_versions", client.search_model_versions, "tags.eval = 'passed'")
    call("search_model_versions", client.search_model_versions, "name LIKE 'beta%'")
    call("search_model_versions", client.search_model_versions, "name ILIKE 'ALPHA%'")
    call("search_model_versions", client.search_model_versions, order_by=["version_number DESC"])
    call("search_model_versions", client.search_model_versions, f"name = '{CHAT}'", order_by=["version_number ASC"])
    call("search_model_versions", client.search_model_versions, order_by=["name DESC", "version_number ASC"])
    t.paged(
        "search_model_versions",
        lambda token: client.search_model_versions(
            f"name = '{CHAT}'", max_results=2, order_by=["version_number ASC"], page_token=token
        ),
        filter_string=f"name = '{CHAT}'",
        max_results=2,
        order_by=["version_number ASC"],
    )
    call("search_model_versions", client.search_model_versions, "bogus = 1")
    call("search_model_versions", client.search_model_versions, order_by=["bogus DESC"])
    call(
        "mlflow.search_model_versions",
        mlflow.search_model_versions,
        filter_string=f"name = '{CODER}'",
        order_by=["version_number DESC"],
    )

    # -- the bytes: download URIs, artifacts through models:/ URIs, a pyfunc prediction, run data --
    for name, version in ((CHAT, "1"), (CHAT, "3"), (CODER, "1"), (VISION, "1")):
        uri = call("get_model_version_download_uri", client.get_model_version_download_uri, name, version)
        t.refine(t.check_download_uri, uri)
    for uri, seed in (
        (f"models:/{CHAT}/1", 1),
        (f"models:/{CHAT}@champion", 2),
        (f"models:/{CHAT}/Production", 3),
        (f"models:/{CODER}/latest", 5),
    ):
        target = work / "downloads" / hashlib.md5(uri.encode()).hexdigest()
        got = call(
            "mlflow.artifacts.download_artifacts",
            mlflow.artifacts.download_artifacts,
            artifact_uri=uri,
            dst_path=str(target),
        )
        want = tree_md5(weights[seed])
        t.refine(lambda path, want=want: {"weights_match": want.items() <= tree_md5(Path(path)).items()}, got)
    model = call("mlflow.pyfunc.load_model", mlflow.pyfunc.load_model, f"models:/{VISION}/1")
    if model is not None:
        call("PyFuncModel.predict", model.predict, ["model-00000-of-00002.safetensors"])
    mv = call("get_model_version", client.get_model_version, CHAT, "2")
    run_data = call("get_run", client.get_run, mv.run_id if mv else "")
    t.refine(lambda run: {"params": run.data.params, "metrics": run.data.metrics}, run_data)
    call("copy_model_version", client.copy_model_version, f"models:/{CHAT}/2", COPY)
    call("get_model_version", client.get_model_version, COPY, "1")

    # -- deleting --
    call("delete_model_version", client.delete_model_version, CODER, "2")
    call("get_model_version", client.get_model_version, CODER, "2")
    call("delete_model_version", client.delete_model_version, CODER, "7")
    call("search_model_versions", client.search_model_versions, f"name = '{CODER}'")
    call("create_model_version", client.create_model_version, CODER, str(weights[2]))
    call("get_registered_model", client.get_registered_model, CODER)
    call("delete_registered_model", client.delete_registered_model, SCRATCH)
    call("get_registered_model", client.get_registered_model, SCRATCH)
    call("delete_registered_model", client.delete_registered_model, COPY)
    call("search_model_versions", client.search_model_versions, f"name = '{COPY}'")
    call("search_registered_models", client.search_registered_models)
    return t.records


def distinct_calls(records: list[dict[str, Any]]) -> set[str]:
    """Distinct MLflow calls: the same method with other arguments is another call."""
    return {json.dumps([r["call"], r["args"]], sort_keys=True) for r in records if not r["call"].startswith("script:")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--registry-uri", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # only the transcript goes to stdout
        records = run(args.tracking_uri, args.registry_uri, args.workdir)
    for record in records:
        print(json.dumps(record, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
