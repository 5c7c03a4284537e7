"""What the report remembers between runs, by git object ids (an optimisation only).

- :class:`CardBlobs`: each version commit's model card, as blob id and size. A commit never
  changes, so ``COMMIT:models/NAME/model_card.yaml`` always names the same blob; asking git
  for ten thousand of them walks ten thousand trees, and a rebuild asks only for the new ones.
- :class:`Descriptions`: each latest card's description, by its blob id. The index lists them
  all and is written again whenever any model changes; after one ``register`` reading and
  parsing a thousand cards for it would be most of the rebuild.

Both live under ``<git dir>/llmgit/cache/report/``. A file that does not read back whole
(its format, every id hex, every value of its type and within its cap) is ignored and the
values are read from git again; each run keeps only what it used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.store import cards

FORMAT = 1
MAX_BYTES = 64 * 1024 * 1024  # far above what a registry needs; a bigger file is not read
_OID = r"(?:[0-9a-f]{40}|[0-9a-f]{64})"  # SHA-1 or SHA-256 object ids
_BLOB = re.compile(_OID)
_CARD_SPEC = re.compile(_OID + r":models/[^\x00-\x1f]+/model_card\.yaml")
MAX_CARD_BYTES = 2**40
Value = TypeVar("Value")


def folder(root: Path) -> Path:
    return git.common_dir(root) / "llmgit" / "cache" / "report"


class _Remembered(Generic[Value]):
    """key -> value: those read back from the file, and those this run used (saved)."""

    name = ""

    def __init__(self, root: Path) -> None:
        self._path = folder(root) / self.name
        self._known: dict[str, Value] = _load(self._path, self._valid)
        self._used: dict[str, Value] = {}

    @staticmethod
    def _valid(key: object, value: object) -> bool:
        raise NotImplementedError

    def get(self, key: str) -> Value | None:
        return self._used[key] if self.has(key) else None

    def has(self, key: str) -> bool:
        """Whether ``key`` is remembered (its value may be None)."""
        if key in self._known and key not in self._used:
            self._used[key] = self._known[key]
        return key in self._used

    def put(self, key: str, value: Value) -> None:
        if self._valid(key, value):  # what would not read back is not kept
            self._used[key] = value

    def save(self) -> None:
        """Keep what this run used (only that), when it differs from the file."""
        if not self._used or self._used == self._known:
            return
        data = json.dumps({"format": FORMAT, "values": self._used}, separators=(",", ":")).encode()
        if len(data) > MAX_BYTES:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self._path, data)
        except OSError:
            pass  # a read-only repository: no cache, the same pages


class Descriptions(_Remembered[str]):
    """Card blob id -> the card's description as the index shows it."""

    name = "descriptions.json"

    @staticmethod
    def _valid(key: object, value: object) -> bool:
        return (
            isinstance(key, str)
            and _BLOB.fullmatch(key) is not None
            and isinstance(value, str)
            and len(value) <= cards.LIMITS.max_string
        )


class CardBlobs(_Remembered["list[Any] | None"]):
    """``COMMIT:PATH`` of a version's card -> [blob id, size], or None: the commit has none."""

    name = "card-blobs.json"

    @staticmethod
    def _valid(key: object, value: object) -> bool:
        if not (isinstance(key, str) and _CARD_SPEC.fullmatch(key)):
            return False
        return value is None or (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], str)
            and _BLOB.fullmatch(value[0]) is not None
            and type(value[1]) is int
            and 0 <= value[1] <= MAX_CARD_BYTES
        )

    def sizes(self, root: Path, specs: Sequence[str]) -> dict[str, tuple[str, int] | None]:
        """:func:`llmgit.infra.git.blob_sizes` of ``specs``, asking git only for those not remembered."""
        found: dict[str, tuple[str, int] | None] = {}
        unknown = []
        for s in specs:
            if self.has(s):
                value = self.get(s)
                found[s] = (value[0], value[1]) if value is not None else None
            else:
                unknown.append(s)
        for spec, hit in git.blob_sizes(root, unknown).items():
            found[spec] = hit
            self.put(spec, [hit[0], hit[1]] if hit is not None else None)
        return found


def _load(path: Path, valid: Callable[[object, object], bool]) -> dict[str, Any]:
    """The remembered values; empty when the file is missing, too big, or not wholly valid."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return {}
        doc: Any = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("values"), dict):
        return {}
    values: dict[str, Any] = doc["values"]
    if not all(valid(k, v) for k, v in values.items()):
        return {}
    return values
