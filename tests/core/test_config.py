from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from llmgit.core import config
from llmgit.errors import ConfigError, NotInitialized
from llmgit.store.store import load_settings


def test_defaults_round_trip() -> None:
    settings = config.parse(yaml.safe_load(config.DEFAULT_TEXT))
    assert settings.stages == ("staging", "production")
    assert settings.all_stages[-1] == "archived"
    assert settings.stage_branch_prefix == "stage/"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"stagez": ["a"]}, "unknown setting 'stagez'"),
        ({"stages": []}, "'stages' must be a non-empty list"),
        ({"stages": ["Prod"]}, "invalid stage name 'Prod'"),
        ({"stages": ["archived"]}, "'archived' is implicit"),
        ({"stages": ["a", "a"]}, "listed twice"),
        ({"stage_branch_prefix": "Stage"}, "invalid stage branch prefix"),
        ({"version": 2}, "version must be 1"),
        (["a"], "top level must be a mapping"),
    ],
    ids=["unknown-key", "empty-stages", "bad-stage", "archived", "duplicate", "prefix", "version", "list"],
)
def test_bad_settings(doc: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.parse(doc)


def test_load_missing_and_broken(tmp_path: Path) -> None:
    with pytest.raises(NotInitialized):
        load_settings(tmp_path)
    (tmp_path / config.CONFIG_FILE).write_text("stages: [a\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(tmp_path)
