"""``llmgit report`` at scale: a full build, a rebuild with nothing changed, a rebuild after
one more ``register``, and peak RSS, beside ``llmgit models`` on the same registry in the same
run (1000 x 10 from bench/genregistry.py; ``--quick``: 100 x 10).

    .venv/bin/python bench/run.py --only report

Targets (issue 17): the full report under 20 s and within 40x of ``llmgit models``; after one
more ``register`` the rebuild under 2 s; peak RSS under 500 MB. The full build starts from no
site and nothing remembered (stage history, card blob ids, descriptions); the rebuilds update
the site the previous run wrote.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from pathlib import Path

from common import LLMGIT, Measure, Row, Section, Verdict, fmt_s, git, log, measure, ratio, rmtree

FULL_LIMIT = 20.0  # s
MODELS_RATIO = 40.0
REBUILD_LIMIT = 2.0  # s
RSS_LIMIT = 500.0  # MB


def _pages_written(repo: Path, site: Path, env: dict[str, str]) -> str:
    """The CLI's own count of pages written ("Wrote N page(s) ..."), from one untimed run."""
    proc = subprocess.run(
        [str(LLMGIT), "report", "--out", str(site)], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    found = re.search(r"Wrote (\d+) page\(s\)", proc.stderr)
    return found[1] if found else f"? (exit {proc.returncode})"


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    from genregistry import generate

    t_start = time.perf_counter()
    n, m = (100, 10) if quick else (1000, 10)
    sec = Section("report", f"Static report: `llmgit report` on {n} models x {m} versions")
    log(f"  generating {n} x {m} ...")
    gen = generate(work / f"reg-report-{n}x{m}", n, m, with_gto=False, env=env)
    repo, site = gen.repo, work / f"site-{n}x{m}"
    history_cache = repo / ".git" / "llmgit" / "cache" / "history"
    report_cache = repo / ".git" / "llmgit" / "cache" / "report"  # card blob ids, descriptions
    repeats = 2 if quick else 3

    models = measure("llmgit models", [LLMGIT, "models"], cwd=repo, env=env, repeats=5, warmup=1, mem=True)

    # An earlier site is moved aside, not deleted, before a full build, and the moved sites are
    # deleted once the section is done: on ext4 without a journal (these machines' disks)
    # creating files soon after deleting thousands of others makes the kernel step past each
    # recently freed inode (perf: up to 16% of a full build in find_inode_bit and
    # recently_deleted), which is the setup's cost, not the report's.
    earlier_sites = work / f"report-earlier-sites-{n}x{m}"
    moved = itertools.count(1)

    def cold() -> None:
        if site.exists():
            earlier_sites.mkdir(exist_ok=True)
            site.rename(earlier_sites / str(next(moved)))
        rmtree(history_cache)
        rmtree(report_cache)

    full = measure(
        "llmgit report --out site",
        [LLMGIT, "report", "--out", str(site)],
        cwd=repo,
        env=env,
        repeats=repeats,
        setup=cold,
        mem=True,
        timeout=600,
    )
    if not site.is_dir():
        cold()
        _pages_written(repo, site, env)
    same = measure(
        "llmgit report (nothing changed)",
        [LLMGIT, "report", "--out", str(site)],
        cwd=repo,
        env=env,
        repeats=repeats + 2,
        mem=True,
    )

    weights = repo / "out" / "tiny"
    weights.mkdir(parents=True, exist_ok=True)
    name = gen.names[n // 2]
    counter = itertools.count(1)

    def register() -> None:
        i = next(counter)
        (weights / "adapter.bin").write_bytes(f"adapter {i}\n".encode())
        version = f"9.0.{i}"
        subprocess.run(
            [str(LLMGIT), "register", name, "-w", "out/tiny", "--version", version, "-M", f"accuracy=0.{i}"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )

    after = measure(
        "llmgit report (after one register)",
        [LLMGIT, "report", "--out", str(site)],
        cwd=repo,
        env=env,
        repeats=repeats + 2,
        setup=register,
        mem=True,
    )
    register()
    written = _pages_written(repo, site, env)
    rmtree(earlier_sites)

    rows = [
        (
            "`report`, full build (no site, nothing remembered)",
            full,
            f"< {FULL_LIMIT:.0f} s, <= {MODELS_RATIO:.0f}x `models`",
        ),
        ("`report`, nothing changed", same, "writes 0 pages"),
        ("`report`, after one more `register`", after, f"< {REBUILD_LIMIT:.0f} s"),
    ]
    for case, measured, target in rows:
        sec.rows.append(Row(case, measured, floor=[models], target=target, mem=True))
    x = ratio(full, models)
    sec.verdicts = [
        _verdict(f"full report < {FULL_LIMIT:.0f} s", full, lambda s: s < FULL_LIMIT, lambda s: fmt_s(s)),
        Verdict(
            f"full report within {MODELS_RATIO:.0f}x of `llmgit models`",
            None if x is None else x <= MODELS_RATIO,
            "n/a" if x is None else f"{x:.1f}x ({fmt_s(full.median)} vs {fmt_s(models.median)})",
        ),
        _verdict(
            f"rebuild after one register < {REBUILD_LIMIT:.0f} s",
            after,
            lambda s: s < REBUILD_LIMIT,
            lambda s: fmt_s(s),
        ),
        Verdict(
            f"peak RSS < {RSS_LIMIT:.0f} MB",
            None if not (full.ok and after.ok) else max(full.peak_mb, after.peak_mb) < RSS_LIMIT,
            f"full {full.peak_mb:.0f} MB, rebuild {after.peak_mb:.0f} MB" if full.ok and after.ok else "n/a",
        ),
    ]
    sec.notes.append(
        f"Registry from `bench/genregistry.py` ({gen.tags} tags, refs as generated). The rebuild after a "
        f"register: each timed run follows one untimed `llmgit register {name} --version 9.0.N` of a small "
        f"adapter; a last such rebuild wrote {written} page(s) (the model's page, the index, the new version's)."
    )
    sec.notes.append(
        f"`llmgit report` also lists the remote and the versions' objects for the storage tiles (on this "
        f"registry's made-up md5s they read as unknown); that time is included. "
        f"Git: {git(repo, 'version', env=env).strip()}."
    )
    sec.seconds = time.perf_counter() - t_start
    return sec


def _verdict(target: str, m: Measure, ok, show) -> Verdict:  # type: ignore[no-untyped-def]
    if not m.ok:
        return Verdict(target, None, m.error or "n/a")
    return Verdict(target, ok(m.median), show(m.median))
