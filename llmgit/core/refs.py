"""The one place that knows llmgit's ref grammar. Pure: parse, format and validate.

- version tag   ``refs/tags/NAME@vX.Y.Z``   (annotated, immutable)
- stage tag     ``refs/tags/NAME#STAGE``    (annotated, moved by llmgit)
- stage branch  ``refs/heads/<prefix><stage>``, prefix ``stage/`` by default
- promotion branch ``refs/heads/llmgit/promote/NAME-vX.Y.Z-to-STAGE`` (for a pull request)
- the ledger    ``refs/heads/llmgit/lifecycle``
- MLflow's notes ``refs/heads/llmgit/mlflow`` (descriptions, tags, aliases, version numbers)
- remote mirrors ``refs/remotes/<remote>/<branch>`` and ``refs/llmgit/remote-tags/<tag>``

References users type: ``NAME``, ``NAME@latest``, ``NAME@vX.Y.Z``, ``NAME@X.Y.Z``,
``NAME@X`` / ``NAME@X.Y`` (highest match) and ``NAME#STAGE``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum

from llmgit.core import versions
from llmgit.core.versions import shown
from llmgit.errors import InvalidName, InvalidVersion, UnknownReference

MAX_NAME = 63
_NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
_STAGE_RE = re.compile(r"[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?")
_PARTIAL_RE = re.compile(r"v?(\d+)(?:\.(\d+))?")
TAGS = "refs/tags/"
HEADS = "refs/heads/"
REMOTES = "refs/remotes/"
MIRROR = "refs/llmgit/remote-tags/"  # the remote's tags, fetched aside (version tags never move)
PROMOTION_PREFIX = "llmgit/promote/"
LEDGER_BRANCH = "llmgit/lifecycle"
MLFLOW_BRANCH = "llmgit/mlflow"
STAGE_TAGS = f"{TAGS}*#*"  # a for-each-ref pattern matching stage tags only
ARCHIVED = "archived"  # the terminal stage every registry has (not listed in llmgit.yaml)
MODEL_CARD = "model_card.yaml"
MODELS_DIR = "models"


def validate_model_name(name: str) -> str:
    """Return ``name`` if it is a valid model name, else raise :class:`InvalidName`."""
    hint = (
        "model names use lowercase letters, digits, '.', '_' and '-', start and end with a "
        f"letter or digit, and have at most {MAX_NAME} characters"
    )
    if not name:
        raise InvalidName("the model name is empty", hint=hint)
    if len(name) > MAX_NAME:
        raise InvalidName(f"model name '{shown(name)}' is longer than {MAX_NAME} characters", hint=hint)
    if ".." in name or not _NAME_RE.fullmatch(name):
        raise InvalidName(f"invalid model name '{shown(name)}'", hint=hint)
    return name


def validate_stage_name(stage: str) -> str:
    if not _STAGE_RE.fullmatch(stage):
        raise InvalidName(
            f"invalid stage name '{shown(stage)}'",
            hint="stage names use lowercase letters, digits and '-', starting with a letter",
        )
    return stage


def validate_branch_prefix(prefix: str) -> str:
    parts = prefix.rstrip("/").split("/")
    if not prefix.endswith("/") or not all(_NAME_RE.fullmatch(p) for p in parts):
        raise InvalidName(
            f"invalid stage branch prefix '{shown(prefix)}'",
            hint="use lowercase path segments ending with '/', for example 'stage/'",
        )
    return prefix


def version_tag(name: str, version: str) -> str:
    """``NAME@vX.Y.Z`` (short tag name, no ``refs/tags/``)."""
    return f"{name}@v{versions.normalize(version)}"


def stage_tag(name: str, stage: str) -> str:
    return f"{name}#{stage}"


def stage_branch(prefix: str, stage: str) -> str:
    return f"{prefix}{stage}"


def stage_branch_ref(prefix: str, stage: str) -> str:
    """``refs/heads/<prefix><stage>``."""
    return HEADS + stage_branch(prefix, stage)


def remote_ref(remote: str, branch: str) -> str:
    """The remote-tracking ref of a branch (short name) on ``remote``."""
    return f"{REMOTES}{remote}/{branch}"


def promotion_branch(name: str, version: str, stage: str) -> str:
    """The branch a pull-request promotion is proposed on (short name)."""
    return f"{PROMOTION_PREFIX}{name}-v{versions.normalize(version)}-to-{stage}"


def tag_ref(tag: str) -> str:
    """``refs/tags/<tag>`` for a short tag name."""
    return TAGS + tag


def short(ref: str) -> str:
    """A ref without ``refs/heads/`` or ``refs/tags/`` (as people write it)."""
    return ref.removeprefix(HEADS).removeprefix(TAGS)


def card_path(name: str) -> str:
    """Repository-relative path of a model's card (POSIX separators)."""
    return f"{MODELS_DIR}/{name}/{MODEL_CARD}"


