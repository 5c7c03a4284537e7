from __future__ import annotations

from pathlib import Path

import pytest

from llmgit.core import inputs
from llmgit.errors import InputError
from llmgit.register.inputs import collect_metrics, collect_params


@pytest.mark.parametrize(
    ("text", "value"), [("3e-4", 0.0003), ("8", 8), ("0.5", 0.5), ("true", True), ("adamw", "adamw"), ("nan", "nan")]
)
def test_parse_scalar(text: str, value: object) -> None:
    assert inputs.parse_scalar(text) == value
    assert type(inputs.parse_scalar(text)) is type(value)


def test_metrics_nested_json_and_yaml(tmp_path: Path) -> None:
    j = tmp_path / "m.json"
    j.write_text('{"step": 10, "eval": {"accuracy": 0.9, "loss": 0.3}}')
    assert collect_metrics(j, ["eval.accuracy=0.95"]) == {"step": 10, "eval.accuracy": 0.95, "eval.loss": 0.3}
    y = tmp_path / "m.yaml"
    y.write_text("rouge:\n  l: 0.41\nbleu: 22\n")
    assert collect_metrics(y, []) == {"rouge.l": 0.41, "bleu": 22}


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("{not json", ".json", "is malformed"),
        ("[1, 2]", ".json", "must hold a mapping"),
        ('{"acc": "high"}', ".json", "not a finite number"),
        ("a: [1\n", ".yaml", "is malformed"),
    ],
    ids=["syntax", "list", "string-metric", "yaml-syntax"],
)
def test_bad_metrics_files(tmp_path: Path, content: str, suffix: str, message: str) -> None:
    f = tmp_path / f"m{suffix}"
    f.write_text(content)
    with pytest.raises(InputError, match=message):
        collect_metrics(f, [])


def test_bad_pairs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="name=value"):
        collect_params(None, ["lora_r"])
    with pytest.raises(InputError, match="not a finite number"):
        collect_metrics(None, ["acc=good"])
    with pytest.raises(InputError, match="does not exist"):
        collect_metrics(tmp_path / "nope.json", [])


def test_params_numbers_stay_numbers(tmp_path: Path) -> None:
    f = tmp_path / "params.yaml"
    f.write_text("train:\n  lr: 0.0003\n  epochs: 3\n")
    assert collect_params(f, ["lora_r=8", "opt=adamw"]) == {
        "train.lr": 0.0003,
        "train.epochs": 3,
        "lora_r": 8,
        "opt": "adamw",
    }
