"""llmgit.core.inputs for any text: ``parse_scalar`` always answers a scalar, and
``parse_mapping``, ``metrics_from`` and ``params_from`` answer checked values or
:class:`InputError`, never another exception; what they accept is what a tag summary holds,
and survives strict JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from llmgit.core import bounded, inputs
from llmgit.core.summary import tag_message
from llmgit.errors import InputError

# JSON's and YAML's own characters, so hypothesis reaches nesting, anchors and numbers fast
SPECIAL = "{}[]:,\"'&*!|>-?#%@`~ \t\n.eE+0123456789abntrufl\\\x00\x1b\u2028"
TEXTS = st.one_of(st.text(), st.text(alphabet=SPECIAL, max_size=80))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _checked_metrics(metrics: dict[str, Any]) -> None:
    for name, value in metrics.items():
        assert 0 < len(name) <= inputs.MAX_NAME and not bounded.has_control(name)
        assert bounded.is_number(value)


@given(st.text())
@example("1" * 5000)
@example("1e999")
@example("nan")
@example("\u0663")  # an Arabic-Indic digit: int() reads it
def test_parse_scalar_answers_a_scalar(text: str) -> None:
    value = inputs.parse_scalar(text)
    assert value is None or isinstance(value, (bool, int, float, str))
    if isinstance(value, float):
        assert math.isfinite(value)


@settings(max_examples=300)
@given(TEXTS, st.sampled_from([".json", ".yaml"]))
@example("[" * 100_000, ".json")
@example("[" * 100_000, ".yaml")
@example("- " * 5000 + "1", ".yaml")
@example("a: &a [1]\nb: *a\n", ".yaml")
@example('{"a": 1e999}', ".json")
@example("a: " + "9" * 5000, ".yaml")
@example("a: 2024-13-01", ".yaml")
@example("a: !!binary aGVsbG8=", ".yaml")
@example("? [1]\n: 2", ".yaml")
def test_any_text_is_values_or_input_error(text: str, suffix: str) -> None:
    path = Path(f"m{suffix}")
    try:
        data = inputs.parse_mapping(text, path, "metrics")
    except InputError as e:
        assert "\n" not in e.message
        return
    assert isinstance(data, dict)
    for parse in (lambda: inputs.metrics_from(data, [], "m"), lambda: inputs.params_from(data, [], "p")):
        try:
            values = parse()
        except InputError as e:
            assert "\n" not in e.message
            continue
        json.dumps(values, allow_nan=False)  # what a tag summary can carry


@given(st.dictionaries(st.text(max_size=30), JSON_VALUES, max_size=6), st.lists(TEXTS, max_size=4))
def test_metrics_and_params_are_checked_or_refused(data: dict[str, Any], pairs: list[str]) -> None:
    try:
        metrics = inputs.metrics_from(data, pairs, "m")
    except InputError:
        pass
    else:
        _checked_metrics(metrics)
    try:
        params = inputs.params_from(data, pairs, "p")
    except InputError:
        return
    for name in params:
        assert 0 < len(name) <= inputs.MAX_NAME and not bounded.has_control(name)
    json.dumps(params, allow_nan=False)


@given(st.dictionaries(st.text(min_size=1, max_size=20), st.floats(allow_nan=False, allow_infinity=False), max_size=5))
def test_accepted_metrics_round_trip_through_a_tag(metrics: dict[str, float]) -> None:
    """Write-then-read: what ``metrics_from`` accepts, a tag summary gives back unchanged."""
    from llmgit.core.model import ModelVersion
    from llmgit.core.summary import read_tag

    try:
        checked = inputs.metrics_from(metrics, [], "m")
    except InputError:
        return
    v = ModelVersion("m", "1.0.0", "m@v1.0.0", "", None, checked, {})
    back = read_tag("m", "1.0.0", "m@v1.0.0", "", tag_message(v), "")
    assert not hasattr(back, "reason"), back
    assert dict(back.metrics) == checked  # type: ignore[union-attr]


def test_entry_cap() -> None:
    many = {f"m{i}": i for i in range(11)}
    try:
        inputs.metrics_from(many, [], "m", max_entries=10)
    except InputError as e:
        assert e.message == "m holds more than 10 metrics"
    else:
        raise AssertionError("11 metrics passed a cap of 10")
