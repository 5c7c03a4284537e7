"""Reading the registry and writing the report's pages (:func:`publish`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from llmgit.report.collect import RegistryReport, StorageInfo, collect
from llmgit.report.options import ReportOptions
from llmgit.report.pages import Page, render
from llmgit.report.site import check_target, write
from llmgit.store.store import Store


@dataclass(frozen=True)
class SiteResult:
    index: Path
    pages: int
    models: int
    versions: int


def build(
    reg: Store, options: ReportOptions, costs: Mapping[str, StorageInfo] | None = None
) -> tuple[RegistryReport, list[Page]]:
    """Read the registry and render every page (nothing is written); ``costs``: storage per model."""
    report = collect(reg, options, costs or {})
    return report, render(report, reg.settings, reg.root)


def publish(
    reg: Store, out: Path, options: ReportOptions, costs: Mapping[str, StorageInfo] | None = None
) -> SiteResult:
    """Build the report and write it into ``out`` (new, empty, or an earlier report)."""
    check_target(out)  # refuse before reading anything
    report, pages = build(reg, options, costs)
    index = write(pages, out)
    return SiteResult(index, len(pages), len(report.models), sum(len(m.versions) for m in report.models))
