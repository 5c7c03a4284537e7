"""Stage history of every model, remembered by the stage branches' tips.

:func:`llmgit.store.history.read` parses ``stage.yaml`` at every commit of every stage branch:
on a registry of a thousand models that is seconds of YAML. The history is a function of the
branches' tips (and the stages configured), so the events are kept as JSON under the git
directory, keyed by those tips, and read back while no branch moved. A history read with a
record left out (a ``warning:``) is not kept, so its warnings show on every read; a cache file
that does not read back as events is ignored.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.store import history
from llmgit.store.branches import stage_tip

FORMAT = 1
MAX_BYTES = 512 * 1024 * 1024  # far above any real history; a bigger file is not read
_FIELDS = ("stage", "model", "action", "version", "when", "by", "committer", "reason", "commit")


def _folder(root: Path) -> Path:
    return git.common_dir(root) / "llmgit" / "cache" / "history"


def _key(root: Path, settings: Settings) -> str:
    tips = [(stage, stage_tip(root, settings, stage)[0]) for stage in settings.all_stages]
    raw = json.dumps([FORMAT, settings.stage_branch_prefix, settings.git_remote, tips])
    return hashlib.sha256(raw.encode()).hexdigest()


def read(root: Path, settings: Settings) -> list[HistoryEvent]:
    """Every stage change of every model, oldest first (as :func:`history.read` answers)."""
    key = _key(root, settings)
    path = _folder(root) / f"{key}.json"
    found = _load(path)
    if found is not None:
        return found
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        events = history.read(root, settings)
    for w in seen:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not seen:
        _store(path, events)
    return events


def _store(path: Path, events: list[HistoryEvent]) -> None:
    try:
        doc = [{**{f: getattr(e, f) for f in _FIELDS}, "previous": e.previous, "extra": e.extra} for e in events]
        data = json.dumps({"format": FORMAT, "events": doc}, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        return  # a value JSON cannot hold (a YAML date): read it from git each time
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.json"):
            if old != path:
                old.unlink(missing_ok=True)
        write_atomic(path, data)
    except OSError:
        pass  # a read-only repository: no cache, same answers


def _load(path: Path) -> list[HistoryEvent] | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        doc: Any = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("events"), list):
        return None
    events = []
    for item in doc["events"]:
        if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in _FIELDS):
            return None
        previous, extra = item.get("previous"), item.get("extra")
        if not (previous is None or isinstance(previous, str)) or not isinstance(extra, dict):
            return None
        stage, model, action, version, when, by, committer, reason, commit = (str(item[f]) for f in _FIELDS)
        events.append(HistoryEvent(stage, model, action, version, previous, when, by, committer, reason, commit, extra))
    return events
