"""MLflow's own UI over an llmgit registry: the real ``mlflow server`` with
``--registry-store-uri llmgit:PATH``, read by headless Chromium (Debian's, via its chromedriver).

The registry is built through the plugin with ``MlflowClient`` (tests/mlflowkit.py); the pages
are MLflow's React app, so every check waits (bounded) for it to render. Skipped only where
Chromium is not installed; scripts/get-chromium.sh installs it. Set LLMGIT_SCREENSHOT_DIR to keep
the screenshots.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium_options
from conftest import git
from mlflowkit import MODELS, ModelSpec, Server, build_registry, init_registry, mlflow_server
from pngstats import stats
from sitekit import Ticker, isolated

CHROMIUM = os.environ.get("LLMGIT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LLMGIT_CHROMEDRIVER", "/usr/bin/chromedriver")
RENDER_TIMEOUT = 60  # seconds for the React app to fetch and draw a page

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason=f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}); "
    "scripts/get-chromium.sh installs Debian's chromium and chromium-driver",
)

LLAMA, MISTRAL = MODELS
# MLflow's UI settings, kept in the origin's localStorage: no promotion dialog and no side panel
# over the tables; ``legacy`` switches the "New model registry UI" off, which shows stages.
UI_SETTINGS = {
    "_mlflow_model_registry_promo_modal_dismissed_v1": "true",
    "mlflow.assistant.fab.autoOpenedOnFirstLoad_v1": "true",
    "mlflow.assistant.panelOpen_v1": "false",
}
LEGACY_UI = "_mlflow_user_setting_dismiss_next_model_registry_ui"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """The server over a fresh llmgit repository filled through the plugin; (server, repo)."""
    base = tmp_path_factory.mktemp("mlflow-ui")
    with isolated(base / "home") as mp:
        repo = init_registry(base / "repo", base / "remote")
        uri = f"llmgit://{repo}"
        build_registry(uri, f"sqlite:///{base / 'tracking.db'}", base / "weights", Ticker(mp).tick)
        with mlflow_server(base / "server", uri, backend_uri=f"sqlite:///{base / 'tracking.db'}") as server:
            yield server, repo


@pytest.fixture(scope="module")
def server(registry: tuple[Server, Path]) -> Server:
    return registry[0]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(
        CHROMIUM, tmp_path_factory.mktemp("chromium-profile"), "--hide-scrollbars", "--window-size=1440,1000"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # selenium-manager must never download a driver
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser: Any, server: Server, fragment: str, *, legacy: bool = False) -> None:
    """Load ``#/fragment`` afresh (a full page load) with MLflow's UI settings in place."""
    browser.get(f"{server.url}/health")  # same origin, so the settings below apply to the app
    browser.execute_script(
        "for (const [k, v] of Object.entries(arguments[0])) localStorage.setItem(k, v);",
        {**UI_SETTINGS, LEGACY_UI: "true" if legacy else "false"},
    )
    browser.get(f"{server.url}/#/{fragment}")


