"""Run the llmgit benchmark suite and print one Markdown report.

    .venv/bin/python bench/run.py                # full: 100x10 and 1000x10 registries, 2 GiB weights
    .venv/bin/python bench/run.py --quick        # 100x10, 256 MiB weights, fewer repeats
    .venv/bin/python bench/run.py --only scale   # one section (repeatable: scale, weights,
                                                 #   checkout, transfers, startup, mlflow, report)

Every figure is the median (with min-max) of repeated whole-process runs; each llmgit
figure stands beside its peer (GTO, DVC, boto3) and its floor (git for-each-ref, python -c
pass, md5sum, cat, cp) measured in the same run. The peers live in bench/.venv-peers
(created on first use: GTO from PyPI), never in llmgit's own environment. Everything is
built under a temporary directory that is removed at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH,
    DVC,
    GTO,
    GTO_VERSION,
    MAIN,
    PEERS,
    PYTHON,
    Section,
    fmt_s,
    log,
    make_env,
    rmtree,
)

SECTIONS = ("scale", "weights", "checkout", "transfers", "startup", "mlflow", "report", "cost")


def ensure_peers(offline: bool) -> bool:
    """GTO in its own virtual environment (bench/.venv-peers); False when unavailable."""
    if GTO.exists():
        return True
    if offline:
        return False
    log(f"installing gto=={GTO_VERSION} into {PEERS} ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", f"gto=={GTO_VERSION}"], check=True)
    except (subprocess.CalledProcessError, OSError) as e:
        log(f"could not install gto ({e}); GTO columns will be empty")
        return False
    return GTO.exists()


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        return (out.stdout.strip() or out.stderr.strip()).splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "n/a"


def machine(work: Path) -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    fs = "?"
    best = ""
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            dev, mnt, kind = line.split()[:3]
            if str(work).startswith(mnt) and len(mnt) >= len(best):
                best, fs = mnt, f"{kind} ({dev} on {mnt})"
    except OSError:
        pass
    head = _version(["git", "-C", str(MAIN), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(MAIN), "status", "--porcelain", "--", "llmgit"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return [
        f"- llmgit at commit {head}"
        + (f", with uncommitted changes to {len(dirty)} file(s) under llmgit/" if dirty else ""),
        f"- Machine: {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM; Linux {platform.release()}; "
        f"load average {os.getloadavg()[0]:.2f} when the report was written (the machine may be shared)",
        f"- Work directory: {work} on {fs}",
        f"- Python {platform.python_version()}; {_version(['git', '--version'])}; "
        f"dvc {_version([str(DVC), '--version'])}; gto {_version([str(GTO), '--version']) if GTO.exists() else 'n/a'}",
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100x10 only, 256 MiB weights, fewer repeats")
    p.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write the report (default: bench/results/RESULTS.md, RESULTS-quick.md with --quick)",
    )
    p.add_argument("--workdir", type=Path, default=None, help="parent of the temporary directory (default $TMPDIR)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--offline", action="store_true", help="never install the peers")
    a = p.parse_args()
    if not PYTHON.exists():
        p.error(f"{PYTHON} is missing: run scripts/bootstrap.sh (or ./scripts/test.sh) first")
    chosen = [s for s in SECTIONS if not a.only or s in a.only]
    started = time.perf_counter()
    have_gto = ensure_peers(a.offline) if {"scale", "startup"} & set(chosen) else GTO.exists()
    work = Path(tempfile.mkdtemp(prefix="llmgit-bench-", dir=a.workdir))
    env = make_env(work / "home", {"DVC_SITE_CACHE_DIR": str(work / "dvc-site")})
    sections: list[Section] = []
    try:
        for key in chosen:
            log(f"== {key}")
            t = time.perf_counter()
            try:
                sections += run_section(key, env, work, a.quick, have_gto)
            except Exception as e:  # one broken section must not hide the others' figures
                import traceback

                traceback.print_exc()
                sections.append(
                    Section(
                        key,
                        f"{key}: FAILED",
                        notes=[f"the section failed: {type(e).__name__}: {e}"],
                        seconds=time.perf_counter() - t,
                    )
                )
            log(f"== {key} done in {fmt_s(time.perf_counter() - t)}")
    finally:
        total = time.perf_counter() - started
        report = render(sections, work, a.quick, total)
        if not a.keep:
            rmtree(work)
        else:
            log(f"kept {work}")
    if a.out is None:
        a.out = BENCH / "results" / ("RESULTS-quick.md" if a.quick else "RESULTS.md")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(report, encoding="utf-8")
    sys.stdout.write(report)
    log(f"report written to {a.out} ({fmt_s(total)} in all)")
    return 0


def run_section(key: str, env: dict[str, str], work: Path, quick: bool, have_gto: bool) -> list[Section]:
    if key == "scale":
        import scale
        import scale10k

        ctx = scale.Ctx(env, work, quick, have_gto)
        return scale.run(ctx) + ([] if quick else [scale10k.huge_section(ctx, 10_000, 10)])
    if key == "weights":
        import weights

        return [weights.run(env, work, quick)]
    if key == "checkout":
        import checkout

        return [checkout.run(env, work, quick)]
    if key == "transfers":
        import transfers

        return [transfers.run(env, work, quick)]
    if key == "mlflow":
        import mlflow_registry

        return [mlflow_registry.run(env, work, quick)]
    if key == "report":
        import report_bench

        return [report_bench.run(env, work, quick)]
    if key == "cost":
        import costbench

        return [costbench.run(env, work, quick)]
    import startup

    return [startup.run(env, work, quick, have_gto)]


def render(sections: list[Section], work: Path, quick: bool, total: float) -> str:
    mode = "quick (`--quick`)" if quick else "full"
    out = [
        f"# llmgit benchmarks ({mode})",
        "",
        *machine(work),
        f"- Total run time: {fmt_s(total)}",
        "",
        "Cells: **median** (min–max, n = timed whole-process runs). Peer and floor were measured "
        "in the same run. `> X s (stopped)` is a lower bound: the peer was stopped after X s to keep "
        "the suite inside its time budget.",
        "",
    ]
    for s in sections:
        out.append(s.markdown())
    verdicts = [v for s in sections for v in s.verdicts]
    if verdicts:
        out += ["## Targets", ""] + [v.line() for v in verdicts] + [""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
