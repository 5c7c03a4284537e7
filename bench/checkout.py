"""Section 3, checkout: a cached version's weights into a fresh directory (``--to``) and back
into the working tree, per DVC cache type, against ``cp`` (and ``dvc checkout``)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from common import DVC, LLMGIT, GiB, Measure, MiB, Row, Section, Verdict, check, fmt_s, git, measure, ratio, rmtree
from weights import SHARDS, make_data

LINK_LIMIT = 0.5  # s for 2 GiB with a link cache type
COPY_RATIO = 1.2


def registered_repo(
    work: Path, env: dict[str, str], name: str, remote: str, size: int, endpoint: str | None = None
) -> tuple[Path, list[Path]]:
    """A registry with the test shards registered as ``NAME@v1.0.0`` (copied in, so the
    data directory keeps its own files); returns it and the cache objects of the shards."""
    data = make_data(work, size)
    repo = work / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", env=env)
    git(repo, "commit", "-q", "--allow-empty", "-m", "start", env=env)
    argv = [LLMGIT, "init", "--remote", remote] + (["--endpoint-url", endpoint] if endpoint else [])
    check(argv, cwd=repo, env=env)
    (repo / "w").mkdir()
    subprocess.run(["cp", "-r", str(data.shards), str(repo / "w" / "shards")], check=True)
    check([LLMGIT, "register", "sharded", "--weights", "w/shards", "-m", "bench"], cwd=repo, env=env)
    os.sync()
    objects = [
        p for p in (repo / ".dvc" / "cache" / "files" / "md5").rglob("*") if p.is_file() and not p.name.endswith(".dir")
    ]
    return repo, sorted(objects)


def _cp(
    label: str, args: list[str], objects: list[Path], dest: Path, work: Path, env: dict[str, str], reps: int
) -> Measure:
    def setup() -> None:
        rmtree(dest)
        dest.mkdir(parents=True)

    m = measure(
        label,
        ["cp", *args, *map(str, objects), str(dest)],
        cwd=work,
        env=env,
        repeats=reps,
        setup=setup,
        mem=True,
        sync=True,
    )
    rmtree(dest)
    return m


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    t0 = time.perf_counter()
    size = 256 * MiB if quick else 2 * GiB
    reps = 1 if quick else 3
    peer_reps = 1 if quick else 2
    sec = Section("checkout", f"Checkout and rollback: a cached {size / GiB:g} GiB version ({SHARDS} shards)")
    repo, objects = registered_repo(work, env, "co-repo", str(work / "co-remote"), size)
    ref = "sharded@v1.0.0"
    shm = Path("/dev/shm")
    counter = [0]

    # 1. into a fresh directory
    def fresh(base: Path) -> Path:
        counter[0] += 1
        return base / f"llmgit-bench-export-{counter[0]}"

    same_fs: list[Path] = []
    exp = Measure(f"llmgit checkout {ref} --to DIR")
    for _ in range(reps):
        dest = fresh(work)
        same_fs.append(dest)
        m = measure(
            exp.label, [LLMGIT, "checkout", ref, "--to", str(dest)], cwd=repo, env=env, repeats=1, mem=True, sync=True
        )
        exp.samples += m.samples
        exp.error = exp.error or m.error
        rmtree(dest)
    cp_l = _cp("cp -l", ["-l"], objects, work / "cp-l", work, env, reps)
    cp_same = _cp("cp", [], objects, work / "cp-same", work, env, reps)
    reflink = _cp("cp --reflink=always", ["--reflink=always"], objects, work / "cp-reflink", work, env, 1)
    sec.rows.append(
        Row(
            "`checkout REF --to DIR`, same filesystem",
            exp,
            [],
            [cp_l, cp_same, reflink],
            f"< {LINK_LIMIT} s (links)",
            _limit(exp, LINK_LIMIT),
            mem=True,
        )
    )

    if shm.is_dir():
        exp2 = Measure(f"llmgit checkout {ref} --to /dev/shm/DIR")
        for _ in range(reps):
            dest = fresh(shm)
            m = measure(
                exp2.label,
                [LLMGIT, "checkout", ref, "--to", str(dest)],
                cwd=repo,
                env=env,
                repeats=1,
                mem=True,
                sync=True,
            )
            exp2.samples += m.samples
            exp2.error = exp2.error or m.error
            rmtree(dest)
        cp_shm = _cp("cp to /dev/shm", [], objects, shm / "llmgit-bench-cp", work, env, reps)
        r = ratio(exp2, cp_shm)
        sec.rows.append(
            Row(
                "`checkout REF --to DIR`, other filesystem (tmpfs: copies)",
                exp2,
                [],
                [cp_shm],
                f"<= {COPY_RATIO}x cp",
                _ratio_text(r, COPY_RATIO),
                mem=True,
            )
        )
        sec.verdicts.append(
            Verdict(
                f"checkout --to with copies within {COPY_RATIO}x of cp",
                None if r is None else r <= COPY_RATIO,
                f"{fmt_s(exp2.median) if exp2.ok else 'failed'} vs cp {fmt_s(cp_shm.median) if cp_shm.ok else 'failed'}"
                + (f" = {r:.2f}x" if r else ""),
            )
        )
    sec.verdicts.append(
        Verdict(
            f"checkout --to (links) of {size / GiB:g} GiB under {LINK_LIMIT} s",
            _met(exp, LINK_LIMIT),
            f"{fmt_s(exp.median) if exp.ok else exp.error}",
        )
    )

    # 2. back into the working tree, per cache type
    weights = repo / "w" / "shards"
    floors = {"copy": [cp_same], "hardlink": [cp_l], "symlink": [], "reflink": [reflink]}
    for kind in ("copy", "hardlink", "symlink", "reflink"):
        check([DVC, "config", "cache.type", kind], cwd=repo, env=env)
        wipe = lambda: rmtree(weights)  # noqa: E731
        m = measure(
            f"llmgit checkout {ref} (cache.type {kind})",
            [LLMGIT, "checkout", ref],
            cwd=repo,
            env=env,
            repeats=reps if kind != "reflink" else 1,
            setup=wipe,
            mem=True,
            sync=True,
        )
        peer = measure(
            f"dvc checkout (cache.type {kind})",
            [DVC, "checkout", "-q", "w/shards.dvc"],
            cwd=repo,
            env=env,
            repeats=peer_reps if kind != "reflink" else 1,
            setup=wipe,
            mem=True,
            sync=True,
        )
        if kind == "copy":
            r = ratio(m, cp_same)
            target, verdict = f"<= {COPY_RATIO}x cp", _ratio_text(r, COPY_RATIO)
            sec.verdicts.append(
                Verdict(
                    f"in-place checkout with copy within {COPY_RATIO}x of cp",
                    None if r is None else r <= COPY_RATIO,
                    f"{fmt_s(m.median) if m.ok else 'failed'} vs cp {fmt_s(cp_same.median)}"
                    + (f" = {r:.2f}x" if r else ""),
                )
            )
        elif kind == "reflink":
            target = "where the filesystem allows"
            verdict = (
                "n/a: this filesystem has no reflink (`cp --reflink=always` fails too)"
                if not reflink.ok
                else _limit(m, LINK_LIMIT)
            )
            if not reflink.ok:
                sec.verdicts.append(
                    Verdict(
                        "checkout with reflink",
                        None,
                        f'not possible here: `cp --reflink=always` says "{reflink.error}"',
                    )
                )
        else:
            target, verdict = f"< {LINK_LIMIT} s", _limit(m, LINK_LIMIT)
            sec.verdicts.append(
                Verdict(
                    f"in-place checkout with {kind} under {LINK_LIMIT} s",
                    _met(m, LINK_LIMIT),
                    fmt_s(m.median) if m.ok else m.error,
                )
            )
        sec.rows.append(
            Row(
                f"`checkout REF` into the working tree, cache.type {kind}",
                m,
                [peer],
                floors[kind],
                target,
                verdict,
                mem=True,
            )
        )
    rmtree(weights)
    check([DVC, "config", "cache.type", "reflink,hardlink,symlink,copy"], cwd=repo, env=env)
    sec.notes += [
        "`--to DIR` exports from the cache into a new directory (llmgit links where it can, whatever the "
        "configured cache type); `/dev/shm` is another filesystem, so links fail there and llmgit copies.",
        "`checkout REF` into the working tree runs with the weights removed first (untimed), so every run "
        "writes all shards; the cache type is set with `dvc config cache.type`.",
        "Floors copy the same cache objects with `cp` (`-l`: hard links).",
    ]
    rmtree(repo)
    sec.seconds = time.perf_counter() - t0
    return sec


def _met(m: Measure, limit: float) -> bool | None:
    return None if not m.ok else m.median < limit


def _limit(m: Measure, limit: float) -> str:
    if not m.ok:
        return f"FAILED: {m.error}"
    return ("met" if m.median < limit else "**MISSED**") + f" ({fmt_s(m.median)})"


def _ratio_text(r: float | None, limit: float) -> str:
    if r is None:
        return "n/a"
    return ("met" if r <= limit else "**MISSED**") + f" ({r:.2f}x cp)"
