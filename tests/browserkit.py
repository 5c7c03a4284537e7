"""Headless Chromium options shared by the browser tests (report, docs offline, MLflow UI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COMMON_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_options(binary: str, profile: Path, *extra: str) -> Any:
    """ChromeOptions for ``binary`` with the shared arguments, ``extra`` ones and a profile folder."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (*COMMON_ARGS, *extra, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return options
