"""A card value as HTML, for the version pages' tables (escaped; nested values as nested
tables and lists).

Version pages print hundreds of thousands of these over a registry: as Python functions
(the templates' globals ``card_value`` and ``card_table``) they cost a fraction of the same
recursion written as Jinja macros. ``templates/report/macros.html.j2`` keeps its ``value``
and ``kv_table`` macros as names for these, for a repository's own templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from llmgit.core.metric_delta import format_number

NOT_RECORDED = Markup('<span class="muted">not recorded</span>')
NONE = Markup('<span class="muted">none</span>')


def _sorted(mapping: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """By key, case-insensitively (Jinja's ``dictsort``)."""
    return sorted(mapping.items(), key=lambda kv: kv[0].lower() if isinstance(kv[0], str) else kv[0])


def card_value(v: Any) -> Markup:
    if v is None:
        return NOT_RECORDED
    if isinstance(v, Mapping):
        if not v:
            return NONE
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{card_value(item)}</td></tr>" for k, item in _sorted(v))
        return Markup(f'<table class="kv nested">{rows}</table>')
    if isinstance(v, str):
        return escape(v)
    if hasattr(v, "__len__") and hasattr(v, "__getitem__"):  # Jinja's "sequence"
        if not v:
            return NONE
        return Markup('<ul class="plain">' + "".join(f"<li>{card_value(item)}</li>" for item in v) + "</ul>")
    return escape(format_number(v))


def card_table(mapping: Any, empty: str) -> Markup:
    """A mapping as a key/value table (sorted by key), or ``empty`` as a muted line."""
    if not mapping:
        return Markup('<p class="muted">{}</p>').format(empty)
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{card_value(item)}</td></tr>" for k, item in _sorted(mapping))
    return Markup(f'<table class="kv">{rows}</table>\n')
