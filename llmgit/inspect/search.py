"""Searching versions with the filter language (:mod:`llmgit.core.filters`).

Everything comes from one ``for-each-ref`` (the tag summaries); stages are read from the
stage branches only when the filter, the ordering or the caller needs them, and model cards
(one ``cat-file --batch`` for all candidates) only when a ``card.`` field is used. DVC is
never imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmgit.core import bounded, filter_parser, filters, refs, summary
from llmgit.core.filter_tokens import FieldKind, field_from_text
from llmgit.core.model import Malformed, ModelVersion
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.infra.gitrefs import TagRecord
from llmgit.inspect.query import Query
from llmgit.store.store import Store, semver_ranks


@dataclass(frozen=True)
class Hit:
    """A version that matched, with the stages it holds (empty when they were not read)."""

    version: ModelVersion
    stages: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**self.version.to_json(), "stages": list(self.stages)}


def _uses_stage(expr: filters.Expr | None, order: tuple[tuple[str, bool], ...]) -> bool:
    in_filter = expr is not None and any(f.kind is FieldKind.stage for f in expr.fields())
    return in_filter or any(field_from_text(k).kind is FieldKind.stage for k, _ in order)


def stage_map(reg: Store) -> dict[tuple[str, str], tuple[str, ...]]:
    """(model, version) -> the stages it holds, in promotion order, then ``archived``."""
    held: dict[tuple[str, str], list[str]] = {}
    for stage, branch in reg.stage_branches().items():
        for name in [*branch.file.holders, *branch.file.archived]:
            for v in branch.file.versions_of(name):
                held.setdefault((name, v), []).append(stage)
    order = {s: i for i, s in enumerate(reg.settings.all_stages)}
    return {k: tuple(sorted(v, key=lambda s: order.get(s, len(order)))) for k, v in held.items()}


def _cards(reg: Store, found: Sequence[ModelVersion]) -> dict[str, Mapping[str, Any]]:
    specs = {v.tag: f"{v.commit}:{refs.card_path(v.name)}" for v in found}
    blobs = git.read_blobs(reg.root, list(specs.values()))
    cards: dict[str, Mapping[str, Any]] = {}
    for tag, spec in specs.items():
        raw = blobs.get(spec)
        try:  # bounded (a card is outside text): one that breaks a cap filters as an empty card
            data = bounded.load_yaml(raw, bounded.DEFAULT, f"{tag}'s model card") if raw is not None else None
        except ValueError:  # BoundError, and a YAML value out of range (a date, a 5,000-digit int)
            data = None
        cards[tag] = data if isinstance(data, dict) else {}
    return cards


def record(v: ModelVersion, stages: Sequence[str] = (), card: Mapping[str, Any] | None = None) -> filters.Record:
    return filters.Record(
        name=v.name,
        version=v.version,
        created=v.created,
        author=v.author,
        stages=frozenset(stages),
        metrics=v.metrics,
        params=v.params,
        card=card or {},
    )


_SUMMARY_ONLY = frozenset({FieldKind.name, FieldKind.version, FieldKind.metrics})


def _reader(expr: filters.Expr) -> Callable[[str, str, TagRecord], ModelVersion | Malformed | None]:
    """A tag reader for a filter on names, versions and metrics alone: each tag's summary is
    parsed once and its metrics checked (:func:`summary.peek`); a version that matches is read
    in full (every field checked, a malformed one skipped with its warning), one that does not
    is passed over unbuilt. A listing checks every record it shows; ``llmgit fsck`` checks them all."""

    def read(name: str, version: str, rec: TagRecord) -> ModelVersion | Malformed | None:
        tag = refs.short(rec.ref)
        peeked = summary.peek(tag, rec.commit, rec.contents)
        if isinstance(peeked, Malformed):
            return peeked
        if not expr.matches(filters.Record(name, version, "", "", metrics=peeked.metrics)):
            return None
        return summary.read_peeked(name, version, tag, rec.commit, rec.contents, rec.date, rec.tagger, peeked)

    return read


def search(reg: Store, query: Query) -> list[Hit]:
    """Matching versions: by model name, newest (SemVer) first, then ``order_by``, then ``limit``.

    The versions are filtered as git lists them (:meth:`Store.iter_versions`): only the hits
    are kept, so a search over 100,000 versions holds the few it answers with. A ``card.``
    field reads every candidate's card in one batch, so then the versions are listed first."""
    expr = filter_parser.parse(query.filter) if query.filter and query.filter.strip() else None
    order = query.keys()
    sort_keys = [filters.order_key(k, descending=d) for k, d in order]
    if query.limit is not None and query.limit < 0:
        raise UsageError(f"--limit must be 0 or more, not {query.limit}")
    with_stages = query.with_stages or _uses_stage(expr, order)
    card_needed = (expr is not None and filters.needs_card(expr)) or any(filters.needs_card(k) for k, _ in order)
    if expr is not None and all(f.kind in _SUMMARY_ONLY for f in expr.fields()):
        found: Iterable[ModelVersion] = reg.iter_read(query.name, _reader(expr))
        held: dict[tuple[str, str], tuple[str, ...]] | None = {}
        if with_stages:  # read for the hits alone, after them (a registry without versions says why first)
            found = list(found)
            held = stage_map(reg) if found else {}
        expr = None  # every version listed matched it
    else:
        found = reg.iter_versions(query.name)
        held = None if with_stages else {}
    cards: dict[str, Mapping[str, Any]] = {}
    if card_needed:
        found = list(found)
        cards = _cards(reg, found)
    rows = []
    for v in found:
        if held is None:  # after the first version: a registry without any says why first
            held = stage_map(reg)
        stages = held.get((v.name, v.version), ())
        rec = record(v, stages, cards.get(v.tag))
        if expr is None or expr.matches(rec):
            rows.append((Hit(v, stages), rec))
    ranks = semver_ranks(h.version.version for h, _ in rows)
    rows.sort(key=lambda row: (row[0].version.name, -ranks[row[0].version.version]))  # stable: newest first
    for key in reversed(sort_keys):  # stable sorts: the first key decides, later ones break ties
        rows.sort(key=lambda row, key=key: key(row[1]))  # type: ignore[misc]
    hits = [h for h, _ in rows]
    return hits if query.limit is None else hits[: query.limit]
