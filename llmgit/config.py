"""``llmgit.yaml``: registry settings, loaded explicitly into a frozen :class:`Settings`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    # how `promote` records a transition when neither --direct nor --pr is given
    promotion_modes: Mapping[str, str] = field(
        default_factory=lambda: {"staging": "direct", "production": "pr"}
    )
    require_previous_stage: bool = True
    git_remote: str = "origin"
    metric_directions: Mapping[str, str] = field(default_factory=dict)

    def promotion_mode(self, stage: str) -> str:
        return self.promotion_modes.get(stage, "direct")

    def metric_direction(self, metric: str) -> str:
        """'higher' or 'lower' is better: configured, else guessed from the name."""
        if metric in self.metric_directions:
            return self.metric_directions[metric]
        leaf = metric.rsplit(".", 1)[-1].lower()
        lower = ("loss", "perplexity", "ppl", "error", "wer", "cer", "latency", "toxicity", "cost")
        return "lower" if any(word in leaf for word in lower) else "higher"

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
promotion:
  # direct: commit to the stage branch at once; pr: propose a branch for a pull request
  modes: {staging: direct, production: pr}
  # a version must have been in the previous stage first (override with --skip-staging)
  require_previous_stage: true
# the git remote that push, fetch and sync use
git_remote: origin
# which way is better for each metric (names containing loss/error/perplexity default to lower)
metrics: {}
"""

_KNOWN = {"version", "stages", "stage_branch_prefix", "promotion", "git_remote", "metrics"}


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
    modes, require = _promotion(data.get("promotion"), stages, source)
    remote = data.get("git_remote", "origin")
    if not isinstance(remote, str) or not remote or remote.startswith("-") or "/" in remote:
        raise ConfigError(f"{source}: 'git_remote' must be a git remote name, not {remote!r}")
    return Settings(
        stages=tuple(stages),
        stage_branch_prefix=prefix,
        promotion_modes=modes,
        require_previous_stage=require,
        git_remote=remote,
        metric_directions=_directions(data.get("metrics"), source),
    )


def _promotion(raw: object, stages: list[str], source: str) -> tuple[dict[str, str], bool]:
    defaults = {s: m for s, m in Settings().promotion_modes.items() if s in stages}
    if raw is None:
        return defaults, True
    if not isinstance(raw, dict) or set(map(str, raw)) - {"modes", "require_previous_stage"}:
        raise ConfigError(f"{source}: 'promotion' takes 'modes' and 'require_previous_stage'")
    modes = raw.get("modes", defaults)
    if not isinstance(modes, dict):
        raise ConfigError(f"{source}: 'promotion.modes' must map stages to direct or pr")
    for stage, mode in modes.items():
        if stage not in stages:
            raise ConfigError(f"{source}: promotion.modes names unknown stage '{stage}'")
        if mode not in ("direct", "pr"):
            raise ConfigError(f"{source}: promotion mode for '{stage}' must be direct or pr, not {mode!r}")
    require = raw.get("require_previous_stage", True)
    if not isinstance(require, bool):
        raise ConfigError(f"{source}: 'promotion.require_previous_stage' must be true or false")
    return {str(k): str(v) for k, v in modes.items()}, require


def _directions(raw: object, source: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: 'metrics' must map metric names to higher or lower")
    for name, direction in raw.items():
        if direction not in ("higher", "lower"):
            raise ConfigError(f"{source}: metric '{name}' direction must be higher or lower, not {direction!r}")
    return {str(k): str(v) for k, v in raw.items()}


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
