"""What each page is built from, as a key: a page whose key is unchanged is not written again.

A key is a SHA-256 over the values the page shows, as git names them: the version tags'
parsed summaries (commit, metrics, params, weights md5), the model cards' blob ids, who holds
each stage, the history events, the storage figures, whether a directory manifest is in the
local cache, and what every page shares (templates, ``llmgit.yaml``, the options, the llmgit
release). The generation time stamped on a page is left out: a page kept is the page as it
was written then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from llmgit.core import config
from llmgit.core.release import VERSION
from llmgit.infra import templating
from llmgit.report import compareview
from llmgit.report.collect import ModelReport, RegistryReport, VersionRow
from llmgit.report.options import ReportOptions
from llmgit.store import cards


def digest(*parts: object) -> str:
    """A key for ``parts`` (frozen dataclasses, tuples, strings: their ``repr`` is stable)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()


def shared(report: RegistryReport, options: ReportOptions, root: Path) -> str:
    """What every page depends on: templates (a repository's overrides included), settings,
    options, the llmgit release and the registry's title and stages."""
    shipped = templating.find("report/base.html.j2").parent  # each name read with its override
    names = [f"report/{p.name}" for p in sorted(shipped.iterdir()) if p.is_file()] + [cards.MARKDOWN_TEMPLATE]
    texts = [(n, templating.read(n, root)) for n in names]
    try:
        settings = (root / config.CONFIG_FILE).read_bytes()
    except OSError:
        settings = b""
    return digest(
        VERSION,
        compareview.limits(),
        texts,
        settings,
        options.manifests,
        options.since,
        report.title,
        report.stages,
        report.serving_stage,
    )


class Rows:
    """Each version's own part of the keys (its parsed tag summary, card blob, stages and
    whether its manifest is cached), hashed once however many pages show it."""

    def __init__(self, manifest_state: Callable[[VersionRow], str]) -> None:
        self._state = manifest_state
        self._seen: dict[str, str] = {}

    def __call__(self, row: VersionRow) -> str:
        tag = row.version.tag
        found = self._seen.get(tag)
        if found is None:
            found = self._seen[tag] = digest(row, row.card, self._state(row))
        return found


def version_page(base: str, model: ModelReport, index: int, rows: Rows) -> str:
    row = model.versions[index]
    previous = model.versions[index + 1] if index + 1 < len(model.versions) else None
    return digest(base, "version", model.name, rows(row), rows(previous) if previous is not None else None)


def model_page(base: str, model: ModelReport, rows: Rows) -> str:
    """The model page shows every version's card fields (compare view) and the newest
    versions' file lists (each version's part says whether its manifest is cached)."""
    return digest(base, "model", replace(model, versions=()), tuple(rows(r) for r in model.versions))


def index_page(base: str, model_keys: Sequence[str]) -> str:
    return digest(base, "index", tuple(model_keys))
