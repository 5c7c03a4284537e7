"""One record of the ledger (``lifecycle.yaml``): the checks every record passes. Pure.

Whoever can push the ledger branch writes the file, so each record is checked on its own: the
fields llmgit writes are text within their caps, whole counts and md5 object ids, and every
version key is a SemVer version. :mod:`llmgit.core.ledgerfile` reads the file these records
make up, and leaves out (or, for a purge, refuses) a record that fails.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from llmgit.core import bounded, canaryfile, versions
from llmgit.core.bounded import KIB, BoundError
from llmgit.core.canaryfile import show
from llmgit.errors import InvalidVersion

_OID = re.compile(r"[0-9a-f]{32}")
# the fields llmgit writes: text (with its length cap), counts, object ids
_TEXT = {"by": canaryfile.MAX_BY, "when": 64, "since": 64, "started": 64, "purged": 64, "rule": KIB}
_LONG_TEXT = {"reason": canaryfile.MAX_REASON, "uri": 4 * KIB, "manifest": 4 * KIB}
_COUNTS = ("objects", "bytes", "shared_kept")


def is_oids(value: object) -> TypeGuard[list[str]]:
    """Whether ``value`` is a list of md5 object ids."""
    return isinstance(value, list) and all(isinstance(o, str) and _OID.fullmatch(o) for o in value)


def record(rec: object, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A checked record with the ``required`` fields: the fields llmgit writes are text within
    their caps (a date YAML read as one becomes ISO 8601 text), whole non-negative counts and
    md5 object ids; other fields only within the file's caps."""
    if not isinstance(rec, dict):
        raise BoundError(f"it is not a mapping ({show(rec)})")
    missing = [k for k in required if not rec.get(k)]
    if missing:
        raise BoundError(f"missing '{missing[0]}'")
    checked: dict[str, Any] = {}
    for key, value in rec.items():
        if not isinstance(key, str) or bounded.has_control(key):
            raise BoundError(f"key {show(key)} is not a plain name")
        if key in _TEXT:
            value = canaryfile.text(value, key, _TEXT[key])
        elif key in _LONG_TEXT:
            value = canaryfile.text(value, key, _LONG_TEXT[key], lines=key == "reason")
        elif key in _COUNTS and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= bounded.MAX_INT
        ):
            raise BoundError(f"{key} is not a whole number of at least 0 ({show(value)})")
        elif key == "oids" and not is_oids(value):
            raise BoundError("oids is not a list of md5 object ids")
        checked[key] = value
    return checked


def version_key(raw: object) -> str:
    """A record's version key, normalized; :class:`BoundError` when it is not a SemVer version."""
    if not isinstance(raw, str):
        raise BoundError(f"version {show(raw)} is not a semantic version")
    try:
        return versions.normalize(raw)
    except InvalidVersion:
        raise BoundError(f"version {show(raw)} is not a semantic version") from None
