"""Find and render templates: a repository's ``.llmgit/templates/`` overrides the shipped ones."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import markdown as md
from llmgit.errors import InternalError

if TYPE_CHECKING:
    from jinja2 import Environment, Template

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


def overridden(name: str, root: Path | None) -> bool:
    """Whether the repository overrides template ``name``, or any template under the folder
    ``name`` (``report``)."""
    return root is not None and (root / OVERRIDE_DIR / name).exists()


def environment(*, sandboxed: bool, **options: Any) -> Environment:
    """A Jinja2 environment for llmgit's templates, ``StrictUndefined``.

    A repository's own templates (``.llmgit/templates/``) are outside data: they run
    ``sandboxed``, where no attribute or call reaches Python's internals. The templates llmgit
    ships are its own code and run in a plain environment (the sandbox checks every attribute
    and call, most of the time of rendering thousands of report pages). Either way every value
    printed is the data's, never template code.
    """
    from jinja2 import Environment, StrictUndefined  # noqa: PLC0415 (heavy third-party: loaded on use)
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415 (heavy third-party: loaded on use)

    kind = SandboxedEnvironment if sandboxed else Environment
    return kind(undefined=StrictUndefined, **options)


def render(
    name: str, context: dict[str, Any], root: Path | None = None, *, brackets: bool = False, markdown: bool = False
) -> str:
    """Render a Jinja2 template; an undefined variable is an error. A repository's override
    runs in the sandbox (:func:`environment`); each template text is compiled once per process.

    ``brackets`` switches variables to ``[[ ... ]]``, for templates (GitHub workflows)
    whose own syntax uses ``${{ ... }}``. ``markdown`` makes every printed value inert
    Markdown text (:func:`llmgit.core.markdown.text`) unless a filter already made it
    Markdown: ``code``, ``code_cell``, ``text``, ``paragraphs``; so an override template
    that forgets a filter still prints nothing that renders.
    """
    path = find(name, root)
    sandboxed = root is not None and path == root / OVERRIDE_DIR / name
    return _compiled(path.read_text(encoding="utf-8"), sandboxed, brackets, markdown).render(**context)


@lru_cache(maxsize=32)
def _compiled(text: str, sandboxed: bool, brackets: bool, markdown: bool) -> Template:
    extra: dict[str, Any] = {"variable_start_string": "[[", "variable_end_string": "]]"} if brackets else {}
    if markdown:
        extra["finalize"] = _inert
    env = environment(sandboxed=sandboxed, keep_trailing_newline=True, autoescape=False, **extra)
    if markdown:
        env.filters.update(code=md.code, code_cell=md.code_cell, text=md.text, paragraphs=md.paragraphs)
    return env.from_string(text)


def _inert(value: Any) -> str:
    return value if isinstance(value, md.Markdown) else md.text(value)
