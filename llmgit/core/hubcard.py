"""Hugging Face model-card metadata (the README's YAML header) from an llmgit card. Pure.

The card is outside data: a field of the wrong type is left out, never guessed. What the Hub
reads: ``license`` (with ``license_name`` and ``license_link`` when it is ``other``),
``base_model`` with ``base_model_relation``, ``datasets``, ``pipeline_tag``,
``library_name``, ``tags``, ``metrics`` (Hub metric ids only) and ``model-index`` (one
result: the task, the dataset and every metric, typed by its Hub id where one exists).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmgit.core import bounded
from llmgit.core.card import RELATIONS

# llmgit metric leaf names (lower case, after the last dot) -> the Hub's metric id
HUB_METRICS = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "f1": "f1",
    "f1_score": "f1",
    "precision": "precision",
    "recall": "recall",
    "perplexity": "perplexity",
    "ppl": "perplexity",
    "bleu": "bleu",
    "sacrebleu": "sacrebleu",
    "rouge": "rouge",
    "rouge1": "rouge",
    "rouge2": "rouge",
    "rougel": "rouge",
    "rougelsum": "rouge",
    "rouge_l": "rouge",
    "exact_match": "exact_match",
    "em": "exact_match",
    "wer": "wer",
    "cer": "cer",
    "meteor": "meteor",
    "chrf": "chrf",
    "bertscore": "bertscore",
    "mae": "mae",
    "mse": "mse",
    "matthews_correlation": "matthews_correlation",
    "mcc": "matthews_correlation",
    "roc_auc": "roc_auc",
    "auc": "roc_auc",
    "pass@1": "code_eval",
    "pass_at_1": "code_eval",
}
TASK_NAMES = {
    "text-generation": "Text Generation",
    "text2text-generation": "Text2Text Generation",
    "text-classification": "Text Classification",
    "question-answering": "Question Answering",
    "summarization": "Summarization",
    "translation": "Translation",
    "feature-extraction": "Feature Extraction",
    "sentence-similarity": "Sentence Similarity",
}
DEFAULT_TASK = "text-generation"
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # pipeline tags and library names: the Hub's slugs


def hub_metric(key: str) -> str | None:
    """The Hub's id for an llmgit metric key (``eval.accuracy`` -> ``accuracy``), or None."""
    return HUB_METRICS.get(key.rsplit(".", 1)[-1].lower())


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def _str(card: Mapping[str, Any], key: str) -> str | None:
    value = card.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _slug(card: Mapping[str, Any], key: str) -> str | None:
    value = _str(card, key)
    return value if value is not None and _TAG_RE.match(value) else None


def _license(card: Mapping[str, Any]) -> dict[str, str]:
    """``license: other`` says nothing without its name and link: left out then."""
    name = _str(card, "license")
    if name is None:
        return {}
    if name != "other":
        return {"license": name}
    license_name, link = _str(card, "license_name"), _str(card, "license_link")
    if license_name is None or link is None:
        return {}
    return {"license": name, "license_name": license_name, "license_link": link}


def _dataset(card: Mapping[str, Any]) -> str | None:
    value = _mapping(card.get("training")).get("dataset")
    return value.strip() or None if isinstance(value, str) else None


def _metrics(card: Mapping[str, Any]) -> dict[str, float | int]:
    """The card's metrics that are finite numbers."""
    return {k: v for k, v in _mapping(card.get("performance")).items() if bounded.is_number(v)}


def hub_dataset(card: Mapping[str, Any]) -> str | None:
    """The training dataset as a Hub id: not a DVC-tracked path of the repository (its
    ``dataset_version`` is ``md5:...``)."""
    dataset = _dataset(card)
    version = _mapping(card.get("training")).get("dataset_version")
    if dataset is None or (isinstance(version, str) and version.startswith("md5:")):
        return None
    return dataset


def model_index(card: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """One result: the card's metrics on its dataset (None without a dataset or a metric)."""
    name, dataset = _str(card, "name"), _dataset(card)
    perf = _metrics(card)
    if name is None or dataset is None or not perf:
        return None
    task = _slug(card, "pipeline_tag") or DEFAULT_TASK
    metrics = [{"type": hub_metric(k) or k, "value": v, "name": k} for k, v in sorted(perf.items())]
    result = {
        "task": {"type": task, "name": TASK_NAMES.get(task, task)},
        "dataset": {"name": dataset, "type": dataset},
        "metrics": metrics,
    }
    return [{"name": name, "results": [result]}]


def front_matter(card: Mapping[str, Any]) -> dict[str, Any]:
    """Hugging Face model-card metadata; fields of the wrong type are left out."""
    meta: dict[str, Any] = dict(_license(card))
    base = _str(card, "base_model")
    if base is not None:
        meta["base_model"] = base
        relation = _str(card, "base_model_relation")
        if relation in RELATIONS:
            meta["base_model_relation"] = relation
    dataset = hub_dataset(card)
    if dataset is not None:
        meta["datasets"] = [dataset]
    for key in ("pipeline_tag", "library_name"):
        value = _slug(card, key)
        if value is not None:
            meta[key] = value
    if "library_name" not in meta and meta.get("base_model_relation") == "adapter":
        meta["library_name"] = "peft"
    ids = sorted({m for k in _metrics(card) if (m := hub_metric(k)) is not None})
    if ids:
        meta["metrics"] = ids
    meta["tags"] = ["llmgit", *[t for t in _strings(card.get("tags")) if t != "llmgit"]]
    meta["model_name"] = _str(card, "name")
    meta["model_version"] = _str(card, "version")
    index = model_index(card)
    if index is not None:
        meta["model-index"] = index
    return meta