def version_tag_pattern(name: str | None = None) -> str:
    """A ``for-each-ref`` pattern for the version tags of one model, or of all."""
    return f"{TAGS}{name}@v*" if name else f"{TAGS}*@v*"  # git reads no stage tag's message


@dataclass(frozen=True)
class ParsedTag:
    name: str
    version: str


def parse_version_tag(tag: str) -> ParsedTag | None:
    """``NAME@vX.Y.Z`` (with or without ``refs/tags/``) -> parts, or ``None`` if not one."""
    if tag.startswith(TAGS):
        tag = tag[len(TAGS) :]
    name, sep, ver = tag.partition("@v")
    if not sep or not _NAME_RE.fullmatch(name) or ".." in name or len(name) > MAX_NAME:
        return None
    if not _valid_version(ver):
        return None
    return ParsedTag(name, ver)


@functools.lru_cache(maxsize=1024)  # the versions of many models share a few dozen strings
def _valid_version(text: str) -> bool:
    return versions.is_valid(text)


def parse_stage_tag(tag: str) -> tuple[str, str] | None:
    if tag.startswith(TAGS):
        tag = tag[len(TAGS) :]
    name, sep, stage = tag.partition("#")
    if not sep or not _NAME_RE.fullmatch(name) or not _STAGE_RE.fullmatch(stage):
        return None
    return name, stage


class RefKind(str, Enum):
    latest = "latest"  # NAME or NAME@latest
    exact = "exact"  # NAME@vX.Y.Z / NAME@X.Y.Z
    partial = "partial"  # NAME@X or NAME@X.Y: highest match
    stage = "stage"  # NAME#STAGE


@dataclass(frozen=True)
class Reference:
    """A parsed user reference to a version."""

    name: str
    kind: RefKind
    version: str | None = None  # exact: normalized; partial: "3" or "3.1"
    stage: str | None = None

    def __str__(self) -> str:
        if self.kind is RefKind.exact:
            return f"{self.name}@v{self.version}"
        if self.kind is RefKind.partial:
            return f"{self.name}@{self.version}"
        if self.kind is RefKind.stage:
            return f"{self.name}#{self.stage}"
        return self.name


_REF_HINT = "write NAME, NAME@latest, NAME@vX.Y.Z, NAME@X.Y.Z or NAME#STAGE"


def parse_reference(text: str) -> Reference:
    """Parse what a user typed; raise :class:`InvalidName`, :class:`InvalidVersion` (a version
    too long for a tag name) or :class:`UnknownReference`."""
    text = text.strip()
    if "#" in text:
        name, _, stage = text.partition("#")
        validate_model_name(name)
        if not _STAGE_RE.fullmatch(stage):
            raise UnknownReference(
                f"'{shown(text)}' names no stage", hint="write NAME#STAGE, for example my-model#production"
            )
        return Reference(name, RefKind.stage, stage=stage)
    if "@" not in text:
        return Reference(validate_model_name(text), RefKind.latest)
    name, _, ver = text.partition("@")
    validate_model_name(name)
    if ver == "latest":
        return Reference(name, RefKind.latest)
    problem = versions.bounds_problem(ver)
    if problem:
        raise InvalidVersion(f"'{shown(text)}' is not a valid reference: its version {problem}", hint=_REF_HINT)
    partial = _PARTIAL_RE.fullmatch(ver)
    if partial:
        return Reference(name, RefKind.partial, version=ver.lstrip("v"))
    if not versions.is_valid(ver):
        raise UnknownReference(f"'{shown(text)}' is not a valid reference", hint=_REF_HINT)
    return Reference(name, RefKind.exact, version=versions.normalize(ver))


def partial_matches(partial: str, version: str) -> bool:
    """Whether ``version`` falls under ``3`` or ``3.1``; pre-releases never match a partial."""
    v = versions.parse(version)
    if v.prerelease:
        return False
    parts = [int(p) for p in partial.split(".")]
    return [v.major, v.minor][: len(parts)] == parts
