"""Find and render templates: a repository's ``.llmgit/templates/`` overrides the shipped ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmgit.core import markdown as md
from llmgit.errors import InternalError

OVERRIDE_DIR = ".llmgit/templates"
_PACKAGED = Path(__file__).resolve().parents[1] / "templates"  # inside the wheel
_SOURCE = Path(__file__).resolve().parents[2] / "templates"  # a source checkout


def find(name: str, root: Path | None = None) -> Path:
    """Path of template ``name``: the repository override first, then the shipped copy."""
    candidates = []
    if root is not None:
        candidates.append(root / OVERRIDE_DIR / name)
    candidates += [_PACKAGED / name, _SOURCE / name]
    for path in candidates:
        if path.is_file():
            return path
    raise InternalError(f"template '{name}' is missing from the llmgit installation")


def read(name: str, root: Path | None = None) -> str:
    return find(name, root).read_text(encoding="utf-8")


def render(
    name: str, context: dict[str, Any], root: Path | None = None, *, brackets: bool = False, markdown: bool = False
) -> str:
    """Render a Jinja2 template in a sandbox; an undefined variable is an error.

    ``brackets`` switches variables to ``[[ ... ]]``, for templates (GitHub workflows)
    whose own syntax uses ``${{ ... }}``. ``markdown`` makes every printed value inert
    Markdown text (:func:`llmgit.core.markdown.text`) unless a filter already made it
    Markdown: ``code``, ``code_cell``, ``text``, ``paragraphs``; so an override template
    that forgets a filter still prints nothing that renders.
    """
    from jinja2 import StrictUndefined  # noqa: PLC0415 (heavy third-party: loaded on use)
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415 (heavy third-party: loaded on use)

    extra: dict[str, Any] = {"variable_start_string": "[[", "variable_end_string": "]]"} if brackets else {}
    if markdown:
        extra["finalize"] = _inert
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False, **extra)
    if markdown:
        env.filters.update(code=md.code, code_cell=md.code_cell, text=md.text, paragraphs=md.paragraphs)
    return env.from_string(read(name, root)).render(**context)


def _inert(value: Any) -> str:
    return value if isinstance(value, md.Markdown) else md.text(value)
