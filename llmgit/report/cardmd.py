"""A version's Hugging Face README, as ``llmgit card render`` writes it, for thousands of pages.

The same template and context as :func:`llmgit.store.cards.render_markdown` (every card value
inert Markdown text unless a filter made it Markdown; a repository's override in the sandbox),
with the template compiled once per report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import markdown as md
from llmgit.core import yamlio
from llmgit.infra import templating
from llmgit.store import cards

if TYPE_CHECKING:
    from jinja2 import Template


def _inert(value: Any) -> str:
    return value if isinstance(value, md.Markdown) else md.text(value)


class CardMarkdown:
    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._template: Template | None = None

    def _compiled(self) -> Template:
        if self._template is None:
            env = templating.environment(
                sandboxed=templating.overridden(cards.MARKDOWN_TEMPLATE, self.root),
                keep_trailing_newline=True,
                autoescape=False,
                finalize=_inert,
            )
            env.filters.update(code=md.code, code_cell=md.code_cell, text=md.text, paragraphs=md.paragraphs)
            self._template = env.from_string(templating.read(cards.MARKDOWN_TEMPLATE, self.root))
        return self._template

    def render(self, card: Mapping[str, Any]) -> str:
        header = yamlio.dump(cards.front_matter(card), sort_keys=False, allow_unicode=True)
        shown = {k: card.get(k) for k in cards.FIELDS} | {k: v for k, v in card.items() if k not in cards.FIELDS}
        weights, provenance = _mapping(card.get("weights")), _mapping(card.get("provenance"))
        body = self._compiled().render(
            card=shown,
            training=_mapping(card.get("training")),
            metrics=_mapping(card.get("performance")),
            resources=_mapping(card.get("resources")),
            limitations=_strings(card.get("limitations")),
            weights={k: weights.get(k) for k in cards.WEIGHTS_FIELDS} | weights,
            provenance={k: _mapping(v) if isinstance(v, Mapping) else v for k, v in provenance.items()},
        )
        return f"---\n{header}---\n\n{body}"


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []
