"""What makes ``llmgit report`` fast on a big registry, held to the slow way's answers.

- Card values are HTML from Python (``report/values.py``), not Jinja macros: the same markup.
- ``core.markdown.text`` escapes only the characters that need it: the same text.
- Shipped templates render outside Jinja's sandbox; a repository's override inside it.
- Card blob ids and the index's descriptions are remembered by git object ids; a damaged or
  foreign cache file is ignored (the report is the one a cold build writes).
- The storage tiles are billed as ``llmgit cost`` bills them, without its lifecycle plan.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from pathlib import Path
from typing import Any

import pytest
from conftest import git, make_weights
from hypothesis import given, settings
from hypothesis import strategies as st
from sitekit import MODEL, OTHER, build_registry, isolated, llmgit

from llmgit import Registry
from llmgit.core import markdown as md
from llmgit.report import pages, remembered, values
from llmgit.report.options import ReportOptions

STAMP = dt.datetime(2026, 9, 23, 12, 0, tzinfo=dt.timezone.utc)

# the macros these functions replace, as they were written
MACROS = """
{% macro value(v) %}
{%- if v is none -%}<span class="muted">not recorded</span>
{%- elif v is mapping -%}
{% if v %}<table class="kv nested">{% for k, item in v | dictsort %}<tr><th>{{ k }}</th><td>{{ value(item) }}</td></tr>{% endfor %}</table>{% else %}<span class="muted">none</span>{% endif %}
{%- elif v is string -%}{{ v }}
{%- elif v is sequence -%}
{% if v %}<ul class="plain">{% for item in v %}<li>{{ value(item) }}</li>{% endfor %}</ul>{% else %}<span class="muted">none</span>{% endif %}
{%- else -%}{{ v | number }}
{%- endif -%}
{% endmacro %}

