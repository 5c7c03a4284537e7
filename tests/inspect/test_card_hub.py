"""``card render`` front matter is Hugging Face model-card metadata: ``huggingface_hub`` parses
it (offline) into the same eval results, and ``ModelCardData`` round-trips it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_weights, run_cli
from huggingface_hub import ModelCard, ModelCardData
from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import hubcard
from llmgit.store import cards

M = "qwen2-0.5b-support"


def _header(readme: str) -> dict[str, Any]:
    assert readme.startswith("---\n")
    header, sep, _ = readme[4:].partition("\n---\n")
    assert sep
    data = yaml.safe_load(header)
    assert isinstance(data, dict)
    return data


@pytest.fixture
def rendered(registry_repo: Path) -> tuple[Path, str]:
    repo = registry_repo
    make_weights(repo / "out", seed=1)
    (repo / "out" / "adapter_config.json").write_text('{"r": 16}')
    (repo / "metrics.json").write_text('{"eval": {"accuracy": 0.81, "f1": 0.77, "perplexity": 5.2, "loss": 0.52}}')
    args = ("--metrics", "metrics.json", "--dataset", "tatsu-lab/alpaca", "--base-model", "Qwen/Qwen2-0.5B")
    first = run_cli(repo, "register", M, "-w", "out", *args, "-m", "LoRA r=16 on Alpaca")
    assert first.code == 0, first.err
    card_file = repo / "models" / M / "model_card.yaml"
    card = yaml.safe_load(card_file.read_text())
    card.update(license="other", license_name="qwen-research", license_link="LICENSE", tags=["chat"])
    card_file.write_text(yaml.safe_dump(card, sort_keys=False))
    make_weights(repo / "out", seed=2)
    second = run_cli(repo, "register", M, "-w", "out", *args, "-m", "retrain")
    assert second.code == 0, second.err
    out = run_cli(repo, "card", "render", f"{M}@v1.0.1")
    assert out.code == 0, out.err
    return repo, out.out


def test_front_matter_has_the_hub_fields(rendered: tuple[Path, str]) -> None:
    meta = _header(rendered[1])
    assert meta["license"] == "other" and meta["license_name"] == "qwen-research" and meta["license_link"] == "LICENSE"
    assert meta["base_model"] == "Qwen/Qwen2-0.5B" and meta["base_model_relation"] == "adapter"
    assert meta["datasets"] == ["tatsu-lab/alpaca"]
    assert meta["pipeline_tag"] == "text-generation" and meta["library_name"] == "peft"
    assert meta["metrics"] == ["accuracy", "f1", "perplexity"]  # Hub ids only, never llmgit keys
    assert meta["tags"] == ["llmgit", "chat"]
    (index,) = meta["model-index"]
    assert index["name"] == M
    (result,) = index["results"]
    assert result["task"] == {"type": "text-generation", "name": "Text Generation"}
    assert result["dataset"] == {"name": "tatsu-lab/alpaca", "type": "tatsu-lab/alpaca"}
    assert result["metrics"] == [
        {"type": "accuracy", "value": 0.81, "name": "eval.accuracy"},
        {"type": "f1", "value": 0.77, "name": "eval.f1"},
        {"type": "eval.loss", "value": 0.52, "name": "eval.loss"},  # no Hub id: its own key
        {"type": "perplexity", "value": 5.2, "name": "eval.perplexity"},
    ]


def test_huggingface_hub_parses_and_round_trips_it(rendered: tuple[Path, str]) -> None:
    readme = rendered[1]
    card = ModelCard(readme, ignore_metadata_errors=False)  # parses the YAML header, offline
    data = card.data
    assert data.base_model == "Qwen/Qwen2-0.5B" and data.license_name == "qwen-research"
    results = {(r.metric_type, r.metric_name): r.metric_value for r in data.eval_results or []}
    assert results == {
        ("accuracy", "eval.accuracy"): 0.81,
        ("f1", "eval.f1"): 0.77,
        ("eval.loss", "eval.loss"): 0.52,
        ("perplexity", "eval.perplexity"): 5.2,
    }
    assert {r.task_type for r in data.eval_results or []} == {"text-generation"}
    assert {r.dataset_type for r in data.eval_results or []} == {"tatsu-lab/alpaca"}
    as_dict = data.to_dict()
    assert ModelCardData(**as_dict).to_dict() == as_dict
    ours = _header(readme)
    assert as_dict == {k: v for k, v in ours.items() if k != "model_name"}  # the Hub keeps every field
    again = ModelCard(str(card))  # and its own rendering parses back the same
    assert again.data.to_dict() == as_dict


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"license": "other"}, {}),
        ({"license": "other", "license_name": "acme"}, {}),
        ({"license": "other", "license_name": "acme", "license_link": "LICENSE"}, {"license": "other"}),
        ({"license": "apache-2.0"}, {"license": "apache-2.0"}),
        ({"license": None}, {}),
    ],
    ids=["other-bare", "other-no-link", "other-named", "spdx", "none"],
)
def test_license_other_needs_its_name_and_link(fields: dict[str, Any], expected: dict[str, str]) -> None:
    meta = hubcard.front_matter({"name": "m", "version": "1.0.0", **fields})
    assert {k: v for k, v in meta.items() if k == "license"} == expected
    assert ("license_name" in meta) is bool(expected.get("license") == "other")


def test_a_dvc_dataset_is_not_a_hub_dataset() -> None:
    card = {
        "name": "m",
        "training": {"dataset": "data/train", "dataset_version": "md5:" + "0" * 32},
        "performance": {"acc": 0.5},
    }
    meta = hubcard.front_matter(card)
    assert "datasets" not in meta
    assert meta["model-index"][0]["results"][0]["dataset"]["name"] == "data/train"


def test_no_dataset_or_no_metric_means_no_model_index() -> None:
    assert "model-index" not in hubcard.front_matter({"name": "m", "performance": {"acc": 0.5}})
    assert "model-index" not in hubcard.front_matter({"name": "m", "training": {"dataset": "d"}})


@pytest.mark.parametrize(
    ("key", "hub"),
    [
        ("eval.accuracy", "accuracy"),
        ("acc", "accuracy"),
        ("val.rougeL", "rouge"),
        ("bleu", "bleu"),
        ("ppl", "perplexity"),
        ("eval.loss", None),
        ("f1_macro", None),
    ],
)
def test_hub_metric_ids(key: str, hub: str | None) -> None:
    assert hubcard.hub_metric(key) == hub


_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "version",
                "license",
                "license_name",
                "license_link",
                "base_model",
                "base_model_relation",
                "pipeline_tag",
                "library_name",
                "training",
                "performance",
                "tags",
                "description",
                "carried_over",
                "provenance",
            ]
        ),
        _values,
    )
)
def test_any_card_gives_metadata_the_hub_reads(card: dict[str, Any]) -> None:
    """A card is outside data: whatever its fields hold, the header dumps, and what it holds
    about the Hub's fields has the Hub's types."""
    meta = hubcard.front_matter(card)
    header = yaml.safe_load(cards.render_markdown(card)[4:].partition("\n---\n")[0])
    assert header == meta
    for key in ("license", "license_name", "license_link", "base_model", "pipeline_tag", "library_name"):
        assert key not in meta or isinstance(meta[key], str)
    assert meta.get("base_model_relation") in (None, "finetune", "adapter", "quantized", "merge")
    assert all(isinstance(m, str) for m in meta.get("metrics", []))
    for index in meta.get("model-index", []):
        for result in index["results"]:
            assert all(isinstance(m["value"], (int, float)) for m in result["metrics"])


_env_keys = st.sampled_from(["source", "from", "python", "packages"])
_tree_keys = st.sampled_from(["dirty", "diff_sha256", "changed_files"])


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(_env_keys, _values | st.sampled_from(["llmgit", "lockfile"])),
    st.dictionaries(_tree_keys, _values),
    _values | st.dictionaries(st.just("description"), _values),
)
def test_any_provenance_renders_as_text(env: dict[str, Any], tree: dict[str, Any], carried: Any) -> None:
    card = {"name": "m", "version": "1.0.0", "description": "d", "carried_over": carried}
    card["provenance"] = {"environment": env, "worktree": tree}
    body = cards.render_markdown(card).partition("\n---\n")[2]
    assert "- **environment**: from " in body and "- **working tree**: " in body
