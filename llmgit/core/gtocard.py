"""A model card for a version whose tag llmgit did not write (GTO's ``NAME@vX.Y.Z``, or a
hand-made annotated tag): what GTO knew, and no more. Pure: the store reads the blobs.

GTO keeps no card. What it knows of a version is its tag (name, version, commit, tagger, date,
message) and, in the tagged commit, ``artifacts.yaml``: per artifact a ``type``, a ``path``,
``labels`` and a ``description``. The card built here holds those, says in ``provenance``
that it was synthesised from the tag (``imported_from``), and leaves out what nobody recorded:
no training inputs, no metrics, and no ``weights`` (GTO never hashed the bytes, so ``card
validate`` says the weights are missing rather than llmgit inventing them).

``artifacts.yaml`` is outside data: it is parsed within caps, and an entry of the wrong shape
is left out (with the reason) rather than failing the card.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmgit.core.bounded import KIB, BoundError, Limits, bounded_text, load_yaml
from llmgit.core.model import ModelVersion

ARTIFACTS = "artifacts.yaml"  # GTO's index, at the root of the tagged commit
LIMITS = Limits(max_bytes=256 * KIB, max_depth=8, max_values=20_000, max_string=8 * KIB)
MAX_DESCRIPTION = 8 * KIB
MAX_LABEL = 100
MAX_LABELS = 50
MAX_FIELD = 1 * KIB
GTO_MESSAGE = re.compile(r"Registering artifact \S+ version v\S+")  # what ``gto register`` writes


@dataclass(frozen=True)
class GtoArtifact:
    """One entry of ``artifacts.yaml``."""

    type: str | None = None
    path: str | None = None
    description: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Artifacts:
    """``artifacts.yaml`` as read: the usable entries, and why the others were left out."""

    entries: Mapping[str, GtoArtifact]
    problems: tuple[str, ...] = ()


def _optional(value: object, what: str) -> str | None:
    return None if value is None else bounded_text(value, MAX_FIELD, what)


def _entry(name: str, raw: object) -> GtoArtifact:
    if raw is None:
        return GtoArtifact()
    if not isinstance(raw, dict):
        raise BoundError(f"'{name}' is not a mapping")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or len(labels) > MAX_LABELS:
        raise BoundError(f"'{name}': labels must be a list of at most {MAX_LABELS} strings")
    return GtoArtifact(
        type=_optional(raw.get("type"), f"'{name}': type"),
        path=_optional(raw.get("path"), f"'{name}': path"),
        description=bounded_text(raw.get("description") or "", MAX_DESCRIPTION, f"'{name}': description", lines=True),
        labels=tuple(bounded_text(x, MAX_LABEL, f"'{name}': a label") for x in labels),
    )


def parse_artifacts(text: str | bytes, source: str = ARTIFACTS) -> Artifacts:
    """The entries of ``artifacts.yaml``; :class:`BoundError` when the file as a whole breaks a
    cap or is not a mapping, a bad entry is left out with its reason."""
    data = load_yaml(text, LIMITS, source)
    if data is None:
        return Artifacts({})
    if not isinstance(data, dict):
        raise BoundError(f"{source} must be a YAML mapping of artifact names")
    entries: dict[str, GtoArtifact] = {}
    problems: list[str] = []
    for name, raw in data.items():
        if not isinstance(name, str):
            problems.append(f"{source}: an artifact name that is not text was left out")
            continue
        try:
            entries[name] = _entry(name, raw)
        except BoundError as e:
            problems.append(f"{source}: {e}; the entry was left out")
    return Artifacts(entries, tuple(problems))


def is_gto_registration(message: str) -> bool:
    """Whether a tag message is the one ``gto register`` writes by default."""
    return GTO_MESSAGE.fullmatch(message.strip()) is not None


def card(v: ModelVersion, artifact: GtoArtifact | None) -> dict[str, Any]:
    """The card of ``v``, a version without one, from its tag and its ``artifacts.yaml`` entry."""
    tool = "gto" if artifact is not None or is_gto_registration(v.message) else "git tag"
    description = (artifact.description if artifact else "") or (
        "" if tool == "gto" and is_gto_registration(v.message) else v.message
    )
    origin: dict[str, Any] = {
        "tool": tool,
        "tag": v.tag,
        "message": v.message,
        "note": "no model card was committed with this version; this one is synthesised from its tag"
        + (f" and {ARTIFACTS}" if artifact is not None else ""),
    }
    if artifact is not None:
        origin |= {k: val for k, val in (("type", artifact.type), ("path", artifact.path)) if val is not None}
    return {
        "name": v.name,
        "version": v.version,
        "date": v.created,
        "description": description,
        "training": {},
        "performance": {},
        "tags": list(artifact.labels) if artifact else [],
        "provenance": {"author": v.author, "created": v.created, "git_commit": v.commit, "imported_from": origin},
    }
