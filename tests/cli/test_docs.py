"""The documentation site: it builds strictly offline, and the commands it shows run.

See tests/docsrun.py for the conventions pages follow. LLMGIT_DOCS_SHOW=1 prints what each
command wrote, as a page shows it (handy when writing a page: ``pytest -s -k getting-started``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import docsrun
import pytest
import typer.main

from llmgit.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def _id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llmgit_docs_hooks", DOCS / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def test_site_builds_strictly_with_every_page(built: Path) -> None:
    for page in PAGES:
        if page.name != "hooks.py":
            assert (built / _id(page)).with_suffix(".html").is_file(), _id(page)
    for generated in ("reference/cli.html", "reference/python.html", "troubleshooting.html"):
        assert (built / generated).is_file()
    assert not (built / "hooks.py").exists()
    for html in built.rglob("*.html"):  # nothing is fetched from another host at view time
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, html


def _walk(command: object, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_cli_reference_is_generated_from_the_app(built: Path) -> None:
    text = hooks().cli_reference()
    for path, command in _walk(typer.main.get_command(app)):
        assert f"\n## {' '.join(('llmgit', *path))}\n" in text
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert f"{opt}" in text, (path, opt)
    page = (built / "reference" / "cli.html").read_text(encoding="utf-8")
    assert 'id="llmgit-report"' in page and "--no-manifests" in page


def test_python_reference_documents_the_registry(built: Path) -> None:
    text = hooks().python_reference()
    for method in ("models", "versions", "get", "card", "stages", "stage_branches", "history", "promote"):
        assert f"### `Registry.{method}(" in text
    for cls in ("ModelVersion", "HistoryEvent", "RegisterRequest", "StageBranch"):
        assert f".{cls}`" in text, cls


def test_pages_with_commands_declare_how_to_run_them() -> None:
    undeclared = [_id(p) for p in PAGES if (page := docsrun.parse(p)).console_blocks and page.setup is None]
    assert undeclared == [], "add <!-- docs-test: setup=... --> (see tests/docsrun.py)"
    bad = [_id(p) for p in PAGES if (s := docsrun.parse(p).setup) and s not in docsrun.SETUPS]
    assert bad == []


RUN = [p for p in PAGES if docsrun.parse(p).setup]


@pytest.mark.parametrize("page", RUN, ids=_id)
def test_llmgit_commands_are_only_shown_where_they_run(page: Path) -> None:
    """On a page whose commands run, every llmgit command is in a console block (a synopsis
    with placeholders goes in a ```text block)."""
    assert docsrun.llmgit_command_lines(page) == [], "show llmgit commands in ```console blocks"


@pytest.mark.parametrize("page", RUN, ids=_id)
def test_page_commands_run(page: Path, tmp_path: Path) -> None:
    """Every command runs, and the page shows exactly what it prints (tests/docsrun.py)."""
    assert docsrun.run_page(page, tmp_path, show=bool(os.environ.get("LLMGIT_DOCS_SHOW")))


# -- the comparison itself ---------------------------------------------------------------------


def _page(tmp_path: Path, body: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(f"# A page\n\n<!-- docs-test: setup=repo -->\n\n```console\n{body}```\n", encoding="utf-8")
    return page


def _fails(page: Path, tmp_path: Path) -> str:
    with pytest.raises(AssertionError) as caught:
        docsrun.run_page(page, tmp_path)
    return str(caught.value)


def test_a_shown_line_that_drifted_fails_naming_it(tmp_path: Path) -> None:
    page = _page(tmp_path, "$ git log --format=%s\ntraining script\n")  # it prints 'training code'
    message = _fails(page, tmp_path)
    assert message.startswith(
        "page.md, line 7: the page shows 'training script' under '$ git log --format=%s' (line 6)"
    )
    assert "next lines were stdout 'training code' and stderr (nothing more)" in message


def test_a_printed_line_the_page_drops_fails_naming_it(tmp_path: Path) -> None:
    page = _page(tmp_path, "$ git log --format=%s%n%an\ntraining code\n$ git log -1 --format=%s\ntraining code\n")
    message = _fails(page, tmp_path)
    assert message.startswith(
        "page.md, line 7: the page does not show these lines '$ git log --format=%s%n%an' (line 6)"
    )
    assert "\n  stdout: Ada Lovelace\n" in message


def test_a_command_shown_without_output_must_print_nothing(tmp_path: Path) -> None:
    page = _page(tmp_path, "$ git log --format=%s\n$ git status --short\n")
    assert "stdout: training code" in _fails(page, tmp_path)


def test_a_page_passes_with_gaps_wildcards_and_its_paths(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "$ git log --format=%H%n%s%n%an%n%ae\n"
        "...\n"  # the commit id
        "training code\n"
        "...\n"  # the author's name and address
        "$ git ls-files --others\n"
        "eval/metrics.json\n"
        "...\n"
        "$ git rev-parse --verify -q nope   # exit 1\n"
        "$ git commit --allow-empty -m again\n"
        "[main ...] again\n"
        "$ llmgit -C .. models   # exit 2\n"
        "error: '/home/ada' is not inside a git repository\n"  # tmp_path, as the docs show it
        "hint: run llmgit inside a git work tree ('git init' creates one)\n"
        "\n",
    )
    ran = docsrun.run_page(page, tmp_path)
    assert [step.argv[:2] for step, _ in ran] == [
        ("git", "log"),
        ("git", "ls-files"),
        ("git", "rev-parse"),
        ("git", "commit"),
        ("llmgit", "-C"),
    ]
    assert str(tmp_path) not in ran[-1][1].err


def _step(*shown: str) -> docsrun.Command:
    return docsrun.Command(
        1, "llmgit x", ("llmgit", "x"), 0, tuple(docsrun.Shown(n + 2, s) for n, s in enumerate(shown))
    )


OUT = docsrun.Outcome(0, "result one\nresult two\n", "note one\nnote two\n\n")


@pytest.mark.parametrize(
    ("shown", "error"),
    [
        (("note one", "note two", "result one", "result two"), None),
        (("note one", "result one", "note two", "result two"), None),
        (("result one", "result two", "note one", "note two", ""), None),
        (("note ...", "...", "result two"), None),
        (("...",), None),
        (("note one", "...", "note two", "result one", "result two"), None),  # a gap may be empty
        (("note two", "note one", "result one", "result two"), "line 2: the page shows 'note two'"),
        (("result two", "result one", "note one", "note two"), "line 2: the page shows 'result two'"),
        (("note one", "note two", "result one"), "line 4: the page does not show these lines"),
        (("note one", "note two", "result one", "result two", "result three"), "line 6: the page shows 'result three'"),
        (("...", "note three"), "did not print that line after the lines above"),
        ((), "line 1: the page does not show these lines"),
    ],
    ids=[
        "stderr-first",
        "interleaved",
        "stdout-first-trailing-blank",
        "wildcards",
        "gap-only",
        "empty-gap",
        "stderr-reordered",
        "stdout-reordered",
        "dropped-line",
        "extra-line",
        "gap-then-unprinted",
        "nothing-shown",
    ],
)
def test_comparison_rules(shown: tuple[str, ...], error: str | None) -> None:
    if error is None:
        docsrun.compare(_step(*shown), OUT)
    else:
        with pytest.raises(AssertionError, match=re.escape(error)):
            docsrun.compare(_step(*shown), OUT)


def test_output_is_shown_with_the_pages_paths(tmp_path: Path) -> None:
    root = tmp_path / "experiments"
    printed = docsrun.Outcome(0, f"{root}/site/index.html\n", f"remote {os.environ['HOME']}/.local/share/x\n")
    shown = docsrun.as_shown(root, printed)
    assert shown.out == "/home/ada/experiments/site/index.html\n"
    assert shown.err == "remote /home/ada/.local/share/x\n"
