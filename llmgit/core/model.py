"""Domain values: a registered version, a model, and the summary a version tag carries.

The summary is the tag message body: a subject line, a blank line, then a YAML document
(written in JSON-compatible flow style, so listing parses it with ``json`` at C speed and
falls back to YAML for hand-written tags).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmgit.core import yamlio

SUMMARY_FORMAT = 1


@dataclass(frozen=True)
class WeightsInfo:
    path: str
    md5: str
    size: int
    files: int
    is_dir: bool


@dataclass(frozen=True)
class ModelVersion:
    """One registered version, as its tag describes it (no checkout needed)."""

    name: str
    version: str
    tag: str
    commit: str
    weights: WeightsInfo | None
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    author: str = ""
    created: str = ""
    message: str = ""

    @property
    def ref(self) -> str:
        return self.tag

    def to_json(self) -> dict[str, Any]:
        w = self.weights
        return {
            "name": self.name,
            "version": self.version,
            "tag": self.tag,
            "commit": self.commit,
            "weights": None
            if w is None
            else {"path": w.path, "md5": w.md5, "size": w.size, "files": w.files, "dir": w.is_dir},
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "author": self.author,
            "created": self.created,
            "message": self.message,
        }


@dataclass(frozen=True)
class ModelSummary:
    name: str
    latest: str
    versions: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "latest": self.latest, "versions": self.versions}


def tag_message(v: ModelVersion) -> str:
    """The annotated tag message for a new version."""
    body = v.to_json()
    del body["commit"], body["tag"]
    body = {"llmgit": SUMMARY_FORMAT, **body}
    subject = f"{v.name} v{v.version}" + (f": {v.message.splitlines()[0]}" if v.message else "")
    return f"{subject}\n\n{json.dumps(body, indent=2, sort_keys=False)}\n"


def parse_summary(contents: str) -> dict[str, Any]:
    """The summary mapping from a tag message; empty when the tag has none."""
    _, _, body = contents.partition("\n\n")
    body = body.strip()
    if not body:
        return {}
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        try:
            data = yamlio.load(body)
        except yamlio.YAMLError:
            return {}
    return data if isinstance(data, dict) else {}


def version_from_tag(
    name: str, version: str, tag: str, commit: str, contents: str, tag_date: str, tagger: str = ""
) -> ModelVersion:
    """Build a :class:`ModelVersion` from a tag; tolerant of tags llmgit did not write."""
    s = parse_summary(contents)
    w = s.get("weights")
    weights = None
    if isinstance(w, dict) and w.get("md5"):
        weights = WeightsInfo(
            path=str(w.get("path", "")),
            md5=str(w["md5"]),
            size=int(w.get("size") or 0),
            files=int(w.get("files") or 0),
            is_dir=bool(w.get("dir", False)),
        )
    metrics = s.get("metrics") if isinstance(s.get("metrics"), dict) else {}
    params = s.get("params") if isinstance(s.get("params"), dict) else {}
    subject = contents.split("\n", 1)[0]
    return ModelVersion(
        name=name,
        version=version,
        tag=tag,
        commit=commit,
        weights=weights,
        metrics=metrics or {},
        params=params or {},
        author=str(s.get("author") or tagger),  # tags written by other tools: the tagger
        created=str(s.get("created") or tag_date),
        message=str(s.get("message") if "message" in s else subject),
    )