def wait_for(browser: Any, script: str, *args: Any) -> Any:
    """Run ``script`` until it returns something truthy; that value (bounded by RENDER_TIMEOUT)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, RENDER_TIMEOUT, poll_frequency=0.25).until(
        lambda d: d.execute_script(script, *args), message=f"page did not render: {script[:80]}"
    )


# rows of one of MLflow's grid tables as {header: cell text, statuses: badge titles}, once it has
# `arguments[1]` rows that link to a model (rows drawn while loading have no links)
TABLE_ROWS = """
const table = document.querySelector(`[data-testid="${arguments[0]}"]`);
if (!table) return null;
const heads = Array.from(table.querySelectorAll('[role=columnheader]')).map(h => h.innerText.trim());
const rows = Array.from(table.querySelectorAll('[role=row]')).filter(r => r.querySelector('a[href^="#/models/"]'));
if (rows.length < arguments[1]) return null;
return rows.map(r => ({
  ...Object.fromEntries(Array.from(r.querySelectorAll('[role=cell]')).map((c, i) => [heads[i] || i, c.innerText.trim()])),
  statuses: Array.from(r.querySelectorAll('[role=status]')).map(s => s.title),
}));
"""

# the "Label: content" items and the tags table of a version page, once `arguments[0]` shows
VERSION_PAGE = """
const items = Array.from(document.querySelectorAll('[data-testid=descriptions-item]'));
if (!items.some(i => i.innerText.includes(arguments[0]))) return null;
const tags = Array.from(document.querySelectorAll('[data-testid=editable-table] tr[data-row-key]'));
if (!tags.length) return null;
return {
  items: Object.fromEntries(items.map(i => [
    i.querySelector('[data-testid=descriptions-item-label]').innerText.trim(),
    i.querySelector('[data-testid=descriptions-item-content]').innerText.trim()])),
  aliases: Array.from(document.querySelectorAll('[data-testid=descriptions-item-content] [role=status]')).map(s => s.title),
  tags: Object.fromEntries(tags.map(t => [t.dataset.rowKey, t.cells[1].innerText.trim()])),
};
"""


def keep(png: bytes, name: str) -> None:
    """Save a screenshot under LLMGIT_SCREENSHOT_DIR, when it is set."""
    where = os.environ.get("LLMGIT_SCREENSHOT_DIR")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / name).write_bytes(png)


def llmgit_versions(server: Server, model: ModelSpec) -> dict[int, str]:
    """MLflow version -> the ``llmgit.version`` tag, as the REST API returns them."""
    found = server.get("/ajax-api/2.0/mlflow/model-versions/search", filter=f"name='{model.name}'")
    tags = {int(v["version"]): {t["key"]: t["value"] for t in v.get("tags", [])} for v in found["model_versions"]}
    return {number: t.get("llmgit.version", "") for number, t in tags.items()}


def test_rest_api_answers_from_the_llmgit_repository(registry: tuple[Server, Path]) -> None:
    server, repo = registry
    found = server.get("/ajax-api/2.0/mlflow/registered-models/search", max_results=100)
    models = {m["name"]: m for m in found["registered_models"]}
    assert sorted(models) == sorted(m.name for m in MODELS)
    for spec in MODELS:
        got = models[spec.name]
        assert {a["alias"]: int(a["version"]) for a in got.get("aliases", [])} == {
            alias: v.number for v in spec.versions for alias in v.aliases
        }
        assert {t["key"]: t["value"] for t in got.get("tags", [])}.items() >= dict(spec.tags).items()
        semvers = llmgit_versions(server, spec)
        assert sorted(semvers) == [v.number for v in spec.versions]
        # every version the server shows is an annotated tag NAME@vX.Y.Z in the repository
        tags = set(git(repo, "tag", "--list", f"{spec.name}@v*").split())
        assert {f"{spec.name}@v{s}" for s in semvers.values()} == tags
        assert all(re.fullmatch(r"\d+\.\d+\.\d+", s) for s in semvers.values())
        stages = server.get("/ajax-api/2.0/mlflow/model-versions/search", filter=f"name='{spec.name}'")
        assert {int(v["version"]): v["current_stage"] for v in stages["model_versions"]} == {
            v.number: v.stage for v in spec.versions
        }


def test_models_page_lists_the_models_latest_versions_and_aliases(browser: Any, server: Server) -> None:
    open_page(browser, server, "models")
    rows = wait_for(browser, TABLE_ROWS, "model-list-table", len(MODELS))
    assert [r["Name"] for r in rows] == sorted(m.name for m in MODELS)
    for row in rows:
        spec = next(m for m in MODELS if m.name == row["Name"])
        assert row["Latest version"] == f"Version {spec.latest}"
        shown, hidden = row["statuses"], re.search(r"\+(\d+)", row["Aliased versions"])
        aliases = {alias: v.number for v in spec.versions for alias in v.aliases}
        assert set(shown) <= set(aliases) and len(shown) + (int(hidden[1]) if hidden else 0) == len(aliases)
        for alias in shown:
            assert f"@ {alias}\n: Version {aliases[alias]}" in row["Aliased versions"].replace("\xa0", " ")
        for key, value in spec.tags.items():
            assert f"{key}: {value}" in row["Tags"]


def test_search_box_filters_by_name(browser: Any, server: Server) -> None:
    """The search box sends ``name ilike '%mistral%'`` to the registry store."""
    open_page(browser, server, "models?searchInput=mistral")
    rows = wait_for(browser, TABLE_ROWS, "model-list-table", 1)
    assert [r["Name"] for r in rows] == [MISTRAL.name]


def test_prompts_page_shows_no_model_as_a_prompt(browser: Any, server: Server) -> None:
    """The Prompts page searches ``tags.`mlflow.prompt.is_prompt` = 'true'``: nothing matches."""
    open_page(browser, server, "prompts")
    text = wait_for(
        browser, "const t = document.body.innerText; return t.includes('Create your first prompt') ? t : null;"
    )
    assert not any(m.name in text for m in MODELS)


def test_model_page_lists_every_version_with_its_aliases(browser: Any, server: Server) -> None:
    open_page(browser, server, f"models/{LLAMA.name}")
    rows = wait_for(browser, TABLE_ROWS, "model-version-table", len(LLAMA.versions))
    assert [r["Version"] for r in rows] == [f"Version {n}" for n in range(LLAMA.latest, 0, -1)]
    aliases = {alias for v in LLAMA.versions for alias in v.aliases}
    for row in rows:  # the badges in a row are its tags' keys and its aliases
        spec = LLAMA.versions[int(row["Version"].split()[1]) - 1]
        assert sorted(a for a in row["statuses"] if a in aliases) == sorted(spec.aliases)


def test_model_page_shows_stages_in_the_classic_view(browser: Any, server: Server) -> None:
    open_page(browser, server, f"models/{LLAMA.name}", legacy=True)
    rows = wait_for(browser, TABLE_ROWS, "model-version-table", len(LLAMA.versions))
    assert "Stage" in rows[0]
    assert {r["Version"]: r["Stage"] for r in rows} == {f"Version {v.number}": v.stage for v in LLAMA.versions}
    keep(browser.get_screenshot_as_png(), "mlflow-model-page.png")


@pytest.mark.parametrize("model", MODELS, ids=[m.name for m in MODELS])
def test_version_page_shows_stage_aliases_and_tags(browser: Any, server: Server, model: ModelSpec) -> None:
    semvers = llmgit_versions(server, model)
    for spec in model.versions:
        open_page(browser, server, f"models/{model.name}/versions/{spec.number}")
        page = wait_for(browser, VERSION_PAGE, "Stage")
        stage = next(v for k, v in page["items"].items() if k.startswith("Stage"))
        assert stage == spec.stage
        assert sorted(page["aliases"]) == sorted(spec.aliases)
        assert page["tags"].items() >= {**spec.tags, "llmgit.version": semvers[spec.number]}.items()


def test_screenshot_of_the_models_page_is_not_blank(browser: Any, server: Server, tmp_path: Path) -> None:
    browser.get("data:text/html,<html><body></body></html>")
    assert stats(browser.get_screenshot_as_png()).colours <= 2  # what a page that failed looks like
    open_page(browser, server, "models")
    wait_for(browser, TABLE_ROWS, "model-list-table", len(MODELS))
    png = browser.get_screenshot_as_png()
    (tmp_path / "models.png").write_bytes(png)
    keep(png, "mlflow-models.png")
    shot = stats(png)
    assert shot.width >= 1000 and shot.height >= 800
    assert shot.colours > 100  # text, links, alias and tag badges
    assert shot.background_share < 0.95


def test_no_request_failed_on_the_server(server: Server) -> None:
    """Every page above was served without a 5xx (the log is uvicorn's access log)."""
    failed = [line for line in server.log_text().splitlines() if re.search(r'" 5\d\d ', line)]
    assert failed == [], "\n".join(failed)
