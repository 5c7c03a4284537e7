"""Every command's streams: stdout holds exactly its result (what ``$(llmgit ...)`` captures),
stderr the narration. A table of command -> argv -> the exact stdout, on real registries; and a
meta-test that the table covers every command the application defines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import typer.main
from canarykit import M, served_repo
from conftest import Clock, git, make_weights, run_cli
from stagekit import ok

from llmgit.cli.main import app

DAY = 86400


@dataclass(frozen=True)
class Case:
    """``argv`` and ``stdout`` may name ``{root}`` (the repository) and ``{tmp}`` (a scratch
    directory). ``stdout`` is the exact text, or with ``data=True`` the start of a listing or
    document. ``stderr``: narration stderr must hold; for a listing without it, stderr is empty."""

    command: str
    argv: tuple[str, ...]
    stdout: str
    stderr: str = ""
    setup: tuple[tuple[str, ...], ...] = ()  # llmgit commands (same placeholders) run first
    base: str = "served"  # served | registry | bare | s3
    data: bool = False
    code: int = 0
    prepare: Callable[[Path, Path, Clock], None] | None = field(default=None, compare=False)


def _new_weights(root: Path, tmp: Path, clock: Clock) -> None:
    make_weights(root / "out" / M, seed=999)


def _drop_stage_tag(root: Path, tmp: Path, clock: Clock) -> None:
    git(root, "tag", "-d", f"{M}#production")


def _origin_moves_a_stage_tag(root: Path, tmp: Path, clock: Clock) -> None:
    git(tmp, "init", "-q", "--bare", str(tmp / "origin.git"))
    git(root, "remote", "add", "origin", str(tmp / "origin.git"))
    git(root, "push", "-q", "origin", "--all")
    git(root, "push", "-q", "origin", "--tags")
    staging = git(root, "rev-parse", f"refs/tags/{M}#staging").strip()  # the remote's pointer moves
    git(tmp / "origin.git", "update-ref", f"refs/tags/{M}#production", staging)


def _counts(root: Path, tmp: Path, clock: Clock) -> None:
    (tmp / "counts.json").write_text(
        json.dumps({"1.0.1": {"correct": 75, "total": 100}, "1.0.2": {"correct": 19, "total": 25}})
    )


def _four_hundred_days_on(root: Path, tmp: Path, clock: Clock) -> None:
    clock.set(clock.now + 400 * DAY)


def _gto_assignment(root: Path, tmp: Path, clock: Clock) -> None:
    make_weights(root / "out" / "churn", seed=7)
    ok(root, "register", "churn", "-w", "out/churn")
    clock.tick()
    git(root, "tag", "-a", "churn#prod#1", "churn@v1.0.0^{commit}", "-m", "Assigning stage prod to artifact churn")


def _s3_two_versions(root: Path, tmp: Path, clock: Clock) -> None:
    for seed in (1, 2):
        make_weights(root / "out" / M, seed=seed)
        ok(root, "register", M, "-w", f"out/{M}")
    ok(root, "push")
    for v in ("1.0.0", "1.0.1"):
        ok(root, "promote", f"{M}@v{v}", "--to", "production", "--direct", "--skip-staging")


PUSHED = (("push",),)
PROD = f"{M} production"

CASES: dict[str, Case] = {
    "init": Case(
        "init", ("init", "--remote", "{tmp}/remote"), "{root}\n", "Initialized the llmgit registry", base="bare"
    ),
    "register": Case(
        "register", ("register", M, "-w", f"out/{M}"), f"{M}@v1.0.4\n", f"Registered {M}@v1.0.4", prepare=_new_weights
    ),
    "register-dry-run": Case(
        "register",
        ("register", M, "-w", f"out/{M}", "--dry-run"),
        f"{M}@v1.0.4\n",
        f"Dry run: would register {M}@v1.0.4",
        prepare=_new_weights,
    ),
    "register-json": Case(
        "register",
        ("register", M, "-w", f"out/{M}", "--json"),
        '{\n  "name"',
        "warning: the card records llmgit's own environment",
        data=True,
        prepare=_new_weights,
    ),
    "models": Case("models", ("models",), "MODEL", data=True),
    "versions": Case("versions", ("versions", M), "VERSION", data=True),
    "show": Case("show", ("show", f"{M}@v1.0.0", "--json"), "{\n", data=True),
    "checkout": Case(
        "checkout",
        ("checkout", f"{M}@v1.0.3"),
        f"{{root}}/out/{M}\n",
        f"Checked out {M}@v1.0.3: {{root}}/out/{M} and its model card",
    ),
    "checkout-to": Case(
        "checkout",
        ("checkout", f"{M}@v1.0.0", "--to", "{tmp}/export"),
        "{tmp}/export\n",
        f"Exported {M}@v1.0.0: 4 file(s) into {{tmp}}/export",
    ),
    "checkout-to-relative": Case(
        "checkout", ("checkout", f"{M}@v1.0.0", "--to", "../scratch/export"), "{tmp}/export\n", f"Exported {M}@v1.0.0"
    ),
    "promote": Case(
        "promote",
        ("promote", f"{M}@v1.0.2", "--to", "production", "--direct"),
        f"{M}@v1.0.2\n",
        f"Promoted {M} v1.0.2 to production (was v1.0.1)",
    ),
    "promote-held": Case(
        "promote",
        ("promote", f"{M}@v1.0.1", "--to", "production", "--direct"),
        f"{M}@v1.0.1\n",
        f"{M} v1.0.1 already holds production; nothing to do",
    ),
    "promote-pr": Case(
        "promote",
        ("promote", f"{M}@v1.0.2", "--to", "production", "--pr"),
        f"llmgit/promote/{M}-v1.0.2-to-production\n",
        f"Proposed {M} v1.0.2 for production on branch llmgit/promote/{M}-v1.0.2-to-production",
    ),
    "rollback": Case("rollback", ("rollback", M), f"{M}@v1.0.0\n", f"Rolled back {M} in production: v1.0.1 -> v1.0.0"),
    "sync": Case("sync", ("sync",), f"{M}#production\n", "Synced the stage tags", prepare=_drop_stage_tag),
    "sync-in-step": Case("sync", ("sync",), "", "Stage tags and archive already match the stage branches"),
    "stages": Case("stages", ("stages",), "MODEL", data=True),
    "history": Case("history", ("history", M), "WHEN", data=True),
    "fetch": Case(
        "fetch", ("fetch",), f"{M}#production\n", "Fetched: 0 stage branch(es)", prepare=_origin_moves_a_stage_tag
    ),
    "review": Case(
        "review",
        ("review", "--out", "{tmp}/review.md"),
        "{tmp}/review.md\n",
        "Wrote {tmp}/review.md",
        setup=(("promote", f"{M}@v1.0.2", "--to", "production", "--pr"),),
    ),
    "review-markdown": Case(
        "review", ("review",), "## ", data=True, setup=(("promote", f"{M}@v1.0.2", "--to", "production", "--pr"),)
    ),
    "guard": Case(
        "guard",
        ("guard", M, "--metric", "accuracy", "--threshold", "0.1"),
        f"{PROD} v1.0.1: healthy: accuracy 0.75 of v1.0.1 is within 0.1 of v1.0.0's 0.7\n",
    ),
    "guard-apply": Case(
        "guard",
        ("guard", M, "--metric", "accuracy", "--threshold", "0.01", "--apply"),
        f"{PROD} v1.0.3: DEGRADED: accuracy 0.6 of v1.0.3 is below 0.79 (v1.0.2's 0.8 - 0.01)\n",
        f"Rolled back {M} in production: v1.0.3 -> v1.0.2",
        setup=(
            ("promote", f"{M}@v1.0.2", "--to", "production", "--direct"),
            ("promote", f"{M}@v1.0.3", "--to", "production", "--direct", "--skip-staging"),
        ),
        code=5,
    ),
    "push": Case("push", ("push", f"{M}@v1.0.3"), f"{M}@v1.0.3\n", "Pushed the weights of 1 version(s)"),
    "pull": Case("pull", ("pull", f"{M}@v1.0.0"), f"{M}@v1.0.0\n", f"Fetched the weights of {M}@v1.0.0", setup=PUSHED),
    "verify": Case(
        "verify",
        ("verify", f"{M}@v1.0.0", f"{M}@v1.0.1"),
        f"{M}@v1.0.0: ok (4 file(s))\n{M}@v1.0.1: ok (4 file(s))\n",
        setup=PUSHED,
    ),
    "publish": Case(
        "publish",
        ("publish", f"{M}@v1.0.0", "--to", "{tmp}/published"),
        f"{{tmp}}/published/{M}/v1.0.0\n",
        f"Published {M}@v1.0.0 to {{tmp}}/published/{M}/v1.0.0",
        setup=PUSHED,
    ),
    "pin": Case("pin", ("pin", M, "-r", "audit"), f"{M}@v1.0.3\n", f"Pinned {M}"),
    "unpin": Case(
        "unpin", ("unpin", f"{M}@v1.0.0"), f"{M}@v1.0.0\n", f"Unpinned {M}@v1.0.0", setup=(("pin", f"{M}@v1.0.0"),)
    ),
    "tier": Case(
        "tier",
        ("tier", f"{M}@v1.0.0", "--to", "GLACIER"),
        f"{M}@v1.0.0\n",
        f"{M}@v1.0.0: 3 object(s) moved to GLACIER",
        base="s3",
        prepare=_s3_two_versions,
    ),
    "restore": Case(
        "restore",
        ("restore", f"{M}@v1.0.0", "--days", "2"),
        f"{M}@v1.0.0\n",
        f"{M}@v1.0.0: ",
        base="s3",
        prepare=_s3_two_versions,
        setup=(("tier", f"{M}@v1.0.0", "--to", "GLACIER"),),
    ),
    "cost": Case("cost", ("cost",), "Storage remote: ", data=True),
    "fsck": Case("fsck", ("fsck", f"{M}@v1.0.0"), f"{M}@v1.0.0: ok (4 file(s))\n", "Checked 5 object(s)"),
    "report": Case(
        "report", ("report", "-o", "{tmp}/site", "--no-manifests"), "{tmp}/site/index.html\n", "Wrote 6 page(s)"
    ),
    "diff": Case("diff", ("diff", f"{M}@v1.0.0", f"{M}@v1.0.1"), f"{M}@v1.0.0 -> {M}@v1.0.1\n", data=True),
    "search": Case("search", ("search", "metrics.accuracy > 0.7"), "MODEL ", data=True),
    "lifecycle plan": Case("lifecycle plan", ("lifecycle", "plan"), "", "Nothing to do"),
    "lifecycle apply": Case(
        "lifecycle apply",
        ("lifecycle", "apply"),
        f"purge {M}@v1.0.0\n",
        f"purge {M}@v1.0.0: ",
        setup=PUSHED,
        prepare=_four_hundred_days_on,
    ),
    "card validate": Case("card validate", ("card", "validate", f"{M}@v1.0.0"), "", "The model card is valid."),
    "card render": Case("card render", ("card", "render", f"{M}@v1.0.0"), "---\n", data=True),
    "card render-out": Case(
        "card render",
        ("card", "render", f"{M}@v1.0.0", "-o", "{tmp}/README.md"),
        "{tmp}/README.md\n",
        "Wrote {tmp}/README.md",
    ),
    "ci init": Case(
        "ci init",
        ("ci", "init", "github", "--install-spec", "llmgit"),
        "{root}/.github/workflows/llmgit-review.yml\n{root}/.github/workflows/llmgit-sync.yml\n",
        "Commit them",
    ),
    "ab start": Case(
        "ab start",
        ("ab", "start", M, "--candidate", "1.0.2", "--percent", "20"),
        f"{M}@v1.0.2\n",
        f"Started canary {M} v1.0.2 at 20% in production",
    ),
    "ab status": Case(
        "ab status",
        ("ab", "status", M, "--counts-file", "{tmp}/counts.json"),
        f"{M} in production: canary v1.0.2 at 20%",
        setup=(("ab", "start", M, "--candidate", "1.0.2", "--percent", "20"),),
        prepare=_counts,
        data=True,
    ),
    "ab promote": Case(
        "ab promote",
        ("ab", "promote", M),
        f"{M}@v1.0.2\n",
        f"Promoted canary {M} v1.0.2 to production (was v1.0.1)",
        setup=(("ab", "start", M, "--candidate", "1.0.2", "--percent", "20"),),
    ),
    "ab abort": Case(
        "ab abort",
        ("ab", "abort", M),
        f"{M}@v1.0.1\n",
        f"Aborted canary {M} v1.0.2 in production; v1.0.1 serves all traffic",
        setup=(("ab", "start", M, "--candidate", "1.0.2", "--percent", "20"),),
    ),
    "deploy render": Case(
        "deploy render", ("deploy", "render", M), "apiVersion: ", f"Rendered {M} in production: v1.0.1", data=True
    ),
    "deploy render-out": Case(
        "deploy render",
        ("deploy", "render", M, "-o", "{tmp}/manifests"),
        "{tmp}/manifests/inferenceservice.yaml\n{tmp}/manifests/prometheusrule.yaml\n",
        f"Rendered {M} in production: v1.0.1",
    ),
    "deploy validate": Case(
        "deploy validate",
        ("deploy", "validate", "{tmp}/manifests", "--no-promtool"),
        "",
        "{tmp}/manifests: valid",
        setup=(("deploy", "render", M, "-o", "{tmp}/manifests"),),
    ),
    "import gto": Case(
        "import gto",
        ("import", "gto", "--stage", "prod=production"),
        "WHEN",
        "Dry run: nothing was changed",
        base="registry",
        prepare=_gto_assignment,
        data=True,
    ),
    "import gto-apply": Case(
        "import gto",
        ("import", "gto", "--stage", "prod=production", "--apply"),
        "stage/production\nchurn#production\n",
        "Imported: stage/production",
        base="registry",
        prepare=_gto_assignment,
    ),
}

# commands only a live service can drive (none today: ab status and guard read counts files too)
EXCEPTIONS: dict[str, str] = {}


def _walk(command, path=()):  # type: ignore[no-untyped-def]
    subs = getattr(command, "commands", None)
    if subs is None:
        yield " ".join(path)
    for name, sub in (subs or {}).items():
        yield from _walk(sub, (*path, name))


def test_the_table_covers_every_command() -> None:
    defined = set(_walk(typer.main.get_command(app)))
    covered = {c.command for c in CASES.values()} | set(EXCEPTIONS)
    assert defined - covered == set(), "commands without a stream rule in CASES"
    assert covered - defined == set(), "CASES name commands the application does not define"


@pytest.fixture
def base(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    kind = request.param
    if kind == "served":
        return served_repo(tmp_path, tmp_path_factory)
    return Path(request.getfixturevalue({"bare": "repo", "registry": "registry_repo", "s3": "s3_repo"}[kind]))


@pytest.mark.parametrize(("case", "base"), [(c, c.base) for c in CASES.values()], ids=list(CASES), indirect=["base"])
def test_stdout_is_the_result(case: Case, base: Path, tmp_path: Path, clock: Clock) -> None:
    root, tmp = base, tmp_path / "scratch"
    tmp.mkdir()

    def fill(text: str) -> str:
        return text.replace("{root}", str(root)).replace("{tmp}", str(tmp))

    if case.prepare is not None:
        case.prepare(root, tmp, clock)
    for args in case.setup:
        ok(root, *(fill(a) for a in args))
    r = run_cli(root, *(fill(a) for a in case.argv))
    assert r.code == case.code, r.err
    if case.data:  # a listing or a document: nothing but warnings (or a sentence) on stderr
        assert r.out.startswith(fill(case.stdout)) and r.out.endswith("\n"), (r.out, r.err)
        assert (fill(case.stderr) in r.err) if case.stderr else r.err == "", r.err
    else:
        assert r.out == fill(case.stdout), r.err
        assert fill(case.stderr) in r.err
        assert not set(r.out.splitlines()) & set(r.err.splitlines()), "a line on both streams"
