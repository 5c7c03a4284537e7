"""Section 1, scale at 10,000 x 10 (full bench only): every read command against
``git for-each-ref`` of all tags with their messages plus interpreter start-up, measured side
by side, and the peak RSS of each (the tags are streamed: a listing keeps only its answer)."""

from __future__ import annotations

import time

from common import LLMGIT, PYTHON, Measure, Row, Section, Verdict, fmt_s, git, log, measure
from genregistry import generate
from scale import TAG_FORMAT, Ctx, loose_refs

FLOOR_RATIO = 3
RSS_LIMIT_MB = 300


def huge_section(ctx: Ctx, n: int, m: int) -> Section:
    sec = Section(f"scale-{n}x{m}", f"Scale: {n} models x {m} versions (read commands)")
    t_start = time.perf_counter()
    env = ctx.env
    log(f"  generating {n} x {m} ...")
    t = time.perf_counter()
    gen = generate(ctx.work / f"reg-{n}x{m}", n, m, with_gto=False, env=env)
    gen_s = time.perf_counter() - t
    repo = gen.repo
    tags = len(git(repo, "for-each-ref", "--format=x", "refs/tags", env=env).splitlines())
    name = f"model-{n // 2:04d}"
    first, newest = gen.version_names[0], gen.version_names[-1]
    sec.notes.append(
        f"Generator (`bench/genregistry.py`, one line of commits per model): {n} x {m} in {gen_s:.1f} s; "
        f"{tags} tags (version and stage tags). NAME = `{name}`. Floor: `git for-each-ref` over all tags "
        f"with llmgit's format (messages included) plus `python -c pass`; target: each read command within "
        f"{FLOOR_RATIO}x the floor and under {RSS_LIMIT_MB} MB peak RSS. Refs are packed by the first listing."
    )

    def ll(label: str, args: list[str], repeats: int = 3, warmup: int = 1) -> Measure:
        return measure(label, [LLMGIT, *args], cwd=repo, env=env, repeats=repeats, warmup=warmup, budget=60.0, mem=True)

    loose_refs(sec, repo, env, name, lambda label, args: ll(label, args, repeats=1, warmup=0))

    fer = measure(
        "for-each-ref", ["git", "for-each-ref", TAG_FORMAT, "refs/tags"], cwd=repo, env=env, repeats=5, warmup=1
    )
    py = measure("python -c pass", [PYTHON, "-c", "pass"], cwd=repo, env=env, repeats=5, warmup=1)
    floor = fer.median + py.median if fer.ok and py.ok else None
    cases = [
        ("`models`", ["models"]),
        ("`versions NAME`", ["versions", name]),
        ("`show NAME`", ["show", name]),
        ("`stages`", ["stages"]),
        ("`search 'metrics.accuracy>=0.85'`", ["search", "metrics.accuracy>=0.85"]),
        (f"`diff NAME@v{first} NAME@v{newest}`", ["diff", f"{name}@v{first}", f"{name}@v{newest}"]),
    ]
    over_time, over_rss = [], []
    for case, args in cases:
        mm = ll(f"llmgit {' '.join(args)}", args)
        verdict = "FAILED"
        if mm.ok and floor is not None:
            x = mm.median / floor
            verdict = f"{x:.1f}x floor" + (f" **> {FLOOR_RATIO}x**" if x > FLOOR_RATIO else "")
            verdict += f"; peak {mm.peak_mb:.0f} MB" + (
                f" **> {RSS_LIMIT_MB} MB**" if mm.peak_mb > RSS_LIMIT_MB else ""
            )
            if x > FLOOR_RATIO:
                over_time.append(f"{case} {fmt_s(mm.median)}")
            if mm.peak_mb > RSS_LIMIT_MB:
                over_rss.append(f"{case} {mm.peak_mb:.0f} MB")
        elif not mm.ok:
            over_time.append(f"{case} failed")
        target = f"<= {FLOOR_RATIO}x (for-each-ref + python); < {RSS_LIMIT_MB} MB"
        sec.rows.append(Row(case, mm, [], [fer, py], target, verdict, mem=True))
    if floor is not None:
        sec.verdicts.append(
            Verdict(
                f"Read commands on {n} x {m} within {FLOOR_RATIO}x of git for-each-ref plus interpreter start-up",
                not over_time,
                f"limit {FLOOR_RATIO} x ({fmt_s(fer.median)} + {fmt_s(py.median)}) = {fmt_s(FLOOR_RATIO * floor)}; "
                + ("; ".join(over_time) if over_time else "all within"),
            )
        )
    sec.verdicts.append(
        Verdict(
            f"Read commands on {n} x {m} under {RSS_LIMIT_MB} MB peak RSS",
            not over_rss and floor is not None,
            "; ".join(over_rss) if over_rss else "all under",
        )
    )
    sec.seconds = time.perf_counter() - t_start
    return sec
