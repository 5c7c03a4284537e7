"""Section mlflow: MLflow's own client on the llmgit registry store against MLflow on SQLite.

The same registry twice: ``bench/genregistry.py`` builds the llmgit repository (1000 models x
10 versions, or 100 x 10 with ``--quick``), and a SQLite registry gets the same models,
version numbers (registration order), stages and ``llmgit.version`` tags. One worker process
opens ``MlflowClient(registry_uri="llmgit://REPO")``, the same on a copy of REPO after
``git pack-refs --all`` (the generator leaves 12,000 loose refs; a clone or ``git gc`` packs
them) and ``MlflowClient(registry_uri="sqlite:///DB")``, and times each call in turn on all
three: one untimed warm-up, then ``REPEATS`` timed calls, the order reversed every other round.
Figures are medians in ms; when the plugin is slower, one call is profiled.

Writing 10,000 versions through MLflow's ``SqlAlchemyStore`` one call at a time takes more than
five minutes here, so MLflow creates the schema and the rows go in as its own ORM objects in one
transaction; one model is written through the store's API as a check that the rows look the
same. The database is cached under ``$XDG_CACHE_HOME/llmgit-bench`` keyed by the registry's
content, the MLflow version and ``FILL_FORMAT``.

    .venv/bin/python bench/run.py --only mlflow
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, Section, Verdict, fmt_s, git, log  # noqa: E402

REPEATS, WARMUP = 7, 1
FILL_FORMAT = "1"  # bump when the rows written to SQLite change
CHECK_MODEL = 0  # the model written through SqlAlchemyStore's API, not in bulk
WORKER_TIMEOUT = 1800.0  # s
SIDES = (("llmgit", "llmgit plugin"), ("packed", "llmgit plugin, refs packed"), ("sqlite", "MLflow SQLite"))
STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}
PAGE = 1000  # one page of the unfiltered search

# (key, what the table shows); X is a model in the middle of the registry
CALLS: tuple[tuple[str, str], ...] = (
    ("search", "`search_model_versions(\"name='X'\")`"),
    ("latest", "`get_latest_versions(X)`"),
    ("latest-prod", '`get_latest_versions(X, stages=["Production"])`'),
    ("model", "`get_registered_model(X)`"),
    ("version", '`get_model_version(X, "5")`'),
)
CONTEXT = ("all", f"`search_model_versions(max_results={PAGE})`, no filter (one page of {PAGE} versions)")


# -- the state both registries hold ------------------------------------------------------
def registry_state(repo: Path, names: list[str], version_names: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Models, versions and MLflow stages as the llmgit repository's stage branches hold them
    (a version in a holding stage and archived counts as the holding stage)."""
    from llmgit.core import stagefile

    number = {v: i + 1 for i, v in enumerate(version_names)}
    stages: dict[str, dict[str, str]] = {n: {} for n in names}
    for stage in ("archived", "production", "staging"):  # later ones win
        text = git(repo, "show", f"stage/{stage}:stage.yaml", env=env)
        sf = stagefile.parse(text, stage, f"stage/{stage}")
        for name, entries in sf.archived.items():
            for e in entries:
                stages[name][str(number[e.version])] = STAGES[stage]
        for name, e in sf.holders.items():
            stages[name][str(number[e.version])] = STAGES[stage]
    return {"models": names, "versions": version_names, "stages": stages}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmgit-bench"


def sqlite_cache_key(state: dict[str, Any], mlflow_version: str) -> str:
    raw = json.dumps([FILL_FORMAT, mlflow_version, state], sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


# -- the section (runs in bench/run.py) --------------------------------------------------
@dataclass
class TableSection(Section):
    """A section with its own table (the shared one has no room for a ratio column)."""

    table: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)  # after the notes (the profile)

    def markdown(self) -> str:
        out = [f"### {self.title}", "", *self.table]
        if self.table:
            out.append("")
        out += [f"- {n}" for n in self.notes]
        if self.notes:
            out.append("")
        out += self.tail
        if self.tail:
            out.append("")
        out += [f"_Section time: {fmt_s(self.seconds)}._", ""]
        return "\n".join(out)


