"""``llmgit.yaml``: registry settings, loaded explicitly into a frozen :class:`Settings`.

The sections with rules of their own are read by their own modules: ``deploy:`` by
:mod:`llmgit.core.deploy_settings`, ``bump_rules:`` by :mod:`llmgit.core.bump_rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from llmgit.core import refs, yamlio
from llmgit.core.bump_rules import BumpRules
from llmgit.core.bump_rules import parse as parse_bump_rules
from llmgit.core.deploy_settings import Deploy
from llmgit.core.deploy_settings import parse as parse_deploy
from llmgit.core.inputs import LIMIT_MAX_BYTES, MAX_ENTRIES, InputLimits
from llmgit.core.refs import ARCHIVED
from llmgit.errors import ConfigError, InvalidName

CONFIG_FILE = "llmgit.yaml"
SCHEMA_VERSION = 1


DEFAULT_PRICES = {  # $ per GB-month (GB = 2**30 bytes, as AWS bills)
    "STANDARD": 0.023,
    "STANDARD_IA": 0.0125,
    "ONEZONE_IA": 0.01,
    "INTELLIGENT_TIERING": 0.023,
    "GLACIER_IR": 0.004,
    "GLACIER": 0.004,
    "DEEP_ARCHIVE": 0.00099,
}


@dataclass(frozen=True)
class Lifecycle:
    """Retention rules (docs/storage.md); days are whole days."""

    stale_staging_days: int = 30  # entered staging this long ago, never reached production
    rollback_window_days: int = 90  # weights stay in STANDARD this long after leaving production
    archive_class: str = "GLACIER"
    purge_after_days: int = 365  # archived this long ago: weights deleted from the remote


@dataclass(frozen=True)
class Settings:
    """Registry settings. Later features add fields here, each validated in :func:`parse`."""

    stages: tuple[str, ...] = ("staging", "production")
    stage_branch_prefix: str = "stage/"
    # how `promote` records a transition when neither --direct nor --pr is given
    promotion_modes: Mapping[str, str] = field(default_factory=lambda: {"staging": "direct", "production": "pr"})
    require_previous_stage: bool = True
    git_remote: str = "origin"
    metric_directions: Mapping[str, str] = field(default_factory=dict)
    deploy: Deploy = field(default_factory=lambda: Deploy())
    bump_rules: BumpRules = field(default_factory=BumpRules)
    lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle())
    prices: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    limits: InputLimits = field(default_factory=InputLimits)  # caps on metrics, params and card files
    gto_compatible: bool = False  # register warns about names GTO cannot see (a dot)

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
# bump_rules: rules for `register --bump auto` (defaults: docs/semver-advice.md)
# retention rules for weights on the storage remote (llmgit lifecycle plan / apply)
lifecycle:
  stale_staging_days: 30      # entered staging, never reached production: archived
  rollback_window_days: 90    # after leaving production, weights stay in STANDARD this long
  archive_class: GLACIER      # then they move to this class
  purge_after_days: 365       # archived this long: weights deleted (tag, card, history stay)
# $ per GB-month for `llmgit cost` (defaults: STANDARD 0.023, GLACIER 0.004, ...)
prices: {}
# canary deployments (llmgit ab / deploy; see docs/ab-testing.md)
deploy:
  namespace: default
  storage_uri: s3://models/{name}/v{version}   # where KServe reads a version's weights
  serving_mode: knative       # or standard (KServe 0.20 spec.canary list)
  min_detectable_effect: 0.02 # ab status: promote unless the canary is this much worse
"""

_KNOWN = {
    "version",
    "stages",
    "stage_branch_prefix",
    "promotion",
    "git_remote",
    "metrics",
    "lifecycle",
    "prices",
    "bump_rules",
    "deploy",
    "limits",
    "gto_compatible",
}


def parse_text(text: str) -> Settings:
    """Parse the text of ``llmgit.yaml``."""
    try:
        data = yamlio.load(text)
    except yamlio.YAMLError as e:
        raise ConfigError(f"{CONFIG_FILE} is not valid YAML: {e}".splitlines()[0]) from None
    return parse(data)


