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
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from llmgit.core import versions
from llmgit.core.stagefile import Entry
from llmgit.errors import CanaryRecordError, InvalidVersion, UsageError

KEY = "canary"
MODES = ("knative", "standard")


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


def check_percent(percent: object) -> int:
    """A canary's share of the traffic: a whole number from 1 to 99."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 99:
        raise UsageError(
            f"a canary's traffic percent must be a whole number from 1 to 99, not {percent!r}",
            hint="0 is an abort (llmgit ab abort) and 100 a promotion (llmgit ab promote)",
        )
    return percent


def of(entry: Entry, where: str) -> Canary | None:
    """The canary a holder's entry records, or None; ``where`` names the entry in errors."""
    data = entry.extra.get(KEY)
    if data is None:
        return None
    hint = "repair the stage branch with a commit, or end the canary with 'llmgit ab abort'"
    if not isinstance(data, dict):
        raise CanaryRecordError(f"{where}.{KEY}: expected a mapping", hint=hint)
    missing = [k for k in ("version", "tag", "commit", "percent", "since", "by") if data.get(k) in (None, "")]
    if missing:
        raise CanaryRecordError(f"{where}.{KEY}: missing '{missing[0]}'", hint=hint)
    try:
        version = versions.normalize(str(data["version"]))
        percent = check_percent(data["percent"])
    except (InvalidVersion, UsageError) as e:
        raise CanaryRecordError(f"{where}.{KEY}: {e.message}", hint=hint) from None
    mode = str(data.get("mode") or MODES[0])
    if mode not in MODES:
        raise CanaryRecordError(f"{where}.{KEY}: unknown serving mode '{mode}'", hint=hint)
    return Canary(
        version,
        str(data["tag"]),
        str(data["commit"]),
        str(data.get("weights_md5") or ""),
        percent,
        mode,
        str(data["since"]),
        str(data["by"]),
        str(data.get("reason") or ""),
    )


def with_canary(entry: Entry, canary: Canary | None) -> Entry:
    """``entry`` recording ``canary`` (None: without one); other extra keys are kept."""
    extra = {k: v for k, v in entry.extra.items() if k != KEY}
    if canary is not None:
        extra[KEY] = canary.to_yaml()
    return replace(entry, extra=extra)
