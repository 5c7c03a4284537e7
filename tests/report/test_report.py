"""``llmgit report``: the static site's pages, escaping, self-containment and options.

The pages are checked as text here; tests/report/test_report_browser.py loads them in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from pathlib import Path

import pytest
from conftest import run_cli
from sitekit import HOSTILE_DESCRIPTION, HOSTILE_MESSAGE, MODEL, OTHER, build_registry, isolated

from llmgit.report import charts


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    with isolated(base / "home") as mp:
        build_registry(base / "repo", base / "remote", mp)
    return base / "repo"


@pytest.fixture(scope="module")
def site(history_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from llmgit import Registry
    from llmgit.report.options import ReportOptions

    out = tmp_path_factory.mktemp("site") / "site"
    with isolated(tmp_path_factory.mktemp("home")):
        Registry(history_repo).report(out, ReportOptions())
    return out


def read(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


def all_pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


def test_cli_writes_a_page_per_model_and_version(history_repo: Path, tmp_path: Path) -> None:
    result = run_cli(history_repo, "report", "--out", str(tmp_path / "site"))
    assert result.code == 0, result.err
    assert "Wrote 8 page(s) for 2 model(s) and 5 version(s)" in result.err
    pages = sorted(all_pages(tmp_path / "site"))
    assert pages == sorted(
        [
            "index.html",
            f"models/{MODEL}/index.html",
            f"models/{OTHER}/index.html",
            f"models/{OTHER}/v1.0.0.html",
            *[f"models/{MODEL}/v{v}.html" for v in ("1.0.0", "1.1.0", "1.2.0", "1.10.0")],
        ]
    )
    assert (tmp_path / "site" / ".llmgit-report").is_file()


def test_index_shows_stages_canary_and_last_promotion(site: Path) -> None:
    index = read(site, "index.html")
    row = index[index.index(f">{MODEL}<") : index.index(f">{OTHER}<")]
    assert 'class="badge stage-production">v1.0.0<' in row
    assert 'class="badge stage-staging">v1.10.0<' in row
    assert "v1.10.0 at 25%" in row
    assert "promote v1.10.0 to staging" in row
    other = index[index.index(f">{OTHER}<") :]
    assert "never" in other and "none" in other  # no promotion, no canary
    assert f'href="models/{MODEL}/index.html"' in index


def test_model_page_timeline_with_rollback_reason_and_archive(site: Path) -> None:
    page = read(site, f"models/{MODEL}/index.html")
    timeline = page[page.index('<ol class="timeline"') :]
    actions = re.findall(r'<span class="badge action">([a-z-]+)</span>', timeline)
    assert actions.count("promote") == 5 and "rollback" in actions and "archive" in actions
    assert "first release" in timeline and "better accuracy" in timeline
    assert "hallucinations up &lt;b onmouseover=" in timeline


def test_untrusted_text_is_escaped_everywhere(site: Path) -> None:
    for name, html in all_pages(site).items():
        assert "<script>window" not in html and "<img" not in html and 'onerror="' not in html, name
        assert html.count("<script") == 1, name  # the report's own script only
        assert "<b " not in html and "</title><script>" not in html, name
    first = read(site, f"models/{MODEL}/v1.0.0.html")
    assert "Alpaca LoRA &lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=" in first
    assert "&lt;/title&gt;&lt;script&gt;" in read(site, f"models/{MODEL}/index.html")
    assert HOSTILE_DESCRIPTION not in first and HOSTILE_MESSAGE not in first


def test_pages_are_self_contained_with_a_script_hash_policy(site: Path) -> None:
    for name, html in all_pages(site).items():
        external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html)
        assert external == [], name
        assert "url(" not in html and "@import" not in html, name
        script = html[html.index("<script>") + len("<script>") : html.index("</script>")]
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert policy is not None, name
        assert f"script-src 'sha256-{digest}'" in unescape(policy[1]), name
        assert "default-src 'none'" in unescape(policy[1]), name


def test_version_table_sorts_by_semver(site: Path) -> None:
    page = read(site, f"models/{MODEL}/index.html")
    table = page[page.index('id="versions-table"') : page.index("</table>", page.index('id="versions-table"'))]
    ranks = dict(
        re.findall(
            r'<td data-key="(\d+)"><input type="checkbox" class="pick" data-compare value="[^"]+" '
            r'aria-label="[^"]+"> <a href="v[^"]+"><code>v([^<]+)</code>',
            table,
        )
    )
    assert {v: int(k) for k, v in ranks.items()} == {"1.0.0": 0, "1.1.0": 1, "1.2.0": 2, "1.10.0": 3}
    assert table.index("v1.10.0") < table.index("v1.2.0")  # newest first by SemVer, not by text


def test_charts_mark_versions_that_served_in_production(site: Path) -> None:
    page = read(site, f"models/{MODEL}/index.html")
    svgs = re.findall(r'<svg class="chart".*?</svg>', page, re.DOTALL)
    assert len(svgs) == 2  # accuracy, loss
    for svg in svgs:
        served = re.findall(r'<circle class="point served" cx="[\d.]+" cy="[\d.]+" r="6"><title>([^<]+)</title>', svg)
        assert [t.split(":")[0] for t in served] == ["v1.0.0", "v1.1.0"]
        assert "(served in production)" in served[0]
        assert svg.count('class="point" cx=') == 2 + 1  # v1.2.0, v1.10.0 and the legend
        assert re.search(r'<polyline class="line" points="[\d., ]+"/>', svg)
        labels = re.findall(r'class="tick x-tick"[^>]*>([^<]+)<', svg)
        assert labels == ["v1.0.0", "v1.1.0", "v1.2.0", "v1.10.0"]
    assert "accuracy (higher is better)" in svgs[0] and "loss (lower is better)" in svgs[1]


def test_version_page_card_provenance_weights_and_diff(site: Path) -> None:
    page = read(site, f"models/{MODEL}/v1.1.0.html")
    assert 'Changes since <a href="v1.0.0.html">v1.0.0</a>' in page
    assert re.search(
        r'<tr class="verdict-better"><td>accuracy .*?</td><td class="num">0.712</td>'
        r'<td class="num">0.748</td><td class="num">\+0.036 \(\+5.1%\)</td>',
        page,
    )
    assert "<code>lora_r</code></td><td>8</td><td>16</td>" in page
    assert "model-00000-of-00002.safetensors" in page and "changed" in page
    for section in ("Model card", "Provenance", "Weights", "Hugging Face README"):
        assert f"<h2>{section}</h2>" in page
    assert "git_commit" in page and "llmgit_version" in page
    assert "first version of" in read(site, f"models/{MODEL}/v1.0.0.html")


def test_no_manifests_skips_the_file_lists(history_repo: Path, tmp_path: Path) -> None:
    result = run_cli(history_repo, "report", "--out", str(tmp_path / "s"), "--no-manifests", "--model", OTHER)
    assert result.code == 0, result.err
    page = (tmp_path / "s" / "models" / OTHER / "v1.0.0.html").read_text()
    assert "written with --no-manifests" in page and "config.json" not in page
    assert sorted(p.name for p in (tmp_path / "s" / "models").iterdir()) == [OTHER]


# the history counts the canary's start too (a production event that does not change the holder)
@pytest.mark.parametrize(
    ("since", "events"),
    [("2026-09-21", 10), ("2026-09-22", 0), ("2026-09-21T15:30:00+00:00", 9)],
    ids=["day", "later", "time"],
)
def test_since_limits_the_stage_history(history_repo: Path, tmp_path: Path, since: str, events: int) -> None:
    result = run_cli(history_repo, "report", "--out", str(tmp_path / "s"), "--since", since, "--no-manifests")
    assert result.code == 0, result.err
    page = (tmp_path / "s" / "models" / MODEL / "index.html").read_text()
    assert page.count('<li class="event') == events
    if not events:
        assert "No stage changes since 2026-09-22." in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "nope"], "error: model 'nope' has no registered versions"),
        (["--model", "Bad@Name"], "error: invalid model name 'Bad@Name'"),
        (["--since", "yesterday"], "error: 'yesterday' is not an ISO date or date-time"),
    ],
    ids=["unknown-model", "bad-name", "bad-since"],
)
def test_bad_input_exits_2(history_repo: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(history_repo, "report", "--out", str(tmp_path / "s"), *args)
    assert result.code == 2 and result.err.startswith(message), result.err
    assert not (tmp_path / "s").exists()


def test_an_unrelated_directory_is_never_overwritten(history_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.md").write_text("mine\n")
    result = run_cli(history_repo, "report", "--out", str(out))
    assert result.code == 2
    assert result.err.splitlines() == [
        f"error: '{out}' is not empty and holds no llmgit report",
        "hint: give --out a new or empty directory, or remove this one first",
    ]
    assert [p.name for p in out.iterdir()] == ["notes.md"]


def test_a_second_run_replaces_the_earlier_report(history_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert run_cli(history_repo, "report", "--out", str(out), "--no-manifests").code == 0
    (out / "models" / "stale.html").write_text("old")
    assert run_cli(history_repo, "report", "--out", str(out), "--no-manifests", "--model", OTHER).code == 0
    assert not (out / "models" / "stale.html").exists() and not (out / "models" / MODEL).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging leftovers beside it


def test_a_repository_can_override_a_report_template(history_repo: Path, tmp_path: Path) -> None:
    override = history_repo / ".llmgit" / "templates" / "report" / "index.html.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        '{% extends "base.html.j2" %}{% block main %}<h1>Our models: {{ models | length }}</h1>{% endblock %}'
    )
    try:
        assert run_cli(history_repo, "report", "--out", str(tmp_path / "s"), "--no-manifests").code == 0
    finally:
        override.unlink()
    assert "<h1>Our models: 2</h1>" in (tmp_path / "s" / "index.html").read_text()


def test_an_empty_registry_has_an_index(registry_repo: Path, tmp_path: Path) -> None:
    result = run_cli(registry_repo, "report", "--out", str(tmp_path / "s"))
    assert result.code == 0, result.err
    assert "No models registered yet" in (tmp_path / "s" / "index.html").read_text()


# -- charts (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "ticks"),
    [
        (0.712, 0.751, [0.71, 0.72, 0.73, 0.74, 0.75, 0.76]),
        (0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]),
        (3.0, 3.0, [2.8, 2.9, 3.0, 3.1, 3.2]),
        (120.0, 980.0, [0.0, 250.0, 500.0, 750.0, 1000.0]),
    ],
    ids=["narrow", "unit", "flat", "wide"],
)
def test_nice_ticks(low: float, high: float, ticks: list[float]) -> None:
    assert charts.nice_ticks(low, high) == pytest.approx(ticks)


def test_chart_escapes_text_and_breaks_the_line_at_gaps() -> None:
    chart = charts.LineChart(
        "c1",
        "acc <b>",
        "acc",
        (
            charts.Point("v1.0.0", 0.5),
            charts.Point('v2"<x>', None),
            charts.Point("v3.0.0", 0.7, True, "v3.html"),
            charts.Point("v4.0.0", 0.6),
        ),
    )
    svg = charts.render(chart)
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "v2&quot;&lt;x&gt;" in svg
    assert len(re.findall(r"<polyline ", svg)) == 2  # v1 alone, then v3-v4
    assert '<a href="v3.html"><circle class="point served"' in svg


def test_chart_without_values_says_so() -> None:
    svg = charts.render(charts.LineChart("c", "t", "y", (charts.Point("v1", None),)))
    assert "no values recorded" in svg and "<polyline" not in svg


# -- param columns and the compare view's data -----------------------------------------------


def test_model_page_shows_the_params_that_vary_as_columns(site: Path) -> None:
    page = read(site, f"models/{MODEL}/index.html")
    head = page[page.index('id="versions-table"') : page.index("</thead>", page.index('id="versions-table"'))]
    assert re.findall(r'<th data-sort="number" class="param" title="parameter">([^<]+)</th>', head) == ["lora_r"]
    cells = re.findall(r'<td class="param num" data-key="([^"]*)">([^<]*)</td>', page)
    assert cells == [("32", "32"), ("16", "16"), ("16", "16"), ("8", "8")]  # newest first
    assert "Parameter columns: the 1 parameter(s) whose values differ" in page
    other = read(site, f"models/{OTHER}/index.html")
    assert 'class="param"' not in other  # one version: nothing varies


def compare_document(page: str) -> dict:
    import json

    found = re.search(r'<div id="compare-data" hidden data-doc="([^"]*)"></div>', page)
    assert found is not None
    return json.loads(unescape(found[1]))


def test_compare_data_carries_params_metrics_card_fields_and_files(site: Path) -> None:
    doc = compare_document(read(site, f"models/{MODEL}/index.html"))
    assert list(doc["versions"]) == ["1.10.0", "1.2.0", "1.1.0", "1.0.0"]
    first, second = doc["versions"]["1.0.0"], doc["versions"]["1.1.0"]
    assert first["params"] == {"lora_r": "8"} and second["params"] == {"lora_r": "16"}
    assert first["metrics"] == {"accuracy": 0.712, "loss": 0.61}
    assert doc["directions"] == {"accuracy": "higher", "loss": "lower"}
    assert first["card"]["description"] == HOSTILE_DESCRIPTION  # exact text, for textContent
    assert "training.lora_r" not in first["card"] and "provenance.git_commit" not in first["card"]
    files = dict(doc["weights"][first["weights"]]["files"])
    assert sorted(files) == [
        "config.json",
        "model-00000-of-00002.safetensors",
        "model-00001-of-00002.safetensors",
        "tokenizer.json",
    ]
    assert all(len(md5) == 12 for md5 in files.values())
    assert files["tokenizer.json"] == dict(doc["weights"][second["weights"]]["files"])["tokenizer.json"]
    assert doc["limits"] == {"files": 200, "file_versions": 50}


def test_compare_data_is_escaped_into_one_attribute(site: Path) -> None:
    page = read(site, f"models/{MODEL}/index.html")
    found = re.search(r'data-doc="([^"]*)"', page)
    assert found is not None
    raw = found[1]
    assert "<" not in raw and ">" not in raw and "'" not in raw  # no markup, no way out of the attribute
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in raw


def test_compare_data_is_capped(history_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmgit import Registry
    from llmgit.report import compareview
    from llmgit.report.options import ReportOptions

    monkeypatch.setattr(compareview, "MAX_FILES", 3)
    monkeypatch.setattr(compareview, "MAX_FILE_VERSIONS", 2)
    monkeypatch.setattr(compareview, "MAX_CARD_FIELDS", 2)
    with isolated(tmp_path / "home"):
        Registry(history_repo).report(tmp_path / "s", ReportOptions(models=(MODEL,)))
    doc = compare_document((tmp_path / "s" / "models" / MODEL / "index.html").read_text())
    assert len(doc["weights"]) == 2  # the two newest versions' weights only
    for listing in doc["weights"].values():
        assert len(listing["files"]) == 3 and listing["capped"] and listing["total"] == 4
    assert doc["versions"]["1.0.0"]["weights"] == "not-included"
    assert all(len(v["card"]) == 2 for v in doc["versions"].values())


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        (0.000123456, "0.0001235"),
        (True, "true"),
        (None, "null"),
        ({"b": 1, "a": [1, 2]}, '{"a":[1,2],"b":1}'),
        ("x" * 500, "x" * 199 + "…"),
        (10**5000, "2^16609+"),
    ],
    ids=["text", "float", "bool", "none", "mapping", "long", "huge-int"],
)
def test_compare_text_is_short_and_total(value: object, shown: str) -> None:
    from llmgit.report import compareview

    assert compareview.text(value) == shown
