"""``diff``: two versions side by side: metrics, params, model card and weights, file by file.

Any two references work, also across models and by stage (``NAME#production``). Metrics,
params and weights come from the tag summaries; the cards from the tagged commits; the file
lists from DVC's per-file manifests (:mod:`llmgit.weights.listing`), so no weights are
downloaded. The comparison itself is :func:`llmgit.core.compare.version_diff`.
"""

from __future__ import annotations

from typing import Any

from llmgit.core.compare import VersionDiff, WeightsDiff, version_diff, weights_diff
from llmgit.core.model import ModelVersion
from llmgit.errors import LlmgitError
from llmgit.store.store import Store
from llmgit.weights import listing


def version_files(store: Store, old: ModelVersion, new: ModelVersion) -> WeightsDiff:
    """The weights of two versions compared file by file (when both manifests can be read)."""
    if old.weights is None or new.weights is None:
        return weights_diff(old, new, None, None)
    try:
        a, b = listing.manifest(store.root, old.weights), listing.manifest(store.root, new.weights)
    except LlmgitError as e:
        return weights_diff(old, new, None, None, f"file list unavailable: {e.message}")
    return weights_diff(old, new, a, b)


def diff(store: Store, old_ref: str, new_ref: str) -> VersionDiff:
    """Compare two references (``NAME@vX.Y.Z``, ``NAME#STAGE``, ``NAME``, ...)."""
    settings = store.require_initialized()
    old, new = store.get(old_ref), store.get(new_ref)
    old_card: dict[str, Any] | None
    new_card: dict[str, Any] | None
    try:
        old_card, new_card = store.card_of(old), store.card_of(new)
    except LlmgitError:
        old_card = new_card = None
    return version_diff(old, new, old_card, new_card, version_files(store, old, new), settings)
