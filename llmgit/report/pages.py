"""Render a :class:`RegistryReport` into HTML pages.

Templates live under ``templates/report/`` and a repository may override any of them in
``.llmgit/templates/report/`` (then they run in Jinja2's sandbox: an override is outside
data). They render with autoescaping and ``StrictUndefined``: every value from a model card, a commit or a tag message is
escaped, and the pages carry a Content-Security-Policy that only allows the report's own
inline script (by its hash), so injected markup could not run even if it got through.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from llmgit.core import units
from llmgit.core.metric_delta import format_change, format_number, real
from llmgit.infra import templating
from llmgit.report import charts, compareview, values
from llmgit.report.collect import ModelReport, RegistryReport, VersionReport, semver_rank
from llmgit.store import cards

if TYPE_CHECKING:
    from jinja2 import Environment

    from llmgit.core.config import Settings

TEMPLATE_DIR = "report"


@dataclass(frozen=True)
class Page:
    path: str  # relative to the site root, POSIX
    html: str


def model_dir(name: str) -> str:
    return f"models/{name}"


def version_file(version: str) -> str:
    return f"v{version}.html"


def href(path: str) -> str:
    """A relative link: safe in an attribute, the same from file:// and over HTTP."""
    return quote(path, safe="/")


def human_size(size: int | None) -> str:
    return units.human_size(size, missing="unknown")


def when(text: str) -> str:
    """ISO 8601 -> '2026-09-21 12:34' (the time zone kept when it is not UTC)."""
    short = text[:16].replace("T", " ")
    zone = text[19:]
    return short if zone in ("", "Z", "+00:00") else f"{short} {zone}"


def _environment(root: Path | None) -> Environment:
    """Autoescaping, ``StrictUndefined``; sandboxed when the repository overrides a report
    template (:func:`llmgit.infra.templating.environment`)."""
    from jinja2 import FunctionLoader  # noqa: PLC0415 (heavy third-party: loaded on use)

    def load(name: str) -> tuple[str, str, Any]:
        path = templating.find(f"{TEMPLATE_DIR}/{name}", root)
        return path.read_text(encoding="utf-8"), str(path), lambda: True

    env = templating.environment(
        sandboxed=templating.overridden(TEMPLATE_DIR, root),
        loader=FunctionLoader(load),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=format_number, size=human_size, when=when, href=href, change=format_change)
    env.globals.update(card_value=values.card_value, card_table=values.card_table)
    return env


def _script(js: str) -> dict[str, Any]:
    """The page's one inline script and the policy that lets only it run (by its hash)."""
    from markupsafe import Markup  # noqa: PLC0415 (heavy: with Jinja2, only to render)

    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    policy = (
        f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    return {"js": Markup(js), "csp": policy}


def _assets(root: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """What every page carries, and what model pages carry instead (their style and script
    add the param columns, the chart picker and the compare view)."""
    from markupsafe import Markup  # noqa: PLC0415 (heavy: with Jinja2, only to render)

    css = templating.read(f"{TEMPLATE_DIR}/report.css", root)
    js = templating.read(f"{TEMPLATE_DIR}/report.js", root)
    model_css = css.rstrip("\n") + "\n" + templating.read(f"{TEMPLATE_DIR}/compare.css", root)
    model_js = js.rstrip("\n") + "\n" + templating.read(f"{TEMPLATE_DIR}/compare.js", root)
    return {"css": Markup(css), **_script(js)}, {"css": Markup(model_css), **_script(model_js)}


def _charts(model: ModelReport, settings: Settings) -> list[tuple[str, Any]]:
    from markupsafe import Markup  # noqa: PLC0415 (heavy: with Jinja2, only to render)

    oldest_first = list(reversed(model.versions))
    out = []
    for i, metric in enumerate(model.metrics[: compareview.MAX_CHARTS]):
        points = tuple(
            charts.Point(
                f"v{r.version.version}", r.version.metrics.get(metric), r.served, href(version_file(r.version.version))
            )
            for r in oldest_first
        )
        direction = settings.metric_direction(metric)
        chart = charts.LineChart(f"chart-{i}", metric, f"{metric} ({direction} is better)", points)
        out.append((metric, Markup(charts.render(chart))))
    return out


def _numeric(model: ModelReport, param: str) -> bool:
    """Whether a param column sorts as numbers (every recorded value is one)."""
    return all(real(r.version.params[param]) is not None for r in model.versions if param in r.version.params)


class Renderer:
    """Renders the report's pages one at a time (templates compiled once)."""

    def __init__(self, report: RegistryReport, settings: Settings, root: Path | None = None) -> None:
        self.report = report
        self.settings = settings
        self.env = _environment(root)
        assets, self.model_assets = _assets(root)
        self.common: dict[str, Any] = {
            **assets,
            "report": report,
            "stages": report.stages,
            "serving": report.serving_stage,
            "generated": report.generated.isoformat(timespec="seconds"),
        }

    def index(self, models: Sequence[ModelReport]) -> str:
        return self.env.get_template("index.html.j2").render(
            **self.common,
            base="",
            models=models,
            total_versions=sum(len(m.versions) for m in models),
            model_href={m.name: href(f"{model_dir(m.name)}/index.html") for m in models},
        )

    def model(self, model: ModelReport, compare: str = "{}") -> str:
        """``compare``: the compare view's JSON (:func:`llmgit.report.compareview.document`)."""
        columns = compareview.param_columns(model)
        return self.env.get_template("model.html.j2").render(
            **{**self.common, **self.model_assets},
            base="../../",
            model=model,
            rank=semver_rank(model),
            charts=_charts(model, self.settings),
            version_href={r.version.version: href(version_file(r.version.version)) for r in model.versions},
            key_metrics=model.metrics[:4],
            param_columns=columns,
            param_text=compareview.text,
            compare=compare,
            max_charts=compareview.MAX_CHARTS,
            charts_shown=compareview.CHARTS_SHOWN,
            param_numeric={p: _numeric(model, p) for p in columns},
            limits={
                "params": compareview.MAX_PARAM_COLUMNS,
                "files": compareview.MAX_FILES,
                "file_versions": compareview.MAX_FILE_VERSIONS,
            },
        )

    def version(self, model: ModelReport, row: VersionReport) -> str:
        return _version_page(self.env, self.common, model, row)


def index_path() -> str:
    return "index.html"


def model_path(name: str) -> str:
    return f"{model_dir(name)}/index.html"


def version_path(name: str, version: str) -> str:
    return f"{model_dir(name)}/{version_file(version)}"


def _version_page(env: Environment, common: Mapping[str, Any], model: ModelReport, row: VersionReport) -> str:
    card = row.card
    described = cards.FIELDS
    return env.get_template("version.html.j2").render(
        **common,
        base="../../",
        model=model,
        row=row,
        v=row.version,
        card=card,
        training=card.get("training") if isinstance(card.get("training"), Mapping) else {},
        performance=card.get("performance") if isinstance(card.get("performance"), Mapping) else {},
        resources=card.get("resources") if isinstance(card.get("resources"), Mapping) else {},
        provenance=card.get("provenance") if isinstance(card.get("provenance"), Mapping) else {},
        limitations=card.get("limitations") if isinstance(card.get("limitations"), list) else [],
        tags=card.get("tags") if isinstance(card.get("tags"), list) else [],
        other={k: v for k, v in card.items() if k not in described},
        previous_href=href(version_file(row.diff.old.version)) if row.diff is not None else None,
    )