def _worker(args: list[str], env: dict[str, str], timeout: float = WORKER_TIMEOUT) -> dict[str, Any]:
    quiet = {
        **env,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "PYTHONWARNINGS": "ignore",
        "MLFLOW_ALLOW_FILE_STORE": "true",  # the llmgit side tracks to a local directory
    }
    proc = subprocess.run(
        [str(PYTHON), __file__, *args], env=quiet, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _mlflow_version(env: dict[str, str]) -> str:
    out = subprocess.run(
        [str(PYTHON), "-c", "import importlib.metadata as m; print(m.version('mlflow-skinny'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def _sqlite_db(work: Path, state: dict[str, Any], env: dict[str, str], notes: list[str]) -> Path:
    """The cached SQLite registry for ``state``, built first if missing."""
    mv = _mlflow_version(env)
    n, m = len(state["models"]), len(state["versions"])
    key = sqlite_cache_key(state, mv)
    db = cache_dir() / f"mlflow-sqlite-{n}x{m}-{key}.db"
    info_file = db.with_suffix(".json")
    if not db.exists() or not info_file.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        state_file = work / "mlflow-state.json"
        state_file.write_text(json.dumps(state))
        fd, tmp = tempfile.mkstemp(prefix=db.name + ".", suffix=".tmp", dir=db.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            log(f"  filling SQLite ({n} x {m}) ...")
            info = _worker(["fill", "--db", tmp, "--state", str(state_file)], env)
            info["mlflow"] = mv
            os.replace(tmp, db)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        info_file.write_text(json.dumps(info, indent=1))
        built = "built in this run"
    else:
        info = json.loads(info_file.read_text())
        built = f"from the cache (built {info['built']})"
    notes.append(
        f"SQLite registry: `{db}`, {built}: MLflow {info['mlflow']} created the schema "
        f"({info['schema_s']:.1f} s), then {info['rows']} rows went in through SQLAlchemy as MLflow's own ORM "
        f"objects in one transaction ({info['bulk_s']:.1f} s): **bulk insert, not the store API**. The store API "
        f"(`SqlAlchemyStore.create_registered_model`, `create_model_version` per version, "
        f"`transition_model_version_stage` per staged version) took {info['store_model_s']:.2f} s for `{info['check_model']}`, "
        f"about {info['store_model_s'] * n / 60:.0f} min for all {n} models; the bulk rows read back the same "
        f"as that model's ({info['check']})."
    )
    return db


def _cell(samples: list[float] | None) -> str:
    if not samples:
        return "n/a"
    med = statistics.median(samples) * 1000
    return f"**{med:.1f}** ({min(samples) * 1000:.1f}–{max(samples) * 1000:.1f}, n={len(samples)})"


def _median_ms(samples: list[float] | None) -> float | None:
    return statistics.median(samples) * 1000 if samples else None


@dataclass
class Table:
    lines: list[str]
    met: bool
    details: list[str]
    missed: list[tuple[float, str]]  # (ratio, call key)


def _table(ll: dict[str, Any], sq: dict[str, Any]) -> Table:
    """The calls of one llmgit side against SQLite."""
    t = Table(
        [
            "| call | llmgit plugin (ms) | MLflow SQLite (ms) | ratio | target | met/missed |",
            "| --- | --- | --- | --- | --- | --- |",
        ],
        bool(ll) and bool(sq),
        [],
        [],
    )
    for key, label in (*CALLS, CONTEXT):
        a, b = ll.get(key, {}), sq.get(key, {})
        ma, mb = _median_ms(a.get("samples")), _median_ms(b.get("samples"))
        r = ma / mb if ma is not None and mb else None
        if key == CONTEXT[0]:
            target, verdict = "context only", "—"
        else:
            target = "no slower than SQLite (ratio <= 1.0)"
            met = r is not None and r <= 1.0
            verdict = "met" if met else ("**missed**" if r is not None else "n/a")
            t.met = t.met and met
            t.details.append(f"{label} {f'{r:.2f}x' if r is not None else 'n/a'}")
            if r is not None and r > 1.0:
                t.missed.append((r, key))
        for side, d in (("llmgit", a), ("sqlite", b)):
            if d.get("error"):
                verdict += f"; {side} error: {d['error']}"
        ratio = f"{r:.2f}" if r is not None else "n/a"
        t.lines.append(
            f"| {label} | {_cell(a.get('samples'))} | {_cell(b.get('samples'))} | {ratio} | {target} | {verdict} |"
        )
    return t


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    from genregistry import generate

    t_start = time.perf_counter()
    n, m = (100, 10) if quick else (1000, 10)
    sec = TableSection("mlflow", f"MLflow client: llmgit registry store vs MLflow on SQLite, {n} models x {m} versions")
    t = time.perf_counter()
    log(f"  generating {n} x {m} ...")
    gen = generate(work / f"reg-mlflow-{n}x{m}", n, m, with_gto=False, env=env)
    gen_s = time.perf_counter() - t
    state = registry_state(gen.repo, gen.names, gen.version_names, env)
    loose = sum(1 for p in (gen.repo / ".git" / "refs").rglob("*") if p.is_file())
    packed = work / f"reg-mlflow-{n}x{m}-packed"
    shutil.copytree(gen.repo, packed, symlinks=True)
    git(packed, "pack-refs", "--all", env=env)
    name = gen.names[n // 2]
    sec.notes.append(
        f"llmgit registry from `bench/genregistry.py` in {gen_s:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in gen.seconds.items())}), {loose} loose refs as generated. "
        f"X = `{name}`: "
        + ", ".join(f"v{k} {v}" for k, v in sorted(state["stages"][name].items(), key=lambda kv: int(kv[0])))
        + ", the rest None."
    )
    t = time.perf_counter()
    db = _sqlite_db(work, state, env, sec.notes)
    log(f"  SQLite ready in {fmt_s(time.perf_counter() - t)}")

    args = ["--llmgit", f"llmgit://{gen.repo}", "--packed", f"llmgit://{packed}", "--sqlite", f"sqlite:///{db}"]
    args += ["--tracking", (work / "mlruns").as_uri(), "--name", name]
    res = _worker(["time", *args, "--repeats", str(REPEATS), "--warmup", str(WARMUP)], env)
    sides = res["sides"]
    for side, label in SIDES:
        if res["errors"].get(side):
            sec.notes.append(f"{label}: FAILED: {res['errors'][side]}")
    main = _table(sides.get("llmgit", {}), sides.get("sqlite", {}))
    again = _table(sides.get("packed", {}), sides.get("sqlite", {}))
    sec.table = [
        *main.lines,
        "",
        f"The same calls on a copy of the registry after `git pack-refs --all` (the {loose} refs in one file, "
        "as in a clone or after `git gc`), in the same run:",
        "",
        *again.lines,
    ]

    per_k = []
    for side, label in SIDES:
        d = sides.get(side, {}).get(CONTEXT[0], {})
        if d.get("samples"):
            count = d["result"]["count"] or 1
            per_k.append(f"{label} {statistics.median(d['samples']) * 1e6 / count:.0f} ms")
    if per_k:
        sec.notes.append(
            "Per 1,000 versions, unfiltered `search_model_versions` (one page): "
            + "; ".join(per_k)
            + " (the issue measured 96 ms per 1,000 for SQLite)."
        )
    sec.notes.append(
        f"Cells: **median** (min–max, n) in ms of in-process calls, after {WARMUP} untimed warm-up per call and side; "
        "the three clients live in one worker process and take turns, the order reversed every other round. "
        "Ratio = llmgit / SQLite."
    )
    first = [
        f"{label} {sides[side]['search']['first'] * 1000:.0f} ms"
        for side, label in SIDES
        if sides.get(side, {}).get("search", {}).get("first") is not None
    ]
    if first:
        sec.notes.append(
            "First call in the fresh process (the warm-up of `search_model_versions`, store set-up included; "
            "on the registry as generated that includes the plugin's own `git pack-refs --all`, which it runs "
            "when it finds more than 1,000 loose tags): " + "; ".join(first) + "."
        )
    sec.notes += _differences(sides)
    if main.missed:
        worst = max(main.missed)[1]
        prof = _worker(["profile", *args, "--profile", worst], env)
        sec.tail = [
            f"Where one warm `{worst}` call through the plugin spends its time: git processes "
            f"(wall time each, outside cProfile) and cProfile's top 25 by cumulative time "
            f"({prof['seconds'] * 1000:.0f} ms under cProfile, registry as generated).",
            "",
            "```",
            *prof["git"],
            "",
            prof["profile"].rstrip(),
            "```",
        ]
    for t_, what in ((main, ""), (again, ", refs packed")):
        sec.verdicts.append(
            Verdict(
                f"MLflow registry calls through the llmgit plugin no slower than MLflow on SQLite ({n} x {m}{what})",
                t_.met if t_.details else None,
                "; ".join(t_.details),
            )
        )
    sec.seconds = time.perf_counter() - t_start
    return sec


def _differences(sides: dict[str, dict[str, Any]]) -> list[str]:
    sq = sides.get("sqlite", {})
    out = []
    for side, label in SIDES[:2]:
        ll = sides.get(side, {})
        if not ll or not sq:
            continue
        diff = [k for k, _ in (*CALLS, CONTEXT) if ll.get(k, {}).get("result") != sq.get(k, {}).get("result")]
        out += [
            f"Results differ, {label} vs SQLite, `{k}`: {json.dumps(ll.get(k, {}).get('result'))[:400]} vs "
            f"{json.dumps(sq.get(k, {}).get('result'))[:400]}"
            for k in diff
        ]
    if not out and sq:
        out.append("Every side returned the same versions, stages and `llmgit.version` tags for every call.")
    return out


# -- the worker (a fresh process with MLflow imported) ------------------------------------
def _fill(db: Path, state: dict[str, Any]) -> dict[str, Any]:
    """MLflow's schema, one model through the store's API, the rest as ORM rows in bulk."""
    from mlflow.entities.model_registry import ModelVersionTag
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlModelVersionTag, SqlRegisteredModel
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    t = time.perf_counter()
    store = SqlAlchemyStore(f"sqlite:///{db}")
    schema_s = time.perf_counter() - t
    names, versions, stages = state["models"], state["versions"], state["stages"]

    def source(name: str, i: int) -> str:
        return f"models/{name}/weights@v{versions[i]}"

    check_name = names[CHECK_MODEL]
    t = time.perf_counter()
    store.create_registered_model(check_name)
    for i, ver in enumerate(versions):
        store.create_model_version(check_name, source(check_name, i), tags=[ModelVersionTag("llmgit.version", ver)])
    for num, stage in sorted(stages[check_name].items(), key=lambda kv: int(kv[0])):
        store.transition_model_version_stage(check_name, num, stage, archive_existing_versions=False)
    store_model_s = time.perf_counter() - t

    t = time.perf_counter()
    t0 = 1_767_225_600_000  # ms, genregistry's T0
    with store.ManagedSessionMaker(read_only=False) as session:
        objects: list[Any] = []
        for j, name in enumerate(names):
            if j == CHECK_MODEL:
                continue
            last = t0 + 60_000 * (len(versions) * len(names) + j)
            objects.append(
                store._with_workspace_field(SqlRegisteredModel(name=name, creation_time=t0, last_updated_time=last))
            )
            for i, ver in enumerate(versions):
                created = t0 + 60_000 * (i * len(names) + j + 1)
                num = i + 1
                stage = stages[name].get(str(num), "None")
                objects.append(
                    store._with_workspace_field(
                        SqlModelVersion(
                            name=name,
                            version=num,
                            creation_time=created,
                            last_updated_time=last if stage != "None" else created,
                            source=source(name, i),
                            storage_location=source(name, i),
                            current_stage=stage,
                            status="READY",
                        )
                    )
                )
                objects.append(
                    store._with_workspace_field(
                        SqlModelVersionTag(name=name, version=num, key="llmgit.version", value=ver)
                    )
                )
        rows = len(objects)
        session.add_all(objects)
    bulk_s = time.perf_counter() - t

    # the bulk rows read back like the ones the store's API wrote
    other = names[CHECK_MODEL + 1] if len(names) > 1 else check_name

    def shape(name: str) -> list[Any]:
        out = []
        for mv in store.search_model_versions(f"name='{name}'", max_results=100):
            d = {k: v for k, v in dict(mv).items() if k not in ("name", "creation_timestamp", "last_updated_timestamp")}
            d["source"] = d["source"].replace(name, "NAME")
            out.append(json.dumps(d, sort_keys=True, default=str))
        rm = dict(store.get_registered_model(name))
        keep = {k: v for k, v in rm.items() if k not in ("name", "creation_timestamp", "last_updated_timestamp")}
        keep.pop("latest_versions", None)
        out.append(json.dumps(keep, sort_keys=True, default=str))
        return sorted(out)

    same = shape(check_name) == shape(other)
    if not same:
        raise RuntimeError(f"bulk rows for {other} differ from the store API's rows for {check_name}")
    store.engine.dispose()
    return {
        "schema_s": schema_s,
        "store_model_s": store_model_s,
        "bulk_s": bulk_s,
        "rows": rows,
        "check_model": check_name,
        "check": f"`{other}` compared field by field, timestamps aside",
        "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _summary(value: Any) -> Any:
    """What is compared between the two sides: versions, stages, llmgit.version tags."""
    from mlflow.entities.model_registry import ModelVersion, RegisteredModel

    def mv(v: ModelVersion) -> list[Any]:
        return [v.name, int(v.version), v.current_stage, (v.tags or {}).get("llmgit.version")]

    if isinstance(value, RegisteredModel):
        return {"name": value.name, "latest": sorted(mv(v) for v in value.latest_versions or [])}
    if isinstance(value, ModelVersion):
        return mv(value)
    return sorted(mv(v) for v in value)


def _calls(x: str) -> dict[str, Callable[[Any], Any]]:
    return {
        "search": lambda c: c.search_model_versions(f"name='{x}'"),
        "latest": lambda c: c.get_latest_versions(x),
        "latest-prod": lambda c: c.get_latest_versions(x, stages=["Production"]),
        "model": lambda c: c.get_registered_model(x),
        "version": lambda c: c.get_model_version(x, "5"),
        "all": lambda c: c.search_model_versions(max_results=PAGE),
    }


def _time(a: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    from mlflow import MlflowClient

    clients = {
        "llmgit": MlflowClient(tracking_uri=a.tracking, registry_uri=a.llmgit),
        "packed": MlflowClient(tracking_uri=a.tracking, registry_uri=a.packed),
        "sqlite": MlflowClient(tracking_uri=a.sqlite, registry_uri=a.sqlite),
    }
    calls = _calls(a.name)
    sides: dict[str, dict[str, Any]] = {s: {} for s in clients}
    errors: dict[str, str] = {}
    for key, fn in calls.items():
        for s, client in clients.items():
            try:
                t = time.perf_counter()
                value = fn(client)  # warm-up: the first call of its kind on this side
                first = time.perf_counter() - t
                for _ in range(a.warmup - 1):
                    fn(client)
            except Exception as e:  # the side is reported as failed; the other still runs
                sides[s][key] = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
                errors.setdefault(s, sides[s][key]["error"])
                continue
            summary = _summary(value)
            sides[s][key] = {
                "first": first,
                "samples": [],
                "result": {"count": len(summary)} if key == "all" else summary,
            }
        ok = [s for s in clients if "samples" in sides[s][key]]
        for r in range(a.repeats):
            for s in ok if r % 2 == 0 else ok[::-1]:
                t = time.perf_counter()
                fn(clients[s])
                sides[s][key]["samples"].append(time.perf_counter() - t)
    return {"sides": sides, "errors": errors}


def _git_calls(client: Any, fn: Callable[[Any], Any]) -> list[str]:
    """The git processes one call starts, with the wall time of each (start to exit)."""
    import subprocess as sp

    seen: list[str] = []
    real = sp.Popen.communicate

    def timed(self: sp.Popen[Any], *args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return real(self, *args, **kw)
        finally:
            argv = self.args if isinstance(self.args, list) else [str(self.args)]
            seen.append(f"{(time.perf_counter() - t) * 1000:7.1f} ms  {' '.join(map(str, argv))[:110]}")

    sp.Popen.communicate = timed  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        fn(client)
        total = time.perf_counter() - t
    finally:
        sp.Popen.communicate = real  # type: ignore[method-assign]
    return [*seen, f"{len(seen)} git processes; the call took {total * 1000:.1f} ms"]


def _profile(a: argparse.Namespace) -> dict[str, Any]:
    import cProfile
    import io
    import pstats
    import warnings

    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

    fn = _calls(a.name)[a.profile]
    lines = []
    for label, uri in (("registry as generated", a.llmgit), ("refs packed", a.packed)):
        client = MlflowClient(tracking_uri=a.tracking, registry_uri=uri)
        fn(client)  # warm-up
        lines += [f"git processes, {label}:", *_git_calls(client, fn), ""]
    client = MlflowClient(tracking_uri=a.tracking, registry_uri=a.llmgit)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.runcall(fn, client)
    took = time.perf_counter() - t
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
    text = out.getvalue().strip("\n")
    for prefix in (str(Path(mlflow.__file__).parents[1]), str(Path(__file__).resolve().parents[1]), sys.prefix):
        text = text.replace(prefix + "/", "")
    return {"seconds": took, "git": lines[:-1], "profile": text}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill", help="write the SQLite registry for a state file")
    f.add_argument("--db", type=Path, required=True)
    f.add_argument("--state", type=Path, required=True)
    for cmd in ("time", "profile"):
        w = sub.add_parser(cmd, help="time the calls on both sides" if cmd == "time" else "profile one call")
        w.add_argument("--llmgit", required=True, help="llmgit registry URI")
        w.add_argument("--packed", required=True, help="llmgit registry URI, refs packed")
        w.add_argument("--sqlite", required=True, help="SQLite registry URI")
        w.add_argument("--tracking", required=True, help="tracking URI for the llmgit side")
        w.add_argument("--name", required=True)
        w.add_argument("--repeats", type=int, default=REPEATS)
        w.add_argument("--warmup", type=int, default=WARMUP)
        w.add_argument("--profile", default="search", help="the call to profile")
    a = p.parse_args()
    if a.cmd == "fill":
        result = _fill(a.db, json.loads(a.state.read_text()))
    elif a.cmd == "time":
        result = _time(a)
    else:
        result = _profile(a)
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
