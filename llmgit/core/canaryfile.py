"""The ``canary:`` mapping inside a stage holder's ``stage.yaml`` entry. Pure: parse and build.

While a canary runs, the holder (the stable version) carries which version gets part of the
traffic, how much, how it is served, and who started it and why::

    llama2-7b-alpaca:
      version: 1.2.0          # the holder: the stable version
      ...
      canary:
        version: 1.3.0
        tag: llama2-7b-alpaca@v1.3.0
        commit: 5e0c...       # the candidate's version commit
        weights_md5: 9a1f...
        percent: 20           # 1..99; 0 is an abort, 100 a promotion
        mode: knative         # knative | standard
        since: '2026-11-27T21:13:28+00:00'
        by: Ada Lovelace <ada@example.com>
        reason: LoRA r=16

Whoever can push a stage branch or open a pull request writes this mapping, so
:mod:`llmgit.core.stagefile` checks it with :func:`parse` while it reads the entry: a canary
that breaks a rule makes its entry malformed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from llmgit.core import bounded, refs, versions
from llmgit.core.bounded import KIB, BoundError
from llmgit.core.dirmanifest import is_md5
from llmgit.errors import CanaryRecordError, InvalidVersion, UsageError

KEY = "canary"
MODES = ("knative", "standard")
MAX_SINCE = 64
MAX_BY = 1 * KIB
MAX_REASON = 8 * KIB
_COMMIT = re.compile(r"[0-9a-f]{40}")
_REQUIRED = ("version", "tag", "commit", "percent", "since", "by")
_HINT = "repair the stage branch with a commit, or end the canary with 'llmgit ab abort'"


@dataclass(frozen=True)
class Canary:
    version: str
    tag: str
    commit: str
    weights_md5: str
    percent: int
    mode: str
    since: str
    by: str
    reason: str = ""

    def to_yaml(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "weights_md5": self.weights_md5,
            "percent": self.percent,
            "mode": self.mode,
            "since": self.since,
            "by": self.by,
            "reason": self.reason,
        }


class Holder(Protocol):
    """A stage entry as far as a canary is concerned (:class:`llmgit.core.stagefile.Entry`)."""

    @property
    def extra(self) -> Mapping[str, Any]: ...

    def with_extra(self: H, extra: Mapping[str, Any]) -> H: ...


H = TypeVar("H", bound=Holder)


def check_percent(percent: object) -> int:
    """A canary's share of the traffic: a whole number from 1 to 99."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 99:
        raise UsageError(
            f"a canary's traffic percent must be a whole number from 1 to 99, not {show(percent)}",
            hint="0 is an abort (llmgit ab abort) and 100 a promotion (llmgit ab promote)",
        )
    return percent


def show(value: object, limit: int = 40) -> str:
    """A value as a message shows it: its repr, cut short (the CLI escapes control characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def text(value: object, what: str, limit: int, *, lines: bool = False) -> str:
    """A text field of a stage record: a string (a date YAML read as one is written back in
    ISO 8601), at most ``limit`` characters, no control characters (``lines``: newlines and
    tabs allowed). :class:`BoundError` names ``what``."""
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    if not isinstance(value, str):
        raise BoundError(f"{what} is not text ({show(value)})")
    return bounded.bounded_text(value, limit, what, lines=lines)


def version_of(data: Mapping[str, Any]) -> str:
    """The SemVer ``version`` of a record, normalized."""
    raw = data.get("version")
    normalized = _normalized(raw) if isinstance(raw, str) else None
    if normalized is None:
        raise BoundError(f"version {show(raw)} is not a semantic version")
    return normalized


@lru_cache(maxsize=4096)
def _normalized(raw: str) -> str | None:
    """A version normalized, or None (cached: a big stage file names the same few versions
    thousands of times)."""
    try:
        return versions.normalize(raw)
    except InvalidVersion:
        return None


def tag_of(data: Mapping[str, Any], model: str | None, version: str) -> str:
    """The record's ``tag``: the version tag of ``version`` (of ``model``, when given)."""
    tag = data.get("tag")
    if model is not None and tag == f"{model}@v{version}":  # as llmgit writes it: no parsing needed
        return str(tag)
    parsed = refs.parse_version_tag(tag) if isinstance(tag, str) and not tag.startswith(refs.TAGS) else None
    if parsed is None or (model is not None and parsed.name != model) or _normalized(parsed.version) != version:
        expected = refs.version_tag(model, version) if model is not None else f"NAME@v{version}"
        raise BoundError(f"tag {show(tag)} is not {expected}")
    return str(tag)


def commit_and_md5(data: Mapping[str, Any]) -> tuple[str, str]:
    """The full commit id and the weights md5 ('' for a version without weights)."""
    commit = data.get("commit")
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        raise BoundError(f"commit {show(commit)} is not a full commit id")
    md5 = data.get("weights_md5") or ""
    if md5 != "" and not is_md5(md5):
        raise BoundError(f"weights_md5 {show(md5)} is not 32 hexadecimal digits")
    return commit, str(md5)


def parse(data: object, model: str | None = None) -> Canary:
    """A checked canary mapping (its tag of ``model``, when given); else
    :class:`CanaryRecordError` whose message is the problem alone."""
    try:
        return _parse(data, model)
    except (BoundError, UsageError) as e:
        raise CanaryRecordError(str(e)) from None


def _parse(data: object, model: str | None) -> Canary:
    if not isinstance(data, dict):
        raise BoundError(f"it is not a mapping ({show(data)})")
    missing = [k for k in _REQUIRED if data.get(k) in (None, "")]
    if missing:
        raise BoundError(f"missing '{missing[0]}'")
    version = version_of(data)
    commit, md5 = commit_and_md5(data)
    tag = tag_of(data, model, version)
    percent = check_percent(data["percent"])
    mode = data.get("mode") or MODES[0]
    if mode not in MODES:
        raise BoundError(f"unknown serving mode {show(mode)}")
    return Canary(
        version,
        tag,
        commit,
        md5,
        percent,
        str(mode),
        text(data["since"], "since", MAX_SINCE),
        text(data["by"], "by", MAX_BY),
        text(data.get("reason") or "", "reason", MAX_REASON, lines=True),
    )


def of(entry: Holder, where: str) -> Canary | None:
    """The canary a holder's entry records, or None; ``where`` names the entry in errors."""
    data = entry.extra.get(KEY)
    if data is None:
        return None
    try:
        return _parse(data, None)
    except (BoundError, UsageError) as e:
        raise CanaryRecordError(f"{where}.{KEY}: {e}", hint=_HINT) from None


def with_canary(entry: H, canary: Canary | None) -> H:
    """``entry`` recording ``canary`` (None: without one); other extra keys are kept."""
    extra = {k: v for k, v in entry.extra.items() if k != KEY}
    if canary is not None:
        extra[KEY] = canary.to_yaml()
    return entry.with_extra(extra)
