"""Section 2, weights: ``register`` of one big file and of a directory of 8 shards, with the
default copy cache and with a link cache, against ``dvc add`` (DVC's default and a hardlink
cache), the same steps by hand, and md5sum / cp / cat of the same bytes."""

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
        self.llmgit_link_tpl = self._template("tpl-llmgit-link", llmgit=True, cache_type="hardlink")
        self.dvc_tpl = self._template("tpl-dvc", llmgit=False)

    def _template(self, name: str, *, llmgit: bool, cache_type: str | None = None) -> Path:
        path = self.work / name
        if path.exists():
            return path
        path.mkdir()
        git(path, "init", "-q", "-b", "main", env=self.env)
        git(path, "commit", "-q", "--allow-empty", "-m", "start", env=self.env)
        if llmgit:
            extra = ["--cache-type", cache_type] if cache_type else []
            check([LLMGIT, "init", "--remote", str(self.remote), *extra], cwd=path, env=self.env)
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


def warm(paths: list[Path]) -> None:
    """Read files once (untimed), so a warm run finds them in the page cache even after a cold
    run dropped it."""
    for path in paths:
        with open(path, "rb") as fh:
            while fh.read(CHUNK):
                pass


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
    cold: bool = False,
) -> tuple[Measure, Measure | None]:
    """Timed runs of ``argv`` on fresh repositories; ``then`` is timed right after in the same one."""
    first, second = Measure(label), Measure(then[0]) if then else None
    for _ in range(repeats):
        repo = repos.fresh(template, cache_type)
        rel = _bring(data, kind, repo).relative_to(repo)
        if not cold:
            target = repo / rel
            warm(sorted(target.iterdir()) if target.is_dir() else [target])
        try:
            m = measure(label, argv(rel), cwd=repo, env=repos.env, repeats=1, mem=True, sync=True, cold=cold)
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


