"""``llmgit.yaml``: registry settings, loaded explicitly into a frozen :class:`Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import yaml

from llmgit import refs
from llmgit.errors import ConfigError, InvalidName, NotInitialized

CONFIG_FILE = "llmgit.yaml"
SCHEMA_VERSION = 1
ARCHIVED = "archived"


@dataclass(frozen=True)
class Settings:
    """Registry settings. Later features add fields here, each validated in :func:`parse`."""

    stages: tuple[str, ...] = ("staging", "production")
    stage_branch_prefix: str = "stage/"

    @property
    def all_stages(self) -> tuple[str, ...]:
        return (*self.stages, ARCHIVED)


DEFAULT_TEXT = """\
# llmgit registry settings (see docs/configuration.md)
version: 1
# Stages in promotion order; 'archived' is implicit and terminal.
stages: [staging, production]
# Each stage is the branch <prefix><stage>.
stage_branch_prefix: stage/
"""

_KNOWN = {"version", "stages", "stage_branch_prefix"}


def parse(data: object, source: str = CONFIG_FILE) -> Settings:
    """Validate a loaded YAML document and build :class:`Settings`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    unknown = sorted(set(map(str, data)) - _KNOWN)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting '{unknown[0]}'",
            hint=f"known settings: {', '.join(sorted(_KNOWN))}",
        )
    version = data.get("version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ConfigError(f"{source}: version must be {SCHEMA_VERSION}, not {version!r}")
    stages_raw = data.get("stages", list(Settings.stages))
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError(f"{source}: 'stages' must be a non-empty list of stage names")
    stages: list[str] = []
    for s in stages_raw:
        if not isinstance(s, str):
            raise ConfigError(f"{source}: stage {s!r} is not a string")
        try:
            refs.validate_stage_name(s)
        except InvalidName as e:
            raise ConfigError(f"{source}: {e.message}", hint=e.hint) from None
        if s == ARCHIVED:
            raise ConfigError(f"{source}: '{ARCHIVED}' is implicit; do not list it in 'stages'")
        if s in stages:
            raise ConfigError(f"{source}: stage '{s}' is listed twice")
        stages.append(s)
    prefix = data.get("stage_branch_prefix", Settings.stage_branch_prefix)
    if not isinstance(prefix, str):
        raise ConfigError(f"{source}: 'stage_branch_prefix' must be a string")
    try:
        refs.validate_branch_prefix(prefix)
    except InvalidName as e:
        raise ConfigError(f"{source}: {e.message}", hint=e.hint) from None
    return Settings(stages=tuple(stages), stage_branch_prefix=prefix)


def load(root: Path) -> Settings:
    """Load ``llmgit.yaml`` from the repository root."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotInitialized(
            "this repository has no llmgit registry yet", hint="run 'llmgit init' first"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{CONFIG_FILE} is not valid YAML: {e}".splitlines()[0]) from None
    return parse(data)
