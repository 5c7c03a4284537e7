"""Section 2, weights: ``register`` of one big file and of a directory of 8 shards, against
``dvc add`` (link cache and DVC's default), the same steps by hand, and md5sum / cat."""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import DVC, LLMGIT, GiB, Measure, MiB, Row, Section, Verdict, check, fmt_s, git, log, measure, ratio, rmtree

SHARDS = 8
NO_REHASH = 0.25  # a rehash reads every byte again; start-up alone reads about 20 MiB of modules
CHUNK = 16 * MiB


_BLOCK = random.Random(7).randbytes(CHUNK)


def write_random(path: Path, size: int, seed: int) -> None:
    """Incompressible bytes, fast: one random block, each copy made unique by its header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        left, n = size, 0
        while left > 0:
            k = min(CHUNK, left)
            head = f"{seed}:{n}:".encode().ljust(32, b".")
            fh.write(head + _BLOCK[32:k])
            left -= k
            n += 1


@dataclass
class Data:
    root: Path
    file: Path  # one file of `size` bytes
    shards: Path  # a directory of SHARDS files, `size` bytes in all
    size: int

    def files(self, kind: str) -> list[Path]:
        return [self.file] if kind == "file" else sorted(self.shards.iterdir())

    def source(self, kind: str) -> Path:
        return self.file if kind == "file" else self.shards


def make_data(work: Path, size: int, seed: int = 1) -> Data:
    root = work / "data"
    d = Data(root, root / "model.safetensors", root / "shards", size)
    if not d.file.exists():
        t = time.perf_counter()
        write_random(d.file, size, seed)
        for i in range(SHARDS):
            write_random(d.shards / f"model-{i + 1:05d}-of-{SHARDS:05d}.safetensors", size // SHARDS, seed * 100 + i)
        os.sync()
        log(f"  wrote {2 * size / GiB:.2f} GiB of test weights in {time.perf_counter() - t:.1f} s")
    return d


class Repos:
    """Fresh repositories from templates (an llmgit registry, a plain DVC repository), one
    per timed run, at a new path each time so no DVC state carries over."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work, self.env = work, env
        self.count = 0
        self.remote = work / "wremote"
        self.remote.mkdir(exist_ok=True)
        self.llmgit_tpl = self._template("tpl-llmgit", llmgit=True)
        self.dvc_tpl = self._template("tpl-dvc", llmgit=False)

    def _template(self, name: str, *, llmgit: bool) -> Path:
        path = self.work / name
        if path.exists():
            return path
        path.mkdir()
        git(path, "init", "-q", "-b", "main", env=self.env)
        git(path, "commit", "-q", "--allow-empty", "-m", "start", env=self.env)
        if llmgit:
            check([LLMGIT, "init", "--remote", str(self.remote)], cwd=path, env=self.env)
        else:
            check([DVC, "init", "-q"], cwd=path, env=self.env)
            check([DVC, "config", "core.analytics", "false"], cwd=path, env=self.env)
            git(path, "add", ".dvc", ".dvcignore", env=self.env)
            git(path, "commit", "-q", "-m", "dvc init", env=self.env)
        return path

    def fresh(self, template: Path, cache_type: str | None = None) -> Path:
        self.count += 1
        path = self.work / f"run-{self.count:04d}"
        shutil.copytree(template, path, symlinks=True)
        if cache_type:
            check([DVC, "config", "cache.type", cache_type], cwd=path, env=self.env)
        return path


def _bring(data: Data, kind: str, repo: Path) -> Path:
    """Move the test weights into ``repo`` (a rename: no bytes move)."""
    dest = repo / "w" / data.source(kind).name
    dest.parent.mkdir(exist_ok=True)
    os.rename(data.source(kind), dest)
    return dest


def _return(data: Data, kind: str, repo: Path) -> None:
    """Move them back out (they may be hardlinked into the repository's cache) and drop it."""
    src = repo / "w" / data.source(kind).name
    if src.is_symlink() or not src.exists():
        raise RuntimeError(f"the test weights at {src} were replaced by links; cannot reuse them")
    os.chmod(src, 0o755 if src.is_dir() else 0o644)
    if src.is_dir():
        for f in src.iterdir():
            os.chmod(f, 0o644)
    os.rename(src, data.source(kind))
    rmtree(repo)


