"""The documentation site: it builds strictly offline, and the commands it shows run.

See tests/docsrun.py for the conventions pages follow. LLMGIT_DOCS_SHOW=1 prints what each
command wrote (handy when writing a page: ``pytest -s -k getting-started``).
"""

from __future__ import annotations

import importlib.util
import os
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
    parsed = docsrun.parse(page)
    root = tmp_path / "experiments"
    assert parsed.setup is not None
    docsrun.setup(parsed.setup, root)
    ran = 0
    for step in parsed.steps:
        result = docsrun.run_step(root, step)
        if result is not None:
            ran += 1
            if os.environ.get("LLMGIT_DOCS_SHOW"):
                print(f"\n$ {step.text}  [{result.code}]\n{result.out}{result.err}", end="")  # type: ignore[union-attr]
    assert ran > 0
