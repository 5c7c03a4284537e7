"""The summary a version tag carries: its message is a subject line, a blank line, then a
YAML document (written in JSON-compatible flow style, so listing parses it with ``json`` at C
speed and falls back to YAML for hand-written tags)."""

from __future__ import annotations

import json
from typing import Any

from llmgit.core import yamlio
from llmgit.core.model import ModelVersion, WeightsInfo

SUMMARY_FORMAT = 1


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
