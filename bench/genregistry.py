"""Build a registry of N models x M versions in seconds, through git plumbing.

Two repositories with the same version commits and the same version tags:

- ``DEST/llmgit``: an llmgit registry (``llmgit init --remote DEST/remote`` first), then one
  commit per version on ``main`` holding ``models/NAME/model_card.yaml``, the DVC pointer
  ``models/NAME/weights.dvc`` and ``models/NAME/.gitignore``, each tagged ``NAME@vX.Y.Z``
  (annotated, llmgit's subject + JSON summary, :func:`llmgit.core.summary.tag_message`); the stage
  branches ``stage/staging``, ``stage/production`` and ``stage/archived`` (``stage.yaml`` as
  :func:`llmgit.core.stagefile.dump` writes it) and the ``NAME#STAGE`` annotated tags.
- ``DEST/gto``: the same commits and version tags, with the stages as GTO assignment tags
  ``NAME#STAGE#N`` (GTO's default notation).

The state: every model's newest version holds staging and the one before holds
production; the one before that is archived. The first ``hot`` models reached that state
through recorded transitions after the bulk import (so ``history`` and ``rollback`` have
something to read); the rest arrive in one import commit per stage branch, as a registry
migrated from GTO does. Everything goes through ``git fast-import`` (two streams), so
1000 x 10 takes seconds.

    .venv/bin/python bench/genregistry.py /tmp/reg --models 1000 --versions 10
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import IDENTITY, LLMGIT, check, git, make_env  # noqa: E402

from llmgit.core import stagefile
from llmgit.core.model import ModelVersion, WeightsInfo  # noqa: E402
from llmgit.core.stagefile import Entry, StageFile  # noqa: E402
from llmgit.core.summary import tag_message  # noqa: E402
from llmgit.store import cards
from llmgit.store.reconcile import stage_tag_message  # noqa: E402

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
WHO = f"{IDENTITY[0]} <{IDENTITY[1]}>"
SHARD_SIZE = 1_750_000_000  # a 14 GB model in 8 shards
SHARDS = 8
CHAINS_FROM = 2000  # models: above this, per-model commit lines (see _main_stream)


@dataclass
class Generated:
    root: Path  # DEST
    repo: Path  # DEST/llmgit
    gto: Path | None  # DEST/gto
    remote: Path
    models: int
    versions: int
    names: list[str]
    version_names: list[str]  # X.Y.Z, oldest first
    hot: list[str]
    tags: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def tag(self, name: str, i: int) -> str:
        return f"{name}@v{self.version_names[i]}"


def version_name(i: int) -> str:
    return f"1.{i // 4}.{i % 4}"


def model_name(j: int) -> str:
    return f"model-{j:04d}"


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def _data(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return b"data %d\n" % len(raw) + raw + b"\n"


def _md5(name: str, version: str) -> str:
    return hashlib.md5(f"{name}@{version}".encode()).hexdigest()


def _version(name: str, i: int, j: int, ts: int) -> ModelVersion:
    ver = version_name(i)
    return ModelVersion(
        name=name,
        version=ver,
        tag=f"{name}@v{ver}",
        commit="",
        weights=WeightsInfo(f"models/{name}/weights", _md5(name, ver), SHARD_SIZE * SHARDS, SHARDS, True),
        metrics={"accuracy": round(0.50 + 0.04 * i + 0.001 * (j % 10), 4), "loss": round(1.20 - 0.05 * i, 4)},
        params={"learning_rate": 3e-4, "lora_r": 8 << (i % 3), "epochs": 3},
        author=WHO,
        created=_iso(ts),
        message=f"training run {i + 1}",
    )


def _pointer(md5: str) -> str:
    return f"outs:\n- md5: {md5}.dir\n  size: {SHARD_SIZE * SHARDS}\n  nfiles: {SHARDS}\n  hash: md5\n  path: weights\n"


def _card(base: dict, v: ModelVersion, ts: int) -> bytes:
    w = v.weights
    assert w is not None
    fields = dict(
        name=v.name,
        version=v.version,
        date=_iso(ts),
        description=f"{v.name}, a benchmark model",
        base_model="meta-llama/Llama-2-7b-hf",
        dataset="tatsu-lab/alpaca",
        dataset_version=None,
        params=v.params,
        metrics=v.metrics,
        weights={"path": w.path, "md5": w.md5, "size": w.size, "files": w.files, "dir": w.is_dir},
        provenance={
            "git_commit": None,
            "git_branch": "main",
            "author": WHO,
            "created": _iso(ts),
            "dataset_version": None,
            "llmgit_version": "0.1.0",
            "environment": {"python": "3.11.7", "implementation": "cpython"},
        },
    )
    try:  # the card as register builds it (llmgit.core.card; older trees: store.cards.build)
        from llmgit.core.card import Run, build  # noqa: PLC0415
    except ImportError:
        return cards.dump(cards.build(base, **fields)).encode()  # type: ignore[attr-defined]
    return cards.dump(build(base, None, Run(**fields))).encode()  # type: ignore[arg-type]


_NAME_MARK, _MD5_MARK, _DATE_MARK = "model-zzzz", "f" * 32, "2099-12-31T23:59:59+00:00"


class _Cards:
    """Cards as ``cards.dump`` writes them, from one dump per (version, metric variant) with
    the per-model values filled in afterwards; checked against a real dump first."""

    def __init__(self, base: dict) -> None:
        self.base = base
        self.templates: dict[tuple[int, int], bytes] = {}
        self.exact = True

    def get(self, v: ModelVersion, i: int, j: int, ts: int) -> bytes:
        if not self.exact:
            return _card(self.base, v, ts)
        key = (i, j % 10)
        if key not in self.templates:
            probe = _version(_NAME_MARK, i, j, 0)
            probe = replace(probe, weights=replace(probe.weights, md5=_MD5_MARK))  # type: ignore[arg-type]
            self.templates[key] = _card(self.base, probe, 0).replace(_iso(0).encode(), _DATE_MARK.encode())
        text = (
            self.templates[key]
            .replace(_NAME_MARK.encode(), v.name.encode())
            .replace(_MD5_MARK.encode(), v.weights.md5.encode())  # type: ignore[union-attr]
            .replace(_DATE_MARK.encode(), _iso(ts).encode())
        )
        if len(self.templates) <= 2 and text != _card(self.base, v, ts):
            self.exact = False  # the card layout changed under us: dump every card
            return _card(self.base, v, ts)
        return text


def _fast_import(repo: Path, stream: bytes, env: dict[str, str]) -> None:
    git(repo, "fast-import", "--quiet", "--done", env=env, input=stream + b"done\n")


CHAIN_REF = "refs/heads/genregistry-chain"  # scratch branch of the per-model commits, deleted after


def _main_stream(gen: Generated, base: dict, chains: bool = False) -> bytes:
    """One commit per version (round-robin over models), each with its annotated tag.

    ``chains``: each model's versions form their own line of commits, each holding only that
    model's folder, and ``main`` gets one import commit with every model's newest files. A
    commit on ``main`` per version rewrites the ``models/`` tree of all N models each time
    (N x versions x N entries: hours at N = 10,000); the tags, their messages and the cards
    at each tag are the same either way."""
    card_maker = _Cards(base)
    out: list[bytes] = []
    mark = 0
    first = True
    last: dict[str, int] = {}
    newest: dict[str, list[bytes]] = {}
    for i in range(gen.versions):
        for j, name in enumerate(gen.names):
            mark += 1
            ts = T0 + 60 * mark
            v = _version(name, i, j, ts)
            msg = f"llmgit: register {v.tag}\n\n{v.message}\n"
            out.append(b"commit %s\nmark :%d\n" % ((CHAIN_REF if chains else "refs/heads/main").encode(), mark))
            out.append(f"author {WHO} {ts} +0000\ncommitter {WHO} {ts} +0000\n".encode())
            out.append(_data(msg))
            if chains:
                out.append(b"from :%d\n" % last[name] if name in last else b"from refs/heads/main^0\n")
                last[name] = mark
            elif first:
                out.append(b"from refs/heads/main^0\n")
                first = False
            files = [
                f"M 100644 inline models/{name}/model_card.yaml\n".encode() + _data(card_maker.get(v, i, j, ts)),
                f"M 100644 inline models/{name}/weights.dvc\n".encode() + _data(_pointer(v.weights.md5)),  # type: ignore[union-attr]
            ]
            if i == 0:
                files.append(f"M 100644 inline models/{name}/.gitignore\n".encode() + _data("/weights\n"))
            out += files
            if chains:
                newest[name] = [*files, *newest.get(name, [])[2:]] if i else files
            out.append(f"tag {v.tag}\nfrom :{mark}\ntagger {WHO} {ts} +0000\n".encode())
            out.append(_data(tag_message(v)))
    if chains:
        ts = T0 + 60 * (mark + 1)
        out.append(b"commit refs/heads/main\n")
        out.append(f"author {WHO} {ts} +0000\ncommitter {WHO} {ts} +0000\n".encode())
        out.append(_data(f"llmgit: import {len(gen.names)} models\n"))
        out.append(b"from refs/heads/main^0\n")
        out += [f for name in gen.names for f in newest[name]]
    return b"".join(out)


def _trailers(action: str, name: str, ver: str, stage: str, previous: str | None, reason: str) -> str:
    verb = "roll back" if action == "rollback" else "promote"
    subject = f"{verb} {name} to v{ver} in {stage}" if action == "rollback" else f"{verb} {name} v{ver} to {stage}"
    lines = [f"Llmgit-Model: {name}", f"Llmgit-Version: {ver}", f"Llmgit-Stage: {stage}"]
    if previous:
        lines.append(f"Llmgit-Previous: {previous}")
    return (
        f"{subject}\n\n{reason}\n\n" + "\n".join(lines) + "\n"
        if reason
        else (f"{subject}\n\n" + "\n".join(lines) + "\n")
    )


class _Stages:
    """Stage files as they evolve, and the fast-import stream of their commits."""

    def __init__(self, gen: Generated, commits: dict[str, str], md5s: dict[str, str]) -> None:
        self.gen, self.commits, self.md5s = gen, commits, md5s
        self.files = {s: StageFile(s) for s in ("staging", "production", "archived")}
        self.out: list[bytes] = []
        self.mark = 10_000_000
        self.marks: dict[str, int | None] = {s: None for s in self.files}
        self.blocks: dict[tuple[str, str, object], str] = {}
        self.checked: dict[str, bool] = {}

    def dump(self, file: StageFile) -> str:
        """``stagefile.dump(file)``, assembled from one dump per model (block YAML at a fixed
        indentation is the same text whole or in parts); checked against a real dump."""
        names = sorted(file.archived if file.stage == "archived" else file.holders)
        if len(names) <= 3:
            return stagefile.dump(file)
        parts = [self._block(file, n) for n in names]
        head = stagefile.dump(StageFile(file.stage))
        text = head.replace("models: {}\n", "models:\n") + "".join(parts)
        if not self.checked.get(file.stage):
            assert text == stagefile.dump(file), "stage.yaml layout changed: the generator needs updating"
            self.checked[file.stage] = True
        return text

    def _block(self, file: StageFile, name: str) -> str:
        if file.stage == "archived":
            one = StageFile(file.stage, archived={name: file.archived[name]})
            key: object = file.archived[name]
        else:
            one = StageFile(file.stage, holders={name: file.holders[name]})
            key = file.holders[name]
        cache_key = (file.stage, name, repr(key))
        if cache_key not in self.blocks:
            text = stagefile.dump(one)
            self.blocks[cache_key] = text[text.index("models:\n") + len("models:\n") :]
        return self.blocks[cache_key]

    def entry(self, name: str, i: int, ts: int, action: str, reason: str) -> Entry:
        tag = self.gen.tag(name, i)
        return Entry(version_name(i), tag, self.commits[tag], self.md5s[tag], _iso(ts), WHO, reason, action)

    def commit(self, stage: str, file: StageFile, message: str, ts: int) -> None:
        self.files[stage] = file
        self.mark += 1
        ref = f"refs/heads/stage/{stage}"
        self.out.append(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.append(f"author {WHO} {ts} +0000\ncommitter {WHO} {ts} +0000\n".encode())
        self.out.append(_data(message))
        if self.marks[stage] is not None:
            self.out.append(f"from :{self.marks[stage]}\n".encode())
        self.out.append(b"M 100644 inline stage.yaml\n")
        self.out.append(_data(self.dump(file)))
        self.marks[stage] = self.mark


def _stage_stream(gen: Generated, commits: dict[str, str], md5s: dict[str, str]) -> tuple[bytes, int]:
    m = gen.versions
    st = _Stages(gen, commits, md5s)
    ts = T0 + 60 * (gen.models * m + 10)
    hot = set(gen.hot)
    # 1. the bulk: one import commit per stage branch
    files = {s: StageFile(s) for s in st.files}
    for name in gen.names:
        shift = 1 if name in hot else 0  # hot models start one step behind
        if m - 1 - shift >= 0:
            files["staging"] = files["staging"].with_holder(
                name, st.entry(name, m - 1 - shift, ts, "import", "imported")
            )
        if m - 2 - shift >= 0:
            files["production"] = files["production"].with_holder(
                name, st.entry(name, m - 2 - shift, ts, "import", "imported")
            )
        archived = tuple(
            st.entry(name, k, ts, "archive", "imported") for k in range(m - 3 - shift, m - 2 - shift) if k >= 0
        )
        if archived:
            files["archived"] = files["archived"].with_archived(name, archived)
    for stage in ("staging", "production", "archived"):
        st.commit(stage, files[stage], f"import the {stage} stage of {gen.models} models\n", ts)
    # 2. the hot models' recorded transitions (the same commits llmgit's promote makes)
    for name in gen.hot:
        if m < 4:
            break
        ts += 600
        prod_old, new_prod, new_staging = m - 3, m - 2, m - 1
        e = st.entry(name, new_prod, ts, "promote", "better accuracy")
        st.commit(
            "production",
            st.files["production"].with_holder(name, e),
            _trailers("promote", name, version_name(new_prod), "production", version_name(prod_old), "better accuracy"),
            ts,
        )
        old = st.files["archived"].archived.get(name, ())
        reason = f"replaced by v{version_name(new_prod)} in production: better accuracy"
        st.commit(
            "archived",
            st.files["archived"].with_archived(name, (*old, st.entry(name, prod_old, ts, "archive", reason))),
            f"archive {name} v{version_name(prod_old)}: {reason}\n",
            ts,
        )
        ts += 600
        e = st.entry(name, new_staging, ts, "promote", "new candidate")
        st.commit(
            "staging",
            st.files["staging"].with_holder(name, e),
            _trailers("promote", name, version_name(new_staging), "staging", version_name(new_prod), "new candidate"),
            ts,
        )
    # 3. NAME#STAGE pointers at each holder's version commit
    for stage in ("staging", "production"):
        for name, e in st.files[stage].holders.items():
            st.out.append(f"tag {name}#{stage}\nfrom {e.commit}\ntagger {WHO} {ts} +0000\n".encode())
            st.out.append(_data(stage_tag_message(name, stage, e)))
    return b"".join(st.out), 2 * gen.models


def _gto_stream(gen: Generated, commits: dict[str, str]) -> tuple[bytes, int]:
    """The same stage state as GTO assignment tags ``NAME#STAGE#N``."""
    m = gen.versions
    out: list[bytes] = []
    ts = T0 + 60 * (gen.models * m + 10)
    count = 0
    for name in gen.names:
        events: list[tuple[str, int]] = []  # (stage, version index), in order
        if name in gen.hot and m >= 4:
            events = [("production", m - 3), ("staging", m - 2), ("production", m - 2), ("staging", m - 1)]
        else:
            if m >= 2:
                events.append(("production", m - 2))
            events.append(("staging", m - 1))
        for n, (stage, i) in enumerate(events, start=1):
            tag = gen.tag(name, i)
            msg = f"Assigning stage {stage} to artifact {name} version v{version_name(i)}\n"
            out.append(f"tag {name}#{stage}#{n}\nfrom {commits[tag]}\ntagger {WHO} {ts + n} +0000\n".encode())
            out.append(_data(msg))
            count += 1
    return b"".join(out), count


