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
from pngstats import stats
from sitekit import HOSTILE_DESCRIPTION, MODEL, build_registry, isolated

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

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1280,1800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
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
