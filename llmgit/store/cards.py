"""Model cards: build from the template, validate against the JSON schema, render Markdown."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from llmgit.core import gtocard, yamlio
from llmgit.core.bounded import MIB, BoundError, Limits, load_yaml
from llmgit.core.card import FIELDS as FIELDS  # the card's format: llmgit.core.card
from llmgit.core.card import TRAINING_FIELDS as TRAINING_FIELDS
from llmgit.core.card import WEIGHTS_FIELDS as WEIGHTS_FIELDS
from llmgit.core.hubcard import front_matter as front_matter  # the README's YAML header
from llmgit.core.model import ModelVersion
from llmgit.errors import InputError, SkippedRecord
from llmgit.infra import git, templating

TEMPLATE = "model_card.yaml"
MARKDOWN_TEMPLATE = "model_card.md.j2"
# a card is hand-edited YAML: 32 levels, 64 KiB per string; its byte cap is the reader's
# (``limits.card_bytes``), this one only a ceiling above any sensible setting
LIMITS = Limits(max_bytes=64 * MIB)


def parse(text: str | bytes, source: str, limits: Limits = LIMITS) -> dict[str, Any]:
    """A card's YAML as a mapping, within ``limits`` (no aliases, bounded size, depth and strings)."""
    try:
        data = load_yaml(text, limits, source)
    except BoundError as e:
        raise InputError(str(e)) from None
    if not isinstance(data, dict):
        raise InputError(f"{source} must be a YAML mapping")
    return data


def synthesised(root: Path, v: ModelVersion) -> dict[str, Any]:
    """The card of a version tag llmgit did not write (GTO's): no card was ever committed, so
    it is built from the tag and GTO's ``artifacts.yaml`` at its commit (:mod:`llmgit.core.gtocard`);
    an ``artifacts.yaml`` that cannot be read is skipped with a ``warning:``."""
    where = f"{v.tag}:{gtocard.ARTIFACTS}"
    size = next(iter(git.blob_sizes(root, [f"{v.commit}:{gtocard.ARTIFACTS}"]).values()))
    entry = None
    if size is not None and size[1] > gtocard.LIMITS.max_bytes:
        warnings.warn(SkippedRecord(f"skipped {where}: {size[1]} bytes, above the limit"), stacklevel=3)
    elif size is not None:
        try:
            found = gtocard.parse_artifacts(git.read_blob(root, v.commit, gtocard.ARTIFACTS) or b"", where)
        except BoundError as e:
            warnings.warn(SkippedRecord(f"skipped {where}: {e}"), stacklevel=3)
        else:
            for problem in found.problems:
                warnings.warn(SkippedRecord(f"skipped part of {problem}"), stacklevel=3)
            entry = found.entries.get(v.name)
    return gtocard.card(v, entry)


def dump(card: Mapping[str, Any]) -> str:
    return yamlio.dump(dict(card), sort_keys=False, allow_unicode=True, width=100)


def template(root: Path) -> dict[str, Any]:
    return parse(templating.read(TEMPLATE, root), f"template {TEMPLATE}")


def _schema() -> dict[str, Any]:
    text = resources.files("llmgit").joinpath("schemas/model_card.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def validate(card: Mapping[str, Any]) -> list[str]:
    """Problems with ``card``, one readable line each (empty when valid)."""
    import jsonschema  # noqa: PLC0415 (heavy: only to validate)

    validator = jsonschema.Draft7Validator(_schema())
    problems = []
    for err in sorted(validator.iter_errors(dict(card)), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        problems.append(f"{where}: {err.message}")
    return problems


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def render_markdown(card: Mapping[str, Any], root: Path | None = None) -> str:
    """Hugging Face README Markdown: YAML front matter (safely dumped), then sections.

    The card is outside data: every value reaches the Markdown as inert text or a code span
    (``infra.templating`` in Markdown mode), and a field of the wrong type reads as missing.
    """
    header = yamlio.dump(front_matter(card), sort_keys=False, allow_unicode=True)
    shown = {k: card.get(k) for k in FIELDS} | {k: v for k, v in card.items() if k not in FIELDS}
    weights, provenance = _mapping(card.get("weights")), _mapping(card.get("provenance"))
    body = templating.render(
        MARKDOWN_TEMPLATE,
        {
            "card": shown,
            "training": _mapping(card.get("training")),
            "metrics": _mapping(card.get("performance")),
            "resources": _mapping(card.get("resources")),
            "limitations": _strings(card.get("limitations")),
            "weights": {k: weights.get(k) for k in WEIGHTS_FIELDS} | weights,
            "provenance": {k: _mapping(v) if isinstance(v, Mapping) else v for k, v in provenance.items()},
        },
        root,
        markdown=True,
    )
    return f"---\n{header}---\n\n{body}"