def generate(
    dest: Path, models: int, versions: int, *, hot: int = 5, with_gto: bool = True, env: dict[str, str] | None = None
) -> Generated:
    dest.mkdir(parents=True, exist_ok=True)
    env = env or make_env(dest / "home")
    repo, remote = dest / "llmgit", dest / "remote"
    repo.mkdir()
    remote.mkdir(exist_ok=True)
    names = [model_name(j) for j in range(models)]
    gen = Generated(
        dest,
        repo,
        dest / "gto" if with_gto else None,
        remote,
        models,
        versions,
        names,
        [version_name(i) for i in range(versions)],
        names[: min(hot, models)],
    )
    t = time.perf_counter()
    fixed = {**env, "GIT_AUTHOR_DATE": f"@{T0} +0000", "GIT_COMMITTER_DATE": f"@{T0} +0000"}
    git(repo, "init", "-q", "-b", "main", env=fixed)
    git(repo, "commit", "-q", "--allow-empty", "-m", "start", env=fixed)
    check([LLMGIT, "init", "--remote", str(remote)], cwd=repo, env=fixed)
    gen.seconds["init"] = time.perf_counter() - t

    t = time.perf_counter()
    chains = models > CHAINS_FROM
    _fast_import(repo, _main_stream(gen, cards.template(repo), chains), env)
    if chains:
        git(repo, "update-ref", "-d", CHAIN_REF, env=env)
    git(repo, "reset", "-q", "--hard", "main", env=env)
    gen.seconds["versions"] = time.perf_counter() - t

    fmt = "%(refname:short)%00%(*objectname)%00%(contents)%00"
    raw = git(repo, "for-each-ref", f"--format={fmt}", "refs/tags", env=env)
    commits, md5s = {}, {}
    for chunk in raw.split("\0\n"):
        if chunk:
            tag, commit, contents = chunk.split("\0", 2)
            commits[tag] = commit
            md5s[tag] = json.loads(contents.partition("\n\n")[2])["weights"]["md5"]

    if with_gto:
        t = time.perf_counter()
        assert gen.gto is not None
        git(dest, "clone", "-q", str(repo), str(gen.gto), env=env)
        git(gen.gto, "remote", "remove", "origin", env=env)
        stream, n = _gto_stream(gen, commits)
        _fast_import(gen.gto, stream, env)
        gen.seconds["gto"] = time.perf_counter() - t

    t = time.perf_counter()
    stream, n_stage = _stage_stream(gen, commits, md5s)
    _fast_import(repo, stream, env)
    gen.seconds["stages"] = time.perf_counter() - t
    gen.tags = len(commits) + n_stage
    return gen


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dest", type=Path, help="an empty or missing directory")
    p.add_argument("--models", type=int, default=100)
    p.add_argument("--versions", type=int, default=10)
    p.add_argument("--hot", type=int, default=5, help="models with recorded stage transitions")
    p.add_argument("--no-gto", action="store_true", help="skip the GTO repository")
    a = p.parse_args()
    if a.dest.exists() and any(a.dest.iterdir()):
        p.error(f"{a.dest} is not empty")
    t = time.perf_counter()
    gen = generate(a.dest, a.models, a.versions, hot=a.hot, with_gto=not a.no_gto)
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in gen.seconds.items())
    print(f"{gen.repo}: {a.models} x {a.versions} ({gen.tags} tags) in {time.perf_counter() - t:.1f} s ({parts})")
    if gen.gto:
        print(f"{gen.gto}: the same versions with GTO assignment tags")
    return 0


if __name__ == "__main__":
    sys.exit(main())
