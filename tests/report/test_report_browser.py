"""The report in a real headless browser: Debian's Chromium, driven by its chromedriver.

Pages are loaded from disk (file://) and over HTTP (a static server on 127.0.0.1). Skipped
only where Chromium is not installed; scripts/get-chromium.sh installs it (CI runs it).
Set LLMGIT_SCREENSHOT_DIR to keep the screenshots.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium_options
from conftest import git, make_weights
from pngstats import rows, stats
from sitekit import HOSTILE_DESCRIPTION, MODEL, Ticker, build_registry, isolated, llmgit

CHROMIUM = os.environ.get("LLMGIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LLMGIT_CHROMEDRIVER", "/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}); "
    "scripts/get-chromium.sh installs Debian's chromium and chromium-driver",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from llmgit import Registry
    from llmgit.report.options import ReportOptions

    base = tmp_path_factory.mktemp("browser")
    with isolated(base / "home") as mp:
        build_registry(base / "repo", base / "remote", mp)
        Registry(base / "repo").report(base / "site", ReportOptions())
    return base / "site"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(
        CHROMIUM, tmp_path_factory.mktemp("chromium-profile"), "--hide-scrollbars", "--window-size=1280,1800"
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # selenium-manager must never download a driver
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """Any static server: the standard library's, on a free loopback port."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def load(browser: Any, url: str) -> list[str]:
    """Open ``url``; returns the console errors it caused."""
    browser.get_log("browser")  # drop earlier entries
    browser.get(url)
    browser.execute_script("return document.readyState")
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def visible_rows(browser: Any, table: str) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())",
        f"#{table}",
    )