def series(
    label: str,
    kind: str,
    data: Data,
    repos: Repos,
    template: Path,
    argv: Callable[[Path], list[str | Path]],
    *,
    repeats: int,
    cache_type: str | None = None,
    then: tuple[str, Callable[[Path], list[str | Path]]] | None = None,
) -> tuple[Measure, Measure | None]:
    """Timed runs of ``argv`` on fresh repositories; ``then`` is timed right after in the same one."""
    first, second = Measure(label), Measure(then[0]) if then else None
    for _ in range(repeats):
        repo = repos.fresh(template, cache_type)
        rel = _bring(data, kind, repo).relative_to(repo)
        try:
            m = measure(label, argv(rel), cwd=repo, env=repos.env, repeats=1, mem=True, sync=True)
            first.samples += m.samples
            first.error = first.error or m.error
            if then and second is not None and m.ok:
                m2 = measure(then[0], then[1](rel), cwd=repo, env=repos.env, repeats=1, mem=True)
                second.samples += m2.samples
                second.error = second.error or m2.error
        finally:
            _return(data, kind, repo)
        if first.error:
            break
    return first, second


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    t0 = time.perf_counter()
    size = 256 * MiB if quick else 2 * GiB
    reps = 1 if quick else 2
    peer_reps = 1 if quick else 2
    sec = Section("weights", f"Weights: register {size / GiB:g} GiB (one file; a directory of {SHARDS} shards)")
    data = make_data(work, size)
    repos = Repos(work, env)
    md5_limit_extra = 1.0
    for kind in ("file", "dir"):
        what = "1 file" if kind == "file" else f"{SHARDS} shards"
        name = "big" if kind == "file" else "sharded"
        reg, again = series(
            f"llmgit register ({what})",
            kind,
            data,
            repos,
            repos.llmgit_tpl,
            lambda rel, name=name: [LLMGIT, "register", name, "--weights", rel, "-m", "bench"],
            repeats=reps,
            then=(
                "llmgit register again, unchanged",
                lambda rel, name=name: [LLMGIT, "register", name, "--weights", rel, "--bump", "minor"],
            ),
        )
        dvc_link, _ = series(
            "dvc add (cache.type hardlink)",
            kind,
            data,
            repos,
            repos.dvc_tpl,
            lambda rel: [DVC, "add", "-q", rel],
            repeats=peer_reps,
            cache_type="hardlink",
        )
        dvc_default, _ = series(
            "dvc add (DVC default: reflink,copy)",
            kind,
            data,
            repos,
            repos.dvc_tpl,
            lambda rel: [DVC, "add", "-q", rel],
            repeats=1,
        )
        by_hand, _ = series(
            "dvc add + git commit + git tag (hardlink)",
            kind,
            data,
            repos,
            repos.dvc_tpl,
            lambda rel, name=name: [
                "sh",
                "-c",
                f"{DVC} add -q {rel} && git add {rel}.dvc {rel.parent}/.gitignore && "
                f"git commit -qm 'register {name}' && git tag -a {name}@v1.0.0 -m '{name} v1.0.0'",
            ],
            repeats=peer_reps,
            cache_type="hardlink",
        )
        files = [str(f) for f in data.files(kind)]
        md5 = measure("md5sum", ["md5sum", *files], cwd=work, env=env, repeats=reps, mem=True, sync=True)
        cat = measure("cat > /dev/null", ["cat", *files], cwd=work, env=env, repeats=reps, mem=True)
        vs_dvc = ratio(reg, dvc_link)
        sec.rows.append(
            Row(
                f"`register` {what}",
                reg,
                [dvc_link, dvc_default, by_hand],
                [md5, cat],
                "<= 1.2x `dvc add` (link); <= md5 + 1 s; peak < 300 MB; read once",
                _register_verdict(reg, dvc_link, md5, md5_limit_extra),
                mem=True,
                read_of=size,
            )
        )
        if again is not None:
            sec.rows.append(
                Row(
                    f"`register` {what} again, unchanged",
                    again,
                    [],
                    [md5],
                    "no rehash (stat check)",
                    (
                        f"{'met' if again.read_median < NO_REHASH * size else 'MISSED'}: read "
                        f"{again.read_median / MiB:.0f} MiB (interpreter and modules included)"
                    )
                    if again.ok
                    else "FAILED",
                    mem=True,
                    read_of=size,
                )
            )
        sec.verdicts.append(
            Verdict(
                f"register {what} within 1.2x of `dvc add` alone (link cache)",
                None if vs_dvc is None else vs_dvc <= 1.2,
                f"llmgit {fmt_s(reg.median) if reg.ok else 'failed'} vs dvc add {fmt_s(dvc_link.median) if dvc_link.ok else 'failed'}"
                + (f" = {vs_dvc:.2f}x" if vs_dvc else ""),
            )
        )
        sec.verdicts.append(
            Verdict(
                f"register {what} within md5 time + 1 s",
                None if not (reg.ok and md5.ok) else reg.median <= md5.median + md5_limit_extra,
                f"llmgit {fmt_s(reg.median) if reg.ok else 'failed'} vs md5sum {fmt_s(md5.median) if md5.ok else 'failed'} + 1 s",
            )
        )
        if reg.ok:
            sec.verdicts.append(
                Verdict(
                    f"register {what}: each byte hashed once, peak memory under 300 MB",
                    reg.peak_mb < 300 and reg.read_median < 1.2 * size,
                    f"read {reg.read_median / size:.2f}x the weights' bytes; peak RSS {reg.peak_mb:.0f} MB",
                )
            )
        if again is not None and again.ok:
            sec.verdicts.append(
                Verdict(
                    f"re-register unchanged {what} does not rehash",
                    again.read_median < NO_REHASH * size,
                    f"{fmt_s(again.median)}, read {again.read_median / MiB:.1f} MiB of {size / MiB:.0f} MiB",
                )
            )
    sec.notes += [
        "Every run starts from a fresh copy of a template repository at a new path (no DVC state "
        "carries over); the weights are moved in by rename, so they are in the page cache in every "
        "column: figures are CPU-bound, and a cold disk adds its read time to each column alike.",
        "`read` is the bytes returned by read() calls in the whole process tree, over the weights' size "
        "(1.00x: each byte read once). Peak is the largest RSS of any process in the tree.",
        "`register ... again, unchanged` registers the same bytes as a new version right after the first "
        "registration, in the same repository.",
    ]
    sec.seconds = time.perf_counter() - t0
    return sec


def _register_verdict(reg: Measure, dvc_link: Measure, md5: Measure, extra: float) -> str:
    if not reg.ok:
        return "FAILED"
    parts = []
    r = ratio(reg, dvc_link)
    if r is not None:
        parts.append(f"{r:.2f}x dvc add" + ("" if r <= 1.2 else " **> 1.2x**"))
    if md5.ok:
        d = reg.median - md5.median
        parts.append(f"md5 + {d:.2f} s" + ("" if d <= extra else " **> 1 s**"))
    parts.append(f"peak {reg.peak_mb:.0f} MB" + ("" if reg.peak_mb < 300 else " **>= 300**"))
    return "; ".join(parts)