{% macro kv_table(mapping, empty) %}
{% if mapping %}
<table class="kv">{% for k, item in mapping | dictsort %}<tr><th>{{ k }}</th><td>{{ value(item) }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">{{ empty }}</p>{% endif %}
{% endmacro %}
"""

text = st.text(alphabet=string.printable + "é<>&\"'@:/.wW_-*`[]()#|\u202e\u200b", max_size=16)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
card_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)


@pytest.fixture(scope="module")
def macros() -> Any:
    from jinja2 import Environment, StrictUndefined

    from llmgit.core.metric_delta import format_number

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = format_number
    return env.from_string(MACROS).module


@settings(max_examples=300, deadline=None)
@given(card_values)
def test_card_values_are_the_markup_the_macros_wrote(macros: Any, value: Any) -> None:
    assert str(values.card_value(value)) == str(macros.value(value))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(text, card_values, max_size=5), text)
def test_card_tables_are_the_markup_the_macros_wrote(macros: Any, mapping: dict[str, Any], empty: str) -> None:
    assert str(values.card_table(mapping, empty)) == str(macros.kv_table(mapping, empty))


def _text_char_by_char(value: object) -> str:
    """``markdown.text`` as it was: every character through ``_escape_char``."""
    s = md.one_line(value)
    out = "".join(md._escape_char(s, i) for i in range(len(s)))
    if out[:1] in (" ", "\t"):
        out = f"&#{ord(out[0])};{out[1:]}"
    return out


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=string.printable + "é\u200b\u202e\x00\x1b@:/.wWx", max_size=40))
def test_markdown_text_escapes_as_character_by_character(value: str) -> None:
    assert md.text(value) == _text_char_by_char(value)


def test_markdown_text_examples() -> None:
    assert md.text("see www.example.com or http://x.io, @team *now*") == (
        "see www\u200b\\.example.com or http:\u200b//x.io, @\u200bteam \\*now\\*"
    )
    assert md.text("lora_r 1.5 llama-7b") == "lora_r 1.5 llama-7b"


def test_shipped_templates_render_outside_the_sandbox_and_overrides_inside(tmp_path: Path) -> None:
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    assert not isinstance(pages._environment(tmp_path), SandboxedEnvironment)
    override = tmp_path / ".llmgit" / "templates" / "report" / "index.html.j2"
    override.parent.mkdir(parents=True)
    override.write_text("{{ models.__class__.__init__.__globals__ }}")
    env = pages._environment(tmp_path)
    assert isinstance(env, SandboxedEnvironment)
    with pytest.raises(SecurityError):
        env.get_template("index.html.j2").render(models=[])


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fast")
    with isolated(base / "home") as mp:
        build_registry(base / "repo", base / "remote", mp, hostile=False)
        llmgit(base / "repo", "push")
    return base / "repo"


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def build(repo: Path, out: Path) -> int:
    return Registry(repo).report(out, ReportOptions(generated=STAMP)).pages


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        '{"format": 2, "values": {}}',
        '{"format": 1, "values": []}',
        # one bad entry: the whole file is ignored (a foreign file is never trusted in part)
        '{"format": 1, "values": {"' + "0" * 40 + '": 5}}',
        '{"format": 1, "values": {"../x": "y"}}',
    ],
)
def test_a_damaged_cache_file_is_ignored(repo: Path, tmp_path: Path, damage: str) -> None:
    with isolated(tmp_path / "home"):
        cold = tmp_path / "cold"
        build(repo, cold)
        folder = remembered.folder(repo)
        assert {p.name for p in folder.iterdir()} == {"card-blobs.json", "descriptions.json"}
        for p in folder.iterdir():
            p.write_text(damage)
        again = tmp_path / "again"
        build(repo, again)
        assert files(again) == files(cold)
        for p in folder.iterdir():  # written again whole
            assert json.loads(p.read_text())["format"] == 1


def test_remembered_values_are_keyed_by_object_ids(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        build(repo, tmp_path / "site")
        blobs = json.loads((remembered.folder(repo) / "card-blobs.json").read_text())["values"]
        descriptions = json.loads((remembered.folder(repo) / "descriptions.json").read_text())["values"]
        tags = {v.tag: v for v in Registry(repo).store.versions_all()}
        assert len(blobs) == len(tags)
        for spec, (blob, size) in blobs.items():
            commit, path = spec.split(":", 1)
            assert git(repo, "rev-parse", f"{commit}:{path}").strip() == blob
            assert int(git(repo, "cat-file", "-s", blob)) == size
        assert len(descriptions) == 2  # the latest card of each model, as the index shows it


def test_a_new_version_rewrites_its_pages_as_a_cold_build_writes_them(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        site = tmp_path / "site"
        build(repo, site)
        make_weights(repo / "out" / OTHER, seed=321)
        llmgit(repo, "register", OTHER, "-w", f"out/{OTHER}", "-M", "accuracy=0.72", "--description", "now described")
        assert build(repo, site) == 3  # the new version's page, the model page, the index
        assert "now described" in (site / "index.html").read_text()
        for p in remembered.folder(repo).iterdir():
            p.unlink()
        cold = tmp_path / "cold"
        build(repo, cold)
        assert files(site) == files(cold)


def test_storage_tiles_are_billed_as_the_cost_report_bills_them(repo: Path, tmp_path: Path) -> None:
    with isolated(tmp_path / "home"):
        cost = Registry(repo).cost_report().to_json()
        site = tmp_path / "site"
        build(repo, site)
        by_model = {m["model"]: m for m in cost["models"]}
        assert set(by_model) == {MODEL, OTHER}
        for name, m in by_model.items():
            classes = ", ".join(c for c, size in m["bytes_by_class"].items() if size) or "nothing stored"
            page = (site / "models" / name / "index.html").read_text()
            assert f"{classes} · {m['monthly']:.2f} USD/month" in page
            assert m["bytes_by_class"]  # the push stored something: the tile is not a default


def test_pages_and_cards_on_every_core_are_the_pages_one_process_writes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site is rendered and its cards parsed in forked workers on a big registry
    (:mod:`llmgit.infra.forked`): here with a share of one page, the same bytes."""
    from llmgit.report import collect, site

    with isolated(tmp_path / "home"):
        alone = tmp_path / "alone"
        build(repo, alone)
        for p in remembered.folder(repo).iterdir():
            p.unlink()
        monkeypatch.setattr(site, "SHARE", 1)
        monkeypatch.setattr(collect, "CARD_SHARE", 1)
        shared = tmp_path / "shared"
        build(repo, shared)
        assert files(shared) == files(alone)
