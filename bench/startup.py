"""Section 5, start-up: ``llmgit --help`` and read-only commands on a small registry against
``python -c pass`` and ``gto --help``; what ``python -X importtime`` says about the rest; and
which heavy packages each read-only command imports."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from common import GTO, LLMGIT, PYTHON, Row, Section, Verdict, fmt_s, measure, ratio
from genregistry import generate

HELP_LIMIT = 0.15  # s over python -c pass
HEAVY = ("dvc", "boto3", "botocore", "jinja2", "jsonschema", "s3fs", "aiobotocore", "rich")
FORBIDDEN = ("dvc", "boto3", "jinja2", "jsonschema")

_PROBE = """
import io, json, sys, contextlib
from llmgit.cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    code = main(json.loads(sys.argv[1]))
heavy = json.loads(sys.argv[2])
sys.__stdout__.write(json.dumps({"code": code, "modules": sorted(m for m in heavy if m in sys.modules)}))
"""


def imported_by(args: list[str], repo: Path, env: dict[str, str]) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [str(PYTHON), "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return proc.returncode or 99, [f"probe failed: {proc.stderr.strip()[-200:]}"]
    return int(data["code"]), list(data["modules"])


def import_profile(repo: Path, env: dict[str, str], top: int = 12) -> list[str]:
    """The slowest imports of ``llmgit --help``, by cumulative time (python -X importtime)."""
    proc = subprocess.run(
        [str(PYTHON), "-X", "importtime", "-c", "from llmgit.cli.main import main; main(['--help'])"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        head, cum_us, raw = line.split("|", 2)
        self_us = head.split(":", 1)[1]
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2
        rows.append((int(cum_us), int(self_us), depth, raw.strip()))
    total = next((c for c, _, _, n in rows if n == "llmgit.cli.main"), 0)
    picked = sorted((r for r in rows if r[3] != "llmgit.cli.main"), reverse=True)[:top]
    lines = [
        f"`import llmgit.cli.main`: {total / 1000:.0f} ms in all; the slowest imports inside it "
        "(cumulative ms, nesting depth):"
    ]
    lines += [
        f"  `{name}` {cum / 1000:.1f} ms (self {own / 1000:.1f} ms, depth {depth})" for cum, own, depth, name in picked
    ]
    return lines


def run(env: dict[str, str], work: Path, quick: bool, have_gto: bool) -> Section:
    t0 = time.perf_counter()
    reps = 3 if quick else 10
    sec = Section("startup", "Start-up")
    gen = generate(work / "small", 3, 3, with_gto=False, env=env)
    repo = gen.repo
    name = gen.names[1]
    py = measure("python -c pass", [PYTHON, "-c", "pass"], cwd=repo, env=env, repeats=reps, warmup=1)
    gto = (
        measure("gto --help", [GTO, "--help"], cwd=repo, env=env, repeats=max(3, reps // 2), warmup=1)
        if have_gto
        else None
    )
    cases = [
        ("`llmgit --help`", ["--help"]),
        ("`llmgit --version`", ["--version"]),
        ("`llmgit versions NAME` (3 x 3 registry)", ["versions", name]),
        ("`llmgit models` (3 x 3 registry)", ["models"]),
    ]
    helpm = None
    for case, args in cases:
        m = measure(f"llmgit {' '.join(args)}", [LLMGIT, *args], cwd=repo, env=env, repeats=reps, warmup=1)
        if args == ["--help"]:
            helpm = m
        over = m.median - py.median if m.ok and py.ok else None
        r = ratio(gto, m)
        verdict = f"+{over * 1000:.0f} ms over python" if over is not None else "FAILED"
        if r is not None and args == ["--help"]:
            verdict += f"; {r:.1f}x faster than gto --help"
        target = f"<= python + {HELP_LIMIT * 1000:.0f} ms" if args == ["--help"] else "—"
        if args == ["--help"] and over is not None:
            verdict = ("met: " if over <= HELP_LIMIT else "**MISSED**: ") + verdict
        sec.rows.append(Row(case, m, [gto] if gto and args == ["--help"] else [], [py], target, verdict))
    if helpm is not None and helpm.ok and py.ok:
        over = helpm.median - py.median
        sec.verdicts.append(
            Verdict(
                f"`llmgit --help` within {HELP_LIMIT * 1000:.0f} ms of `python -c pass`",
                over <= HELP_LIMIT,
                f"{fmt_s(helpm.median)} vs {fmt_s(py.median)}: +{over * 1000:.0f} ms",
            )
        )
    # which heavy packages the read-only commands import
    reads = [
        ["models"],
        ["versions", name],
        ["show", name],
        ["stages"],
        ["history", name],
        ["versions", name, "--filter", "metrics.accuracy >= 0.5 and stage != 'archived'"],
        ["search", "metrics.accuracy >= 0.5"],
        ["--help"],
    ]
    bad = []
    lines = []
    for args in reads:
        code, mods = imported_by(args, repo, env)
        forbidden = [m for m in mods if m in FORBIDDEN]
        if forbidden or code != 0:
            bad.append(f"`{' '.join(args)}` (exit {code}): {', '.join(forbidden) or 'none'}")
        lines.append(
            f"`llmgit {' '.join(args)}`: exit {code}, imports {', '.join(mods) or 'none'} of {', '.join(HEAVY)}"
        )
    sec.verdicts.append(
        Verdict(
            "no read-only command imports dvc, boto3, jinja2 or jsonschema",
            not bad,
            "; ".join(bad) if bad else f"checked {len(reads)} commands in-process via sys.modules",
        )
    )
    sec.notes += [
        "Heavy packages in `sys.modules` after one read-only command (run in-process through `llmgit.cli.main.main`):"
    ] + [f"  {line}" for line in lines]
    sec.notes += import_profile(repo, env)
    sec.seconds = time.perf_counter() - t0
    return sec