def test_index_loads_without_console_errors(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    assert load(browser, (site / "index.html").as_uri()) == []
    assert browser.title == "Models · llmgit registry"
    rows = visible_rows(browser, "models-table")
    assert len(rows) == 2 and rows[0].startswith(MODEL) and rows[1].startswith("mistral-7b-chat")
    browser.find_element(By.LINK_TEXT, MODEL).click()
    assert browser.current_url.endswith(f"models/{MODEL}/index.html")
    assert browser.find_element(By.TAG_NAME, "h1").text == MODEL


def test_model_page_draws_the_charts(browser: Any, site: Path) -> None:
    assert load(browser, (site / "models" / MODEL / "index.html").as_uri()) == []
    drawn = browser.execute_script("""
        return Array.from(document.querySelectorAll('svg.chart')).map(svg => {
          const box = svg.getBoundingClientRect();
          const line = svg.querySelector('polyline.line');
          return {width: box.width, height: box.height, length: line ? line.getTotalLength() : 0,
                  served: svg.querySelectorAll('a circle.point.served').length,
                  title: svg.querySelector('title').textContent};
        });""")
    assert [c["title"] for c in drawn] == ["accuracy", "loss"]
    for chart in drawn:
        assert chart["width"] > 300 and chart["height"] > 120
        assert chart["length"] > 200  # a real line through four versions
        assert chart["served"] == 2  # v1.0.0 and v1.1.0 served in production


def test_filter_and_sort_work(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    load(browser, (site / "models" / MODEL / "index.html").as_uri())
    assert visible_rows(browser, "versions-table") == ["v1.10.0", "v1.2.0", "v1.1.0", "v1.0.0"]
    box = browser.find_element(By.CSS_SELECTOR, '[data-filter-for="versions-table"]')
    box.send_keys("v1.2")
    assert visible_rows(browser, "versions-table") == ["v1.2.0"]
    assert browser.find_element(By.CSS_SELECTOR, '[data-count-for="versions-table"]').text == "1 of 4 shown"
    box.clear()
    box.send_keys(" ")  # an input event with no terms: everything again
    assert len(visible_rows(browser, "versions-table")) == 4
    Select(browser.find_element(By.CSS_SELECTOR, '[data-filter-stage-for="versions-table"]')).select_by_value("served")
    assert visible_rows(browser, "versions-table") == ["v1.1.0", "v1.0.0"]
    Select(browser.find_element(By.CSS_SELECTOR, '[data-filter-stage-for="versions-table"]')).select_by_value("")
    header = browser.find_element(By.XPATH, '//table[@id="versions-table"]//th[normalize-space()="Version"]')
    header.click()
    assert visible_rows(browser, "versions-table") == ["v1.0.0", "v1.1.0", "v1.2.0", "v1.10.0"]
    assert header.get_attribute("aria-sort") == "ascending"
    browser.find_element(By.XPATH, '//table[@id="versions-table"]//th[normalize-space()="accuracy"]').click()
    assert visible_rows(browser, "versions-table") == ["v1.0.0", "v1.2.0", "v1.1.0", "v1.10.0"]
    Select(browser.find_element(By.CSS_SELECTOR, '[data-filter-stage-for="timeline"]')).select_by_value("production")
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#timeline li'))"
        ".filter(li => !li.hidden).map(li => li.dataset.stage)"
    )
    assert shown == ["production"] * 4  # three holder changes and the canary's start


@pytest.mark.parametrize(
    "page",
    ["index.html", f"models/{MODEL}/index.html", f"models/{MODEL}/v1.0.0.html", f"models/{MODEL}/v1.1.0.html"],
    ids=["index", "model", "card", "message"],
)
def test_a_hostile_card_does_not_execute(browser: Any, site: Path, page: str) -> None:
    errors = load(browser, (site / page).as_uri())
    assert errors == []  # a blocked inline script would show up as a CSP error here
    result = browser.execute_script("""return {pwned: typeof window.__pwned, imgs: document.images.length,
        scripts: document.scripts.length, bold: document.querySelectorAll('main b').length,
        text: document.body.innerText};""")
    assert result["pwned"] == "undefined"
    assert (result["imgs"], result["scripts"], result["bold"]) == (0, 1, 0)
    if page.endswith("v1.0.0.html"):
        assert HOSTILE_DESCRIPTION in result["text"]  # shown as text, exactly as written


def test_pages_work_from_a_static_server(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    assert load(browser, f"{server}/index.html") == []
    browser.find_element(By.LINK_TEXT, MODEL).click()
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart polyline")
    browser.find_element(By.LINK_TEXT, "v1.10.0").click()
    assert browser.current_url == f"{server}/models/{MODEL}/v1.10.0.html"
    assert browser.get_log("browser") == []


def test_screenshot_of_the_model_page_is_not_blank(browser: Any, site: Path) -> None:
    load(browser, "data:text/html,<html><body></body></html>")
    blank = stats(browser.get_screenshot_as_png())
    assert blank.colours <= 2  # the check below would catch a page that failed to render
    load(browser, (site / "models" / MODEL / "index.html").as_uri())
    png = browser.get_screenshot_as_png()
    keep = os.environ.get("LLMGIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "model-page.png").write_bytes(png)
    shot = stats(png)
    assert shot.width >= 1000 and shot.height >= 800
    assert shot.colours > 200  # text, badges, two charts
    assert shot.background_share < 0.9


def test_chromium_screenshot_from_the_command_line(site: Path, tmp_path: Path) -> None:
    """The one-liner CI jobs use to snapshot a page, without a driver."""
    import subprocess

    out = tmp_path / "index.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,900",
            f"--screenshot={out}",
            (site / "index.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    shot = stats(out.read_bytes())
    assert shot.colours > 50 and shot.background_share < 0.95
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


# -- the compare view ------------------------------------------------------------------------

WIDE = "wide-model"
HOSTILE_FILE = '<b onmouseover="window.__pwned = 6">x.bin'
HOSTILE_PARAM = '<img src=x onerror="window.__pwned = 5">'


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three versions whose files are added, removed and changed, the last above the file cap."""
    from llmgit import Registry
    from llmgit.report.options import ReportOptions

    base = tmp_path_factory.mktemp("wide")
    root = base / "repo"
    with isolated(base / "home") as mp:
        clock = Ticker(mp)
        clock.tick()
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        (root / "train.py").write_text("# training\n")
        git(root, "add", "train.py")
        git(root, "commit", "-q", "-m", "training code")
        llmgit(root, "init", "--remote", str(base / "remote"))
        out = root / "out" / WIDE
        runs = (
            ("1.0.0", 2, "0.69", "0.5", "0.001"),
            ("1.1.0", 3, "0.65", "0.4", "0.002"),
            ("2.0.0", 3, "0.7", "0.4", "0.002"),
        )
        for version, shards, acc, loss, lr in runs:
            clock.tick()
            if out.exists():
                for p in sorted(out.rglob("*"), reverse=True):
                    p.unlink() if p.is_file() else p.rmdir()
            make_weights(out, seed=7 if version == "1.0.0" else 8, shards=shards, size=256)
            if version == "1.0.0":
                (out / HOSTILE_FILE).write_bytes(b"x")
            if version == "2.0.0":  # above the cap of 200 files per version
                (out / "layers").mkdir()
                for i in range(210):
                    (out / "layers" / f"layer-{i:03d}.bin").write_bytes(f"{i}".encode())
            llmgit(
                root,
                "register",
                WIDE,
                "-w",
                f"out/{WIDE}",
                "--version",
                version,
                "-m",
                f"run {version}",
                "-M",
                f"accuracy={acc}",
                "-M",
                f"loss={loss}",
                "-p",
                f"lr={lr}",
                "-p",
                f"note={HOSTILE_PARAM if version == '1.0.0' else 'plain'}",
                "-p",
                "seed=7",
            )
        Registry(root).report(base / "site", ReportOptions())
    return base / "site"


def tick(browser: Any, *versions: str) -> None:
    from selenium.webdriver.common.by import By

    for v in versions:
        browser.find_element(By.CSS_SELECTOR, f'input[data-compare][value="{v}"]').click()


def compare_tables(browser: Any) -> dict[str, Any]:
    return browser.execute_script("""
        const part = name => {
          const table = document.querySelector('#compare-body .compare-' + name + ' table');
          if (!table) { return null; }
          return {head: Array.from(table.tHead.rows[0].cells).map(c => c.textContent),
                  rows: Array.from(table.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.textContent))};
        };
        const deltas = Array.from(document.querySelectorAll('#compare-body .delta')).map(d => ({
          text: d.textContent, cls: d.className, bg: getComputedStyle(d).backgroundColor,
          row: d.closest('tr').cells[0].firstChild.textContent}));
        return {params: part('params'), metrics: part('metrics'), card: part('card'), files: part('files'),
                deltas: deltas,
                summaries: Array.from(document.querySelectorAll('#compare-body .files-summary')).map(p => p.textContent),
                notes: Array.from(document.querySelectorAll('#compare-body .files-note')).map(p => p.textContent),
                hidden: document.getElementById('compare').hidden};""")


GREEN, RED = "rgb(236, 253, 245)", "rgb(254, 242, 242)"  # .delta-better, .delta-worse


def test_compare_view_shows_params_deltas_and_changed_files(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    assert load(browser, (site / "models" / MODEL / "index.html").as_uri()) == []
    button = browser.find_element(By.CSS_SELECTOR, "[data-compare-button]")
    assert compare_tables(browser)["hidden"] and not button.is_enabled()
    tick(browser, "1.1.0")
    assert not button.is_enabled()
    tick(browser, "1.2.0", "1.10.0")  # v1.1.0 first: the baseline
    assert button.is_enabled()
    assert browser.find_element(By.CSS_SELECTOR, "[data-compare-count]").text == "3 selected (baseline v1.1.0)"
    button.click()
    got = compare_tables(browser)
    assert not got["hidden"]
    assert got["params"] == {
        "head": ["Parameter", "v1.1.0", "v1.2.0", "v1.10.0"],
        "rows": [["lora_r", "16", "16", "32"]],
    }
    assert got["metrics"]["head"] == ["Metric", "v1.1.0", "v1.2.0", "v1.10.0"]
    assert [r[:2] for r in got["metrics"]["rows"]] == [
        ["accuracy (higher is better)", "0.748"],
        ["loss (lower is better)", "0.55"],
    ]
    deltas = [(d["row"], d["text"], d["cls"], d["bg"]) for d in got["deltas"]]
    assert deltas == [
        ("accuracy", "-0.009 (-1.2%)", "delta delta-worse", RED),
        ("accuracy", "+0.033 (+4.4%)", "delta delta-better", GREEN),
        ("loss", "-0.03 (-5.5%)", "delta delta-better", GREEN),
        ("loss", "-0.08 (-14.5%)", "delta delta-better", GREEN),
    ]
    assert got["summaries"] == ["3 file(s) changed, 0 added, 0 removed, 1 identical."] * 2
    assert sorted({r[0] for r in got["files"]["rows"]}) == [
        "config.json",
        "model-00000-of-00002.safetensors",
        "model-00001-of-00002.safetensors",
    ]
    assert {r[1] for r in got["files"]["rows"]} == {"changed"}
    assert browser.get_log("browser") == []

    png = browser.get_screenshot_as_png()  # scrolled to the compare view
    keep = os.environ.get("LLMGIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "compare-view.png").write_bytes(png)
    box = browser.execute_script("""const r = document.querySelector('#compare-body .compare-metrics table')
        .getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, window.devicePixelRatio];""")
    region = crop(png, *box)
    assert region["colours"] > 30 and region["background_share"] < 0.95  # drawn, not blank
    assert (236, 253, 245) in region["seen"] and (254, 242, 242) in region["seen"]  # green and red deltas


def crop(png: bytes, left: float, top: float, right: float, bottom: float, scale: float) -> dict[str, Any]:
    """Colour statistics of a rectangle (CSS pixels) of a screenshot."""
    from collections import Counter

    width, height, bpp, lines = rows(png)
    x0, x1 = max(0, int(left * scale)), min(width, int(right * scale))
    y0, y1 = max(0, int(top * scale)), min(height, int(bottom * scale))
    assert x1 - x0 > 100 and y1 - y0 > 40, (x0, y0, x1, y1)
    counts: Counter[tuple[int, ...]] = Counter()
    for line in lines[y0:y1]:
        counts.update(tuple(line[i : i + 3]) for i in range(x0 * bpp, x1 * bpp, bpp))
    total = sum(counts.values())
    return {"colours": len(counts), "background_share": counts.most_common(1)[0][1] / total, "seen": set(counts)}


def test_compare_view_lists_added_removed_and_capped_files(browser: Any, wide_site: Path) -> None:
    from selenium.webdriver.common.by import By

    assert load(browser, (wide_site / "models" / WIDE / "index.html").as_uri()) == []
    head = browser.execute_script(
        "return Array.from(document.querySelectorAll('#versions-table th.param')).map(th => th.textContent)"
    )
    assert head == ["lr", "note"]  # seed is the same everywhere
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#versions-table td.param')).map(td => td.textContent)"
    )
    assert cells == ["0.002", "plain", "0.002", "plain", "0.001", HOSTILE_PARAM]
    tick(browser, "1.0.0", "1.1.0", "2.0.0")
    browser.find_element(By.CSS_SELECTOR, "[data-compare-button]").click()
    got = compare_tables(browser)
    assert got["params"]["rows"] == [["lr", "0.001", "0.002", "0.002"], ["note", HOSTILE_PARAM, "plain", "plain"]]
    deltas = [(d["row"], d["text"], d["cls"]) for d in got["deltas"]]
    assert deltas[:2] == [
        ("accuracy", "-0.04 (-5.8%)", "delta delta-worse"),
        ("accuracy", "+0.01 (+1.4%)", "delta delta-better"),
    ]
    first, capped = got["summaries"]
    assert first == "1 file(s) changed, 3 added, 3 removed, 1 identical."
    statuses = browser.execute_script("""return Array.from(document.querySelectorAll('#compare-body .compare-files table'))
        .map(t => Array.from(t.tBodies[0].rows).map(r => [r.cells[0].textContent, r.cells[1].textContent]));""")
    assert statuses[0] == [
        [HOSTILE_FILE, "removed"],
        ["config.json", "changed"],
        ["model-00000-of-00002.safetensors", "removed"],
        ["model-00000-of-00003.safetensors", "added"],
        ["model-00001-of-00002.safetensors", "removed"],
        ["model-00001-of-00003.safetensors", "added"],
        ["model-00002-of-00003.safetensors", "added"],
    ]
    # v2.0.0 lists 215 files: the first 200 by relpath are carried, so the rest is not compared
    assert got["notes"] == ["File lists are capped at 200 files per version: compared up to layers/layer-198.bin."]
    assert capped == "1 file(s) changed, 199 added, 1 removed, 0 identical."  # against v1.0.0, the baseline
    assert statuses[1][:3] == [[HOSTILE_FILE, "removed"], ["config.json", "changed"], ["layers/layer-000.bin", "added"]]
    assert len(statuses[1]) == 201 and statuses[1][-1] == ["layers/layer-198.bin", "added"]
    result = browser.execute_script("""return {pwned: typeof window.__pwned, imgs: document.images.length,
        bold: document.querySelectorAll('main b').length, text: document.getElementById('compare').innerText};""")
    assert (result["pwned"], result["imgs"], result["bold"]) == ("undefined", 0, 0)
    assert HOSTILE_FILE in result["text"] and HOSTILE_PARAM in result["text"]  # as text, exactly as written
    assert browser.get_log("browser") == []
    keep = os.environ.get("LLMGIT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "compare-files.png").write_bytes(browser.get_screenshot_as_png())


def test_many_metrics_are_charted_one_at_a_time(
    browser: Any, wide_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from llmgit import Registry
    from llmgit.report import compareview
    from llmgit.report.options import ReportOptions

    monkeypatch.setattr(compareview, "CHARTS_SHOWN", 1)  # the wide model has two metrics
    with isolated(tmp_path / "home"):
        Registry(wide_site.parent / "repo").report(tmp_path / "s", ReportOptions(manifests=False))
    assert load(browser, (tmp_path / "s" / "models" / WIDE / "index.html").as_uri()) == []

    def shown() -> list[str]:
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('figure.chart-box')).filter(f => !f.hidden)"
            ".map(f => f.querySelector('svg title').textContent)"
        )

    assert shown() == ["accuracy"]
    Select(browser.find_element(By.CSS_SELECTOR, "[data-chart-select]")).select_by_visible_text("loss")
    assert shown() == ["loss"]
    size = browser.execute_script(
        "return document.querySelector('figure.chart-box:not([hidden]) svg').getBoundingClientRect().width"
    )
    assert size > 300
