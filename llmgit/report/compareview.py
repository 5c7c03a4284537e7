"""What a model page's version table and compare view show, as bounded plain values.

The param columns are the parameters whose values vary across the model's versions (at most
:data:`MAX_PARAM_COLUMNS`). The compare view is drawn by the page's script from one JSON
document (:func:`document`): per version its params, metrics and card fields as display
text, and per distinct weights its files (relpath -> md5) as the DVC manifest lists them.
Every list is capped so a page stays small whatever was pushed: at most :data:`MAX_FILES`
files (the first by relpath) of the :data:`MAX_FILE_VERSIONS` newest versions' weights, and
card fields and values cut to :data:`MAX_CARD_FIELDS` and :data:`MAX_TEXT` characters;
the first :data:`MAX_CHARTS` metrics are charted, one at a time above :data:`CHARTS_SHOWN`.
The document reaches the page as an escaped attribute value and is only ever read as text
(``templates/report/compare.js`` draws the view with ``textContent``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from llmgit.core.compare import VOLATILE
from llmgit.core.inputs import flatten
from llmgit.core.metric_delta import format_number, real
from llmgit.core.model import ModelVersion
from llmgit.report.collect import Manifest, ModelReport, VersionRow

MAX_PARAM_COLUMNS = 6
MAX_COMPARE_PARAMS = 200  # params per version in the compare view
MAX_METRICS = 200  # metrics per version in the compare view
MAX_CARD_FIELDS = 60
MAX_TEXT = 200
MAX_FILES = 200
MAX_FILE_VERSIONS = 50
MD5_CHARS = 12  # enough to tell files apart on a page; the version page shows the whole md5
MAX_CHARTS = 24  # metrics charted on a model page (the first recorded)
CHARTS_SHOWN = 4  # more than this: one chart at a time, picked from a list


def limits() -> tuple[int, ...]:
    """Every cap above: what a model page shows depends on them (its key includes them)."""
    return (
        MAX_PARAM_COLUMNS,
        MAX_COMPARE_PARAMS,
        MAX_METRICS,
        MAX_CARD_FIELDS,
        MAX_TEXT,
        MAX_FILES,
        MAX_FILE_VERSIONS,
        MD5_CHARS,
        MAX_CHARTS,
        CHARTS_SHOWN,
    )


def text(value: Any) -> str:
    """A value as a short line of text (numbers as the tables show them)."""
    if isinstance(value, str):
        shown = value
    elif value is None or isinstance(value, bool):
        shown = json.dumps(value)
    elif isinstance(value, (int, float)):
        shown = format_number(value)
    else:
        try:
            shown = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            shown = format_number(value)
    return shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 1] + "…"


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def param_columns(model: ModelReport) -> tuple[str, ...]:
    """The params whose values differ between versions (absent counts), first seen first."""
    found: list[str] = []
    missing = object()
    for name in model.params:
        values = {_canonical(r.version.params[name]) if name in r.version.params else missing for r in model.versions}
        if len(values) > 1:
            found.append(name)
            if len(found) == MAX_PARAM_COLUMNS:
                break
    return tuple(found)


def _metric(value: Any) -> float | int | str:
    """A number for the script to subtract (finite, safe in JSON), else its text."""
    number = real(value)
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        return text(value)
    if isinstance(number, int) and abs(number) > 2**53:
        return float(number) if number.bit_length() < 1000 else text(value)
    return number


def _card_fields(card: Mapping[str, Any], v: ModelVersion) -> dict[str, str]:
    """The card's fields (dotted), less what the metrics and params rows show and what
    changes with every version anyway."""
    shown = {f"training.{k}" for k in v.params}
    flat = flatten({k: item for k, item in card.items() if k != "performance"})
    out: dict[str, str] = {}
    for key, value in flat.items():
        if key in shown or key in VOLATILE or key.startswith("weights.") or value in (None, [], {}, ""):
            continue
        if len(out) == MAX_CARD_FIELDS:
            break
        out[key] = text(value)
    return out


def _files(manifest: Manifest) -> dict[str, Any]:
    files, note = manifest
    if files is None:
        return {"files": None, "capped": False, "note": note}
    ordered = sorted(files, key=lambda f: f.relpath)
    return {
        "files": [[f.relpath, f.md5[:MD5_CHARS]] for f in ordered[:MAX_FILES]],
        "capped": len(ordered) > MAX_FILES,
        "total": len(ordered),
        "note": "",
    }


def document(
    model: ModelReport,
    card: Callable[[VersionRow], Mapping[str, Any]],
    manifest: Callable[[ModelVersion], Manifest],
    direction: Callable[[str], str],
) -> str:
    """The compare view's data as compact JSON (to be escaped into an attribute)."""
    versions: dict[str, Any] = {}
    weights: dict[str, Any] = {}
    for i, row in enumerate(model.versions):
        v = row.version
        w = v.weights
        key = None
        if w is not None:
            key = f"{w.md5}:{int(w.is_dir)}"
            if key not in weights and i < MAX_FILE_VERSIONS:
                weights[key] = _files(manifest(v))
            elif key not in weights:
                key = "not-included"
        versions[v.version] = {
            "params": {k: text(p) for k, p in list(v.params.items())[:MAX_COMPARE_PARAMS]},
            "metrics": {k: _metric(m) for k, m in list(v.metrics.items())[:MAX_METRICS]},
            "card": _card_fields(card(row), v),
            "weights": key,
        }
    return json.dumps(
        {
            "versions": versions,
            "directions": {m: direction(m) for m in model.metrics[:MAX_METRICS]},
            "weights": weights,
            "limits": {"files": MAX_FILES, "file_versions": MAX_FILE_VERSIONS},
        },
        separators=(",", ":"),
        allow_nan=False,
    )


def file_rows(model: ModelReport) -> tuple[VersionRow, ...]:
    """The versions whose file lists the compare view carries (the newest first)."""
    return model.versions[:MAX_FILE_VERSIONS]
