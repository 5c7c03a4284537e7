"""The documentation site works offline: opened from file:// with the network blocked, no page
asks for anything from another host and the search still finds pages.

The site is built by scripts/build-docs.sh (strict). The browser is Debian's Chromium driven by
its chromedriver, as in tests/report/test_report_browser.py; those tests are skipped only where
Chromium is not installed (scripts/get-chromium.sh installs it). Requests to http(s) and
ws(s) are blocked in the page (DevTools) and, beyond that, sent to a proxy on a closed
loopback port, so nothing can leave the machine; the DevTools performance log shows every
request a page tried.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from browserkit import chromium_options

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "docs" / "vendor" / "iframe-worker"
CHROMIUM = os.environ.get("LLMGIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LLMGIT_CHROMEDRIVER", "/usr/bin/chromedriver")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def pages(site: Path) -> list[Path]:
    """The pages a reader opens; 404.html is for a web server (its links start at the root)."""
    return [p for p in sorted(site.rglob("*.html")) if p.relative_to(site).as_posix() != "404.html"]


needs_chromium = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}); "
    "scripts/get-chromium.sh installs Debian's chromium and chromium-driver",
)


def hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llmgit_docs_hooks_offline", ROOT / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mkdocs(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-offline") / "site"
    proc = subprocess.run(
        [str(ROOT / "scripts" / "build-docs.sh"), str(out)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return out


# -- the built pages -----------------------------------------------------------------------


def test_every_page_uses_the_vendored_worker_shim(site: Path) -> None:
    assert len(pages(site)) > 20
    for page in pages(site):
        text = page.read_text(encoding="utf-8")
        assert "unpkg.com" not in text, page
        assert hooks().remote_loads(text) == [], page
        up = "../" * (len(page.relative_to(site).parts) - 1)
        assert f'<script src="{up}vendor/iframe-worker/shim.js">' in text, page
    assert (site / "search" / "search_index.js").read_text(encoding="utf-8").startswith("var __index = ")
    for name in ("shim.js", "LICENSE", "SOURCE.txt"):
        assert (site / "vendor" / "iframe-worker" / name).is_file(), name


def test_vendored_shim_is_the_recorded_release() -> None:
    source = (VENDOR / "SOURCE.txt").read_text(encoding="utf-8")
    digest = hashlib.sha256((VENDOR / "shim.js").read_bytes()).hexdigest()
    assert f"sha256 of shim.js: {digest}" in source
    assert "MIT" in source and "Permission is hereby granted" in (VENDOR / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://unpkg.com/iframe-worker/shim"></script>', ["https://unpkg.com/iframe-worker/shim"]),
        ("<link rel=stylesheet href=//fonts.googleapis.com/css>", ["//fonts.googleapis.com/css"]),
        ('<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>', ["https://fonts.gstatic.com"]),
        ('<img srcset="a.png 1x, HTTP://cdn.example/b.png 2x">', ["HTTP://cdn.example/b.png"]),
        ('<iframe src="https://example.com/embed"></iframe>', ["https://example.com/embed"]),
        ('<pre class="mermaid"><code>graph LR</code></pre>', ["mermaid"]),
        ('<a href="https://github.com/iterative/gto">GTO</a>', []),
        ('<link rel="canonical" href="https://llmgit.example/">', []),
        ('<script src="../vendor/iframe-worker/shim.js"></script><img src="data:image/png;base64,AA">', []),
        ('<code class="language-mermaid">graph LR</code><p>see https://unpkg.com</p>', []),
    ],
    ids=["script", "stylesheet", "preconnect", "srcset", "iframe", "mermaid", "link", "canonical", "local", "text"],
)
def test_remote_loads_finds_what_a_page_would_fetch(html: str, found: list[str]) -> None:
    assert hooks().remote_loads(html) == found


def test_the_build_fails_when_a_page_would_load_from_a_cdn(tmp_path: Path) -> None:
    """Without the vendored shim the offline plugin adds the CDN's copy to every page."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.pop("extra")
    config["docs_dir"] = str(ROOT / "docs")
    config["hooks"] = [str(ROOT / "docs" / "hooks.py")]
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert proc.returncode != 0
    assert "would not work offline" in proc.stderr
    assert "index.html: https://unpkg.com/iframe-worker/shim" in proc.stderr


# -- in a browser without a network --------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(
        CHROMIUM,
        tmp_path_factory.mktemp("chromium-profile"),
        "--window-size=1280,900",
        f"--proxy-server=http://127.0.0.1:{closed_port()}",
        "--proxy-bypass-list=<-loopback>",
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # selenium-manager must never download a driver
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        block(driver)
        driver.get("about:blank")  # leave the new-tab page before logging requests
        yield driver
    finally:
        driver.quit()


def block(driver: Any) -> None:
    """Block every http(s)/ws(s) request in the page, leaving data: URLs alone."""
    from selenium.common.exceptions import WebDriverException

    schemes = ("http", "https", "ws", "wss")
    try:  # URLPattern syntax (newer Chromium): anchored to the scheme
        patterns = [{"urlPattern": f"{s}://*:*", "block": True} for s in schemes]
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urlPatterns": patterns})
    except WebDriverException:  # older Chromium: wildcard patterns
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{s}://*" for s in schemes]})


def open_offline(driver: Any, url: str) -> None:
    driver.get_log("performance")  # drop earlier entries
    driver.get_log("browser")
    driver.get(url)


def requested(driver: Any) -> list[str]:
    """Every URL the page (its frames included) tried to fetch since ``open_offline``."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


@needs_chromium
def test_no_page_requests_anything_from_the_network(browser: Any, site: Path) -> None:
    for page in pages(site):
        open_offline(browser, page.as_uri())
        browser.execute_script("return document.readyState")
        urls = requested(browser)
        assert page.as_uri() in urls
        assert [u for u in urls if not u.startswith(LOCAL_SCHEMES)] == [], page
        assert errors(browser) == [], page


@needs_chromium
def test_blocking_catches_a_page_that_asks_for_the_network(browser: Any, site: Path) -> None:
    """The check above would see a request: a script added by hand is seen, and not loaded."""
    open_offline(browser, (site / "index.html").as_uri())
    loaded = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const s = document.createElement('script');
        s.src = 'https://unpkg.com/iframe-worker/shim';
        s.onload = () => done(true);
        s.onerror = () => done(false);
        document.head.appendChild(s);""")
    assert loaded is False
    assert "https://unpkg.com/iframe-worker/shim" in requested(browser)


@needs_chromium
@pytest.mark.parametrize(
    ("start", "query", "expected"),
    [("workflows/register.html", "GTO", "migration-gto.html"), ("index.html", "stages", "stages.html")],
    ids=["nested-page", "index"],
)
def test_search_finds_pages_offline(browser: Any, site: Path, start: str, query: str, expected: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_offline(browser, (site / start).as_uri())
    box = browser.find_element(By.CSS_SELECTOR, 'input[data-md-component="search-query"]')
    box.click()
    box.send_keys(query)

    def hits(driver: Any) -> list[str]:
        return [
            a.get_attribute("href").split("?")[0]
            for a in driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item > a")
        ]

    found = WebDriverWait(browser, 15).until(hits)
    assert found[0] == (site / expected).as_uri()
    meta = browser.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert meta.endswith("matching documents") or meta == "1 matching document"
    browser.find_element(By.CSS_SELECTOR, ".md-search-result__item > a").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.split("?")[0] == (site / expected).as_uri())
    assert [u for u in requested(browser) if not u.startswith(LOCAL_SCHEMES)] == []
    assert errors(browser) == []
