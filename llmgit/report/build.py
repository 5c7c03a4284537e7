"""Reading the registry and writing the report's pages (:func:`publish`).

One pass: :func:`~llmgit.report.collect.scan` reads the refs, stages and card blob ids; each
page gets its key; only the pages whose key changed read their cards (one ``cat-file --batch``
for all of them, or one per worker for a model's pages) and are rendered, one at a time,
straight to their files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.report import compareview, keys
from llmgit.report.collect import Costs, ModelReport, Reader, RegistryReport, VersionRow, scan
from llmgit.report.options import ReportOptions
from llmgit.report.pages import Renderer, index_path, model_path, version_path
from llmgit.report.site import PlannedPage, check_target, write
from llmgit.store.store import Store


@dataclass(frozen=True)
class SiteResult:
    index: Path
    pages: int  # pages written by this run (0: the report was already up to date)
    models: int
    versions: int
    total: int = 0  # pages in the report


def plan(reg: Store, options: ReportOptions, costs: Costs) -> tuple[RegistryReport, Reader, list[PlannedPage]]:
    """Every page of the report with its key; rendering is deferred to :attr:`PlannedPage.render`."""
    report = scan(reg, options, costs)
    reader = Reader(reg, options)
    renderer = Renderer(report, reg.settings, reg.root)
    base = keys.shared(report, options, reg.root)
    rows = keys.Rows(reader.cached_manifest)
    pages: list[PlannedPage] = []
    model_keys = []
    for model in report.models:
        mkey = keys.model_page(base, model, rows)
        model_keys.append(mkey)
        # every version's card: the compare view shows their fields
        pages.append(
            PlannedPage(
                model_path(model.name), mkey, _model_page(renderer, reader, model), model.versions, group=model.name
            )
        )
        for i, row in enumerate(model.versions):
            pages.append(
                PlannedPage(
                    version_path(model.name, row.version.version),
                    keys.version_page(base, model, i, rows),
                    _version_page(renderer, reader, model, i),
                    model.versions[i : i + 2],  # its card and the previous version's
                    group=model.name,
                )
            )
    # the index shows each latest card's description: read only those not remembered
    latest = tuple(m.versions[0] for m in report.models if m.versions and not reader.knows_description(m.versions[0]))
    index = PlannedPage(index_path(), keys.index_page(base, model_keys), _index_page(renderer, reader, report), latest)
    return report, reader, [index, *pages]


def _index_page(renderer: Renderer, reader: Reader, report: RegistryReport):  # type: ignore[no-untyped-def]
    def render() -> str:
        return renderer.index([reader.describe(m) for m in report.models])

    return render


def _model_page(renderer: Renderer, reader: Reader, model: ModelReport):  # type: ignore[no-untyped-def]
    def render() -> str:
        data = compareview.document(model, reader.card, reader.manifest, renderer.settings.metric_direction)
        return renderer.model(reader.describe(model), data)

    return render


def _version_page(renderer: Renderer, reader: Reader, model: ModelReport, index: int):  # type: ignore[no-untyped-def]
    return lambda: renderer.version(model, reader.version(model, index))


def publish(reg: Store, out: Path, options: ReportOptions, costs: Costs | None = None) -> SiteResult:
    """Write the report into ``out`` (new, empty, or an earlier report): only the pages whose
    inputs changed since the report there was written. ``costs``: the storage tiles, or what
    computes them from the versions shown (:mod:`llmgit.report.tiles`)."""
    check_target(out)  # refuse before reading anything
    report, reader, pages = plan(reg, options, costs or {})

    def prepare(stale: Sequence[PlannedPage]) -> None:
        reader.load_cards(row for page in stale for row in page.needs if isinstance(row, VersionRow))

    index, written = write(pages, out, prepare)
    if not options.models:
        reader.descriptions.save()
    return SiteResult(index, written, len(report.models), sum(len(m.versions) for m in report.models), len(pages))
