"""A version's model card, built from the working-tree card and this registration. Pure.

Two kinds of fields:

- fields that describe this run (``description``, ``training``, ``performance``,
  ``provenance``, ``weights``, ``base_model_relation``) come from this registration; the one
  that may still come from an earlier card, ``description``, is then listed in
  ``carried_over`` with the version it was written for, so no reader takes it for this run's;
- fields that describe the model (``base_model``, ``license``, ``license_name``,
  ``license_link``, ``pipeline_tag``, ``library_name``, ``resources``, ``limitations``,
  ``tags``) carry over from the working-tree card unless this registration gives them.

The description of a version is, in this order: ``--description``; the working-tree card's
when it was edited since the card was last committed; ``--message``; else the committed
card's, marked as carried over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# the fields every card has and every rendering shows (an absent one as not recorded)
FIELDS = (
    "name",
    "version",
    "date",
    "description",
    "base_model",
    "license",
    "training",
    "performance",
    "resources",
    "limitations",
    "tags",
    "weights",
    "provenance",
)
# the order cards are written: FIELDS, with the optional ones beside their kin (others follow, as they come)
ORDER = (
    "name",
    "version",
    "date",
    "description",
    "carried_over",
    "base_model",
    "base_model_relation",
    "license",
    "license_name",
    "license_link",
    "pipeline_tag",
    "library_name",
    "training",
    "performance",
    "resources",
    "limitations",
    "tags",
    "weights",
    "provenance",
)
TRAINING_FIELDS = ("dataset", "dataset_version", "samples", "epochs", "learning_rate")
WEIGHTS_FIELDS = ("path", "md5", "size", "files")
# fields that describe the model, kept from the working-tree card unless given
CARRIED_FIELDS = (
    "base_model",
    "license",
    "license_name",
    "license_link",
    "pipeline_tag",
    "library_name",
    "resources",
    "limitations",
    "tags",
)
# fields that describe this run: never silently inherited
RUN_FIELDS = ("description", "training", "performance", "provenance")
RELATIONS = ("finetune", "adapter", "quantized", "merge")


@dataclass(frozen=True)
class Run:
    """What this registration knows: the values of the fields that describe the run."""

    name: str
    version: str
    date: str
    weights: Mapping[str, Any]
    provenance: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    description: str | None = None  # --description
    message: str = ""  # --message
    base_model: str | None = None
    base_model_relation: str | None = None  # given, or inferred from the weights
    resources: Mapping[str, Any] = field(default_factory=dict)  # given: these keys replace the card's
    dataset: str | None = None
    dataset_version: str | None = None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _origin(committed: Mapping[str, Any], key: str) -> str | None:
    """The version an earlier card's ``key`` was written for (following its own carry-over)."""
    carried = committed.get("carried_over")
    if isinstance(carried, Mapping) and isinstance(carried.get(key), str):
        return str(carried[key])
    version = committed.get("version")
    return str(version) if isinstance(version, str) else None


def description(
    working: Mapping[str, Any], committed: Mapping[str, Any] | None, run: Run
) -> tuple[str | None, str | None]:
    """(this version's description, the version it is carried over from or None)."""
    if run.description is not None:
        return run.description, None
    mine, before = _text(working.get("description")), _text((committed or {}).get("description"))
    if mine and mine != before:  # written in the working tree for this version
        return str(working["description"]), None
    if run.message.strip():
        return run.message, None
    if mine:
        return str(working["description"]), _origin(committed or working, "description")
    return None, None


def build(working: Mapping[str, Any], committed: Mapping[str, Any] | None, run: Run) -> dict[str, Any]:
    """A version's card: the working-tree card (or the template) plus this run.

    ``committed`` is the card as last committed (None when there is none): a description
    equal to it was not written for this version.
    """
    card = {k: v for k, v in working.items() if k != "carried_over"}
    card["name"] = run.name
    card["version"] = run.version
    card["date"] = run.date
    text, origin = description(working, committed, run)
    card["description"] = text
    if origin is not None:
        card["carried_over"] = {"description": origin}
    if run.base_model is not None:
        card["base_model"] = run.base_model
    card.pop("base_model_relation", None)
    if card.get("base_model") and run.base_model_relation is not None:
        card["base_model_relation"] = run.base_model_relation
    if run.resources:
        resources = working.get("resources")
        card["resources"] = {**(dict(resources) if isinstance(resources, Mapping) else {}), **run.resources}
    training: dict[str, Any] = {k: None for k in TRAINING_FIELDS}
    training["dataset"] = run.dataset
    training["dataset_version"] = run.dataset_version
    training.update(run.params)
    card["training"] = training
    card["performance"] = dict(run.metrics)
    card["weights"] = dict(run.weights)
    card["provenance"] = dict(run.provenance)
    return {k: card[k] for k in ORDER if k in card} | {k: v for k, v in card.items() if k not in ORDER}
