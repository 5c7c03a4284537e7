"""``card validate`` and ``card render``: a model card checked against its schema, and rendered
as Hugging Face README Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmgit.core import refs
from llmgit.errors import UnknownReference
from llmgit.store import cards
from llmgit.store.store import Store


def validate(store: Store, reference: str | None = None, file: Path | None = None) -> list[str]:
    """Schema problems of a card: a file, a bare NAME's working-tree card, or a version's."""
    if file is None and reference is not None and "@" not in reference and "#" not in reference:
        store.require_initialized()
        working = store.root / refs.card_path(refs.validate_model_name(reference))
        if working.is_file():
            file = working
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as e:
            raise UnknownReference(f"cannot read card '{file}': {e.strerror}") from None
        return cards.validate(cards.parse(text, str(file)))
    if reference is None:
        raise UnknownReference("give a model reference or --file")
    return cards.validate(store.card(reference))


def markdown(store: Store, reference: str) -> str:
    card: dict[str, Any] = store.card(reference)
    return cards.render_markdown(card, store.root)
