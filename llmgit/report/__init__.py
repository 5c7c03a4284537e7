"""``llmgit report``: the registry as a self-contained static site.

An index of models, a page per model (version table, stage timeline, metric charts) and a
page per version (model card, provenance, weights, change from the previous version).
No CDN and no network: plain HTML with inline CSS, SVG and a small script, readable from
``file://`` and from any static server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from llmgit.report.collect import RegistryReport, ReportOptions, collect, parse_since
from llmgit.report.pages import Page, render
from llmgit.report.site import write

if TYPE_CHECKING:
    from llmgit.store.store import Registry

__all__ = ["Page", "RegistryReport", "ReportOptions", "SiteResult", "build", "parse_since", "publish"]


@dataclass(frozen=True)
class SiteResult:
    index: Path
    pages: int
    models: int
    versions: int


def build(reg: Registry, options: ReportOptions) -> tuple[RegistryReport, list[Page]]:
    """Read the registry and render every page (nothing is written)."""
    report = collect(reg, options)
    return report, render(report, reg.settings, reg.root)


def publish(reg: Registry, out: Path, options: ReportOptions) -> SiteResult:
    """Build the report and write it into ``out`` (new, empty, or an earlier report)."""
    from llmgit.report.site import check_target

    check_target(out)  # refuse before reading anything
    report, pages = build(reg, options)
    index = write(pages, out)
    return SiteResult(index, len(pages), len(report.models), sum(len(m.versions) for m in report.models))
