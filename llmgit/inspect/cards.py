"""``card validate`` and ``card render``: a model card checked against its schema, and rendered
as Hugging Face README Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmgit.core import refs
from llmgit.core.config import CONFIG_FILE
from llmgit.core.inputs import DEFAULT_LIMITS
from llmgit.errors import LlmgitError, UnknownReference
from llmgit.infra.files import read_input_bytes
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
        limit = _card_bytes(store)
        return cards.validate(cards.parse(read_input_bytes(file, "card", max_bytes=limit), str(file)))
    if reference is None:
        raise UnknownReference("give a model reference or --file")
    return cards.validate(store.card(reference))


def _card_bytes(store: Store) -> int:
    """``limits.card_bytes`` of the registry (the default outside one: ``card validate --file``
    needs no repository)."""
    try:
        return store.settings.limits.card_bytes if (store.root / CONFIG_FILE).is_file() else DEFAULT_LIMITS.card_bytes
    except LlmgitError:
        return DEFAULT_LIMITS.card_bytes


def markdown(store: Store, reference: str) -> str:
    card: dict[str, Any] = store.card(reference)
    return cards.render_markdown(card, store.root)
