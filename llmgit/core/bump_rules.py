"""The rules behind ``register --bump auto`` (``bump_rules`` in ``llmgit.yaml``). Pure.

Each level (major, minor) watches files, keys of JSON config files inside the weights,
params and model-card fields; see ``docs/semver-advice.md``. A key given in ``llmgit.yaml``
replaces that key's default list for its level; keys not given keep their defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmgit.errors import ConfigError

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.*",
    "merges.txt",
    "*.tiktoken",
    "chat_template.jinja",
)
CONFIG_KEYS = (
    "architectures",
    "model_type",
    "vocab_size",
    "max_position_embeddings",
    "n_positions",
    "n_ctx",
    "max_sequence_length",
    "seq_length",
    "rope_scaling",
    "hidden_size",
    "num_hidden_layers",
    "n_layer",
    "num_attention_heads",
)


@dataclass(frozen=True)
class LevelRules:
    """What, when it changes, calls for one level of bump."""

    files: tuple[str, ...] = ()  # globs: a matching file changed, appeared or disappeared
    files_added: tuple[str, ...] = ()  # globs: a matching file appeared
    config: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # JSON file glob -> keys
    params: tuple[str, ...] = ()  # param names whose value changed
    card: tuple[str, ...] = ()  # dotted model-card fields whose value changed

    def hashed_globs(self) -> tuple[str, ...]:
        """Files whose content the rules look at (the rest are compared by name only)."""
        return (*self.files, *self.config)


MAJOR = LevelRules(
    files=TOKENIZER_FILES,
    config={"config.json": CONFIG_KEYS, "adapter_config.json": ("base_model_name_or_path", "task_type")},
    params=(
        "base_model",
        "input_format",
        "output_format",
        "prompt_template",
        "chat_template",
        "context_length",
        "max_seq_length",
    ),
    card=("base_model", "input_format", "output_format"),
)
MINOR = LevelRules(
    files_added=("adapter_model.*", "adapter_config.json"),
    params=("tasks", "task", "adapters"),
    card=("tasks", "adapters"),
)


@dataclass(frozen=True)
class BumpRules:
    major: LevelRules = MAJOR
    minor: LevelRules = MINOR

    def levels(self) -> tuple[tuple[str, LevelRules], ...]:
        return (("major", self.major), ("minor", self.minor))


_RULE_KEYS = ("files", "files_added", "config", "params", "card")


def _strings(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return tuple(raw)


def _level(raw: object, default: LevelRules, where: str) -> LevelRules:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping with keys {', '.join(_RULE_KEYS)}")
    unknown = sorted(set(map(str, raw)) - set(_RULE_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}'", hint=f"known keys: {', '.join(_RULE_KEYS)}")
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "config":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}.config must map JSON file names to lists of keys")
            changes["config"] = {str(k): _strings(v, f"{where}.config.{k}") for k, v in value.items()}
        else:
            changes[str(key)] = _strings(value, f"{where}.{key}")
    return replace(default, **changes)


def parse(raw: object, source: str) -> BumpRules:
    """Validate the ``bump_rules`` setting (None: the defaults)."""
    if raw is None:
        return BumpRules()
    if not isinstance(raw, dict) or set(map(str, raw)) - {"major", "minor"}:
        raise ConfigError(f"{source}: 'bump_rules' takes 'major' and 'minor'", hint="see docs/semver-advice.md")
    return BumpRules(
        _level(raw.get("major"), MAJOR, f"{source}: bump_rules.major"),
        _level(raw.get("minor"), MINOR, f"{source}: bump_rules.minor"),
    )