def parse(data: object, source: str = CONFIG_FILE) -> Settings:
    """Validate a loaded YAML document and build :class:`Settings`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    unknown = sorted(set(map(str, data)) - _KNOWN)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting '{unknown[0]}'", hint=f"known settings: {', '.join(sorted(_KNOWN))}"
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
    gto = data.get("gto_compatible", False)
    if not isinstance(gto, bool):
        raise ConfigError(f"{source}: 'gto_compatible' must be true or false")
    if not isinstance(remote, str) or not remote or remote.startswith("-") or "/" in remote:
        raise ConfigError(f"{source}: 'git_remote' must be a git remote name, not {remote!r}")
    return Settings(
        stages=tuple(stages),
        stage_branch_prefix=prefix,
        promotion_modes=modes,
        require_previous_stage=require,
        git_remote=remote,
        metric_directions=_directions(data.get("metrics"), source),
        deploy=parse_deploy(data.get("deploy"), source),
        bump_rules=parse_bump_rules(data.get("bump_rules"), source),
        lifecycle=_lifecycle(data.get("lifecycle"), source),
        prices=_prices(data.get("prices"), source),
        limits=_limits(data.get("limits"), source),
        gto_compatible=gto,
    )


def _limits(raw: object, source: str) -> InputLimits:
    """``limits:``: byte caps from 1 to 64 MiB, entry caps from 1 to 10,000 (what a version
    tag's summary holds)."""
    if raw is None:
        return InputLimits()
    known = sorted(InputLimits.__dataclass_fields__)
    if not isinstance(raw, dict) or set(map(str, raw)) - set(known):
        bad = sorted(set(map(str, raw)) - set(known))[0] if isinstance(raw, dict) else None
        what = f"unknown limits setting '{bad}'" if bad else "'limits' must be a mapping"
        raise ConfigError(f"{source}: {what}", hint=f"known: {', '.join(known)}")
    for key, value in raw.items():
        top = LIMIT_MAX_BYTES if key.endswith("_bytes") else MAX_ENTRIES
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise ConfigError(f"{source}: limits.{key} must be a whole number from 1 to {top}, not {repr(value)[:40]}")
    return InputLimits(**{str(k): v for k, v in raw.items()})


def _lifecycle(raw: object, source: str) -> Lifecycle:
    if raw is None:
        return Lifecycle()
    defaults = Lifecycle()
    known = set(defaults.__dataclass_fields__)
    if not isinstance(raw, dict) or set(map(str, raw)) - known:
        bad = sorted(set(map(str, raw)) - known)[0] if isinstance(raw, dict) else None
        raise ConfigError(
            f"{source}: unknown lifecycle setting '{bad}'" if bad else f"{source}: 'lifecycle' must be a mapping",
            hint=f"known: {', '.join(sorted(known))}",
        )
    values: dict[str, object] = {}
    for key in known:
        value = raw.get(key, getattr(defaults, key))
        if key == "archive_class":
            if value not in DEFAULT_PRICES or value == "STANDARD":
                raise ConfigError(
                    f"{source}: lifecycle.archive_class {value!r} is not an S3 archive class",
                    hint="use GLACIER, DEEP_ARCHIVE, GLACIER_IR, STANDARD_IA ...",
                )
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{source}: lifecycle.{key} must be a whole number of days, not {value!r}")
        values[key] = value
    return Lifecycle(**values)  # type: ignore[arg-type]


def _prices(raw: object, source: str) -> dict[str, float]:
    prices = dict(DEFAULT_PRICES)
    if raw is None:
        return prices
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: 'prices' must map storage classes to $ per GB-month")
    for cls, value in raw.items():
        if cls not in DEFAULT_PRICES:
            raise ConfigError(
                f"{source}: unknown storage class '{cls}' in prices", hint=f"classes: {', '.join(DEFAULT_PRICES)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{source}: price of {cls} must be a non-negative number, not {value!r}")
        prices[str(cls)] = float(value)
    return prices


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