def _cp(files: list[str], work: Path, env: dict[str, str], reps: int) -> Measure:
    """``cp`` of the same bytes into a fresh directory on the same file system (removed untimed)."""
    dest = work / "cp-dest"

    def fresh() -> None:
        rmtree(dest)
        dest.mkdir()
        warm([Path(f) for f in files])

    return measure(
        "cp (same file system)",
        ["cp", *files, str(dest)],
        cwd=work,
        env=env,
        repeats=reps,
        mem=True,
        sync=True,
        setup=fresh,
        teardown=lambda: rmtree(dest),
    )


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    t0 = time.perf_counter()
    size = 256 * MiB if quick else 2 * GiB
    reps = 1 if quick else 5
    peer_reps = 1 if quick else 3
    sec = Section("weights", f"Weights: register {size / GiB:g} GiB (one file; a directory of {SHARDS} shards)")
    data = make_data(work, size)
    repos = Repos(work, env)
    for kind in ("file", "dir"):
        what = "1 file" if kind == "file" else f"{SHARDS} shards"
        name = "big" if kind == "file" else "sharded"

        def register(rel: Path, name: str = name) -> list[str | Path]:
            return [LLMGIT, "register", name, "--weights", rel, "-m", "bench"]

        again_step = (
            "llmgit register again, unchanged",
            lambda rel, name=name: [LLMGIT, "register", name, "--weights", rel, "--bump", "minor"],
        )
        reg, again = series(
            f"llmgit register ({what}, copy cache)",
            kind,
            data,
            repos,
            repos.llmgit_tpl,
            register,
            repeats=reps,
            then=again_step,
        )
        reg_cold, _ = series(
            f"llmgit register ({what}, copy cache, cold page cache)",
            kind,
            data,
            repos,
            repos.llmgit_tpl,
            register,
            repeats=peer_reps,
            cold=True,
        )
        reg_link, _ = series(
            f"llmgit register ({what}, hardlink cache)",
            kind,
            data,
            repos,
            repos.llmgit_link_tpl,
            register,
            repeats=peer_reps,
        )
        dvc_default, _ = series(
            "dvc add (DVC default: reflink,copy)",
            kind,
            data,
            repos,
            repos.dvc_tpl,
            lambda rel: [DVC, "add", "-q", rel],
            repeats=peer_reps,
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
        by_hand, _ = series(
            "dvc add + git commit + git tag (DVC default)",
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
            repeats=1,
        )
        files = [str(f) for f in data.files(kind)]
        warmed = [Path(f) for f in files]
        md5 = measure(
            "md5sum",
            ["md5sum", *files],
            cwd=work,
            env=env,
            repeats=reps,
            mem=True,
            sync=True,
            setup=lambda warmed=warmed: warm(warmed),
        )
        md5_cold = measure(
            "md5sum (cold page cache)", ["md5sum", *files], cwd=work, env=env, repeats=peer_reps, mem=True, cold=True
        )
        cp = _cp(files, work, env, reps)
        cat = measure(
            "cat > /dev/null",
            ["cat", *files],
            cwd=work,
            env=env,
            repeats=reps,
            mem=True,
            setup=lambda warmed=warmed: warm(warmed),
        )
        sec.rows.append(
            Row(
                f"`register` {what} (copy cache, the default)",
                reg,
                [dvc_default, dvc_link, by_hand],
                [md5, cp, cat],
                "<= 1.15x md5sum; <= 0.5x `dvc add` (DVC default); peak < 300 MB; read once",
                _register_verdict(reg, dvc_default, md5),
                mem=True,
                read_of=size,
            )
        )
        sec.rows.append(
            Row(
                f"`register` {what} (copy cache), cold page cache",
                reg_cold,
                [],
                [md5_cold],
                "the source read once from storage",
                (
                    f"from disk {reg_cold.disk_median / size:.2f}x the weights' bytes (modules included); "
                    f"{ratio(reg_cold, md5_cold) or 0:.2f}x md5sum"
                )
                if reg_cold.ok
                else f"FAILED: {reg_cold.error}",
                mem=True,
                read_of=size,
            )
        )
        sec.rows.append(
            Row(
                f"`register` {what} (hardlink cache, by choice)",
                reg_link,
                [dvc_link],
                [md5],
                "beside the copy mode, for comparison",
                _register_verdict(reg_link, dvc_default, md5),
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
                    "no rehash (stat signature)",
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
        vs_md5, vs_dvc = ratio(reg, md5), ratio(reg, dvc_default)
        sec.verdicts.append(
            Verdict(
                f"register {what} (copy cache) within 1.15x of md5sum of the same bytes",
                None if vs_md5 is None else vs_md5 <= 1.15,
                f"llmgit {fmt_s(reg.median) if reg.ok else 'failed'} vs md5sum {fmt_s(md5.median) if md5.ok else 'failed'}"
                + (f" = {vs_md5:.2f}x" if vs_md5 else ""),
            )
        )
        sec.verdicts.append(
            Verdict(
                f"register {what} (copy cache) at most 0.5x `dvc add` with DVC's default",
                None if vs_dvc is None else vs_dvc <= 0.5,
                f"llmgit {fmt_s(reg.median) if reg.ok else 'failed'} vs dvc add "
                f"{fmt_s(dvc_default.median) if dvc_default.ok else 'failed'}"
                + (f" = {vs_dvc:.2f}x" if vs_dvc else ""),
            )
        )
        if reg.ok:
            sec.verdicts.append(
                Verdict(
                    f"register {what}: peak memory under 300 MB",
                    reg.peak_mb < 300,
                    f"peak RSS {reg.peak_mb:.0f} MB (warm), "
                    + (f"{reg_cold.peak_mb:.0f} MB (cold)" if reg_cold.ok else "cold n/a"),
                )
            )
        sec.verdicts.append(
            Verdict(
                f"register {what}: each byte read once from the source",
                (reg_cold.disk_median < 1.1 * size) if reg_cold.ok else None,
                (
                    f"cold page cache: {reg_cold.disk_median / size:.2f}x the weights' bytes read from storage "
                    "(Python's modules included)"
                    if reg_cold.ok
                    else f"cold run not possible: {reg_cold.error}"
                )
                + (
                    f"; warm: read() {reg.read_median / size:.2f}x, the second 1.00x being the kernel's copy of "
                    "the pages just hashed (copy_file_range counts as read, as `cp`'s 1.00x shows)"
                    if reg.ok
                    else ""
                ),
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
        "column: figures are CPU-bound, and a cold disk adds its read time to each column alike. "
        "Dirty pages are written out before each timed run.",
        "The copy cache (llmgit's default, `reflink,copy`) leaves the working tree's files independent of "
        "the cache: llmgit hashes each file while the kernel copies it into the cache, from one read. The "
        "hardlink cache links them (a rewrite in place then changes the cached object; llmgit warns).",
        "`read` is rchar, the bytes returned by read()-like calls in the whole process tree, over the "
        "weights' size; the kernel's copy_file_range counts there too (`cp` shows 1.00x), so llmgit's "
        "hash-while-the-kernel-copies shows 2.00x although the process reads each byte once. `from disk` "
        "(cold rows: the page cache dropped before each run) is what the tree made the kernel read from "
        "storage. Peak is the largest RSS of any process in the tree.",
        "`register ... again, unchanged` registers the same bytes as a new version right after the first "
        "registration, in the same repository.",
    ]
    sec.seconds = time.perf_counter() - t0
    return sec


def _register_verdict(reg: Measure, dvc_default: Measure, md5: Measure) -> str:
    if not reg.ok:
        return "FAILED"
    parts = []
    if (r := ratio(reg, md5)) is not None:
        parts.append(f"{r:.2f}x md5sum")
    if (r := ratio(reg, dvc_default)) is not None:
        parts.append(f"{r:.2f}x dvc add (default)")
    parts.append(f"peak {reg.peak_mb:.0f} MB" + ("" if reg.peak_mb < 300 else " **>= 300**"))
    return "; ".join(parts)
