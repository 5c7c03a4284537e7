"""Reading the registry: models, versions, cards, diffs, search, stages and history; and
checking a version out. (Methods of :class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.api.facade import Facade
from llmgit.core import history as events
from llmgit.core.history import HistoryEvent
from llmgit.core.ident import parse_when
from llmgit.core.model import Malformed, ModelSummary, ModelVersion
from llmgit.store.branches import StageBranch, check_stage

if TYPE_CHECKING:
    from llmgit.core.compare import VersionDiff
    from llmgit.inspect.checkout import CheckoutResult
    from llmgit.inspect.query import Query
    from llmgit.inspect.search import Hit


def models(reg: Facade) -> list[ModelSummary]:
    """Every model with its latest version and how many versions it has."""
    return reg.store.models()


def malformed(reg: Facade) -> list[Malformed]:
    """Every version tag llmgit will not use, with the reason (listings skip them)."""
    return reg.store.scan().malformed


def versions(reg: Facade, name: str) -> list[ModelVersion]:
    """All versions of ``name``, newest (highest SemVer) first."""
    return reg.store.versions(name)


def versions_all(reg: Facade) -> list[ModelVersion]:
    """Every version of every model."""
    return reg.store.versions_all()


def get(reg: Facade, reference: str) -> ModelVersion:
    """Resolve ``NAME``, ``NAME@v1.2.0``, ``NAME@1``, ``NAME#STAGE``, ..."""
    return reg.store.get(reference)


def card(reg: Facade, reference: str) -> dict[str, Any]:
    """A version's model card, read from its tag (no checkout)."""
    return reg.store.card(reference)


def card_markdown(reg: Facade, reference: str) -> str:
    """A version's model card as Hugging Face README Markdown."""
    from llmgit.inspect import cards  # noqa: PLC0415 (start-up)

    return cards.markdown(reg.store, reference)


def validate_card(reg: Facade, reference: str | None = None, file: Path | None = None) -> list[str]:
    """Schema problems of a card: a file, a bare NAME's working-tree card, or a version's."""
    from llmgit.inspect import cards  # noqa: PLC0415 (start-up)

    return cards.validate(reg.store, reference, file)


def diff(reg: Facade, old: str, new: str) -> VersionDiff:
    """Metrics, params, card and weights (file by file) of two references."""
    from llmgit.store.diffs import diff  # noqa: PLC0415 (start-up)

    return diff(reg.store, old, new)


def search(reg: Facade, query: Query) -> list[Hit]:
    """Versions matching a filter expression (``docs/filter-grammar.md``), ordered and limited."""
    from llmgit.inspect.search import search  # noqa: PLC0415 (start-up)

    return search(reg.store, query)


def checkout(
    reg: Facade, reference: str, to: Path | str | None = None, force: bool = False, link: bool = False
) -> CheckoutResult:
    """A version's card and weights back in the working tree, or its weights into ``to``
    (files of their own; ``link``: read-only hard links to the cache, for serving)."""
    from llmgit.inspect.checkout import checkout  # noqa: PLC0415 (start-up)

    return checkout(reg.store, reference, Path(to) if to is not None else None, force=force, link=link)


def same_weights(reg: Facade, reference: str) -> list[ModelVersion]:
    """The other versions of the same model whose weights are byte for byte the same (newest first)."""
    v = reg.store.get(reference)
    if v.weights is None:
        return []
    return [o for o in reg.store.versions(v.name) if o.tag != v.tag and o.weights and o.weights.md5 == v.weights.md5]


def stage_branches(reg: Facade) -> dict[str, StageBranch]:
    """Every stage branch: its tip and its ``stage.yaml``."""
    return reg.store.stage_branches()


def stages(reg: Facade) -> dict[str, dict[str, list[str]]]:
    """model -> stage -> versions holding it (archived may hold several)."""
    return reg.store.stages()


def history(reg: Facade, name: str | None = None, *, stage: str | None = None) -> list[HistoryEvent]:
    """Stage changes, oldest first (of one model; of one stage)."""
    found = reg.store.history(name)
    if stage is not None:
        stage = check_stage(reg.store.settings, stage, holding=False)  # case-insensitive (I9)
        found = [e for e in found if e.stage == stage]
    return found


def holders_at(reg: Facade, name: str, when: str, *, stage: str | None = None) -> dict[str, HistoryEvent]:
    """stage -> the event that made its holder current at ``when`` (an ISO date or date-time)."""
    held = events.holders_at(history(reg, name, stage=stage), parse_when(when))
    return {s: e for (_, s), e in sorted(held.items())}
