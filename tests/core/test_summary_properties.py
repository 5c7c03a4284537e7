"""llmgit.core.summary, the one parser of version tag messages: any text is a ModelVersion or a
BadRecord naming the tag (never another exception), and what llmgit writes reads back as it was."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmgit.core import bounded, refs, summary_fields
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.core.summary import Malformed, read_tag, tag_message, version_from_tag
from llmgit.errors import BadRecord

TAG = "m@v1.0.0"


def _read(contents: str) -> ModelVersion | Malformed:
    return read_tag("m", "1.0.0", TAG, "c0ffee", contents, "2026-01-01T00:00:00+00:00", "Ada <ada@example.com>")


def _check(contents: str) -> None:
    found = _read(contents)
    if isinstance(found, Malformed):
        assert found.tag == TAG and found.reason
        try:
            version_from_tag("m", "1.0.0", TAG, "c0ffee", contents, "", "")
        except BadRecord as e:
            assert e.exit_code == 2 and e.message.startswith(f"version tag {TAG} is malformed: ")
        else:
            raise AssertionError("a malformed tag must raise BadRecord")
    else:
        assert isinstance(found, ModelVersion)
        json.dumps(found.to_json())  # what --json prints


@given(st.text(max_size=400))
def test_any_text_is_a_version_or_a_bad_record(text: str) -> None:
    _check(text)
    _check(f"m v1.0.0\n\n{text}")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
fields = st.sampled_from(["weights", "metrics", "params", "author", "created", "message", "llmgit", "other"])
weights_fields = st.sampled_from(["path", "md5", "size", "files", "dir"])


@given(st.dictionaries(fields, json_values, max_size=6), st.dictionaries(weights_fields, json_values, max_size=5))
def test_any_json_summary_is_a_version_or_a_bad_record(summary: dict[str, Any], weights: dict[str, Any]) -> None:
    _check(f"m v1.0.0\n\n{json.dumps(summary)}")
    _check(f"m v1.0.0\n\n{json.dumps({**summary, 'weights': weights})}")


yaml_text = st.text(alphabet=string.ascii_letters + string.digits + " :-[]{},&*!|>'\"\n#.%@", max_size=120)


@given(yaml_text)
def test_any_yaml_like_summary_is_a_version_or_a_bad_record(text: str) -> None:
    _check(f"m v1.0.0\n\n{text}")
    _check(f"m v1.0.0\n\nweights:\n  {text}")
    _check(f"m v1.0.0\n\nmetrics: {text}")


# -- write, then read ----------------------------------------------------------------------

clean_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    min_size=1,
    max_size=30,
)
numbers = st.integers(min_value=-bounded.MAX_INT, max_value=bounded.MAX_INT) | st.floats(
    min_value=-1e300, max_value=1e300, allow_nan=False
)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=30)
segment = st.from_regex(r"[a-z0-9_][a-z0-9_.-]{0,7}", fullmatch=True).filter(lambda s: s not in (".", ".."))
names = st.from_regex(r"[a-z0-9]([a-z0-9_-]{0,10}[a-z0-9])?", fullmatch=True)
semvers = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-rc.{pre}" if pre is not None else ""),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.none() | st.integers(0, 99),
)


@st.composite
def model_versions(draw: st.DrawFn) -> ModelVersion:
    name, version = draw(names), draw(semvers)
    weights = draw(
        st.none()
        | st.builds(
            WeightsInfo,
            path=st.lists(segment, min_size=1, max_size=4).map("/".join).filter(lambda p: ".git" not in p.split("/")),
            md5=st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
            size=st.integers(0, bounded.MAX_INT),
            files=st.integers(0, 10**6),
            is_dir=st.booleans(),
        )
    )
    return ModelVersion(
        name=name,
        version=version,
        tag=refs.version_tag(name, version),
        commit="c0ffee",
        weights=weights,
        metrics=draw(st.dictionaries(clean_text, numbers, max_size=5)),
        params=draw(st.dictionaries(clean_text, scalars | st.lists(scalars, max_size=3), max_size=5)),
        author=draw(st.text(min_size=1, max_size=60)),
        created=draw(clean_text),
        message=draw(st.text(max_size=200)),
    )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(model_versions())
def test_what_llmgit_writes_reads_back(v: ModelVersion) -> None:
    back = version_from_tag(v.name, v.version, v.tag, v.commit, tag_message(v), "", "")
    assert back == v


# -- the quick checks of the common case agree with the field-by-field ones ------------------

edge_numbers = st.sampled_from(
    [bounded.MAX_INT, bounded.MAX_INT + 1, -bounded.MAX_INT, -bounded.MAX_INT - 1, 1e300, -1e300, 1.0000001e300]
    + [float("nan"), float("inf"), True, False, 0, -1, 0.5]
)
edge_text = st.sampled_from(["", "a", "acc\n", "x" * 256, "x" * 257, "\u202e", "A" * 32, "a" * 32, "ok.name"])
edge_values = st.recursive(
    edge_numbers | edge_text | st.none() | st.text(max_size=6) | st.integers() | st.floats(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(edge_text | st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)
md5s = st.sampled_from(["0" * 32, "abcdef" * 5 + "01", "ABCDEF" * 5 + "01", "g" * 32, "0" * 31]) | edge_values
paths = st.sampled_from(["models/m/w", "../w", "/abs", "a/.git/b", "a\\b", "a/./b", "w\x07", "m" * 4097]) | edge_text


def _outcome(check: Any, raw: object) -> object:
    try:
        return ("ok", check(raw))
    except bounded.BoundError as e:
        return ("refused", str(e))


@settings(max_examples=300)
@given(
    st.dictionaries(st.sampled_from(["path", "md5", "size", "files", "dir", "other"]), edge_values, max_size=6),
    md5s,
    paths,
    edge_values,
)
def test_quick_weights_check_agrees_with_the_full_one(raw: dict[str, Any], md5: Any, path: Any, size: Any) -> None:
    for case in (raw, {**raw, "md5": md5, "path": path}, {"md5": md5, "path": path, "size": size, "dir": True}):
        assert _outcome(summary_fields.weights, case) == _outcome(summary_fields._weights, case)


good_names = st.sampled_from(["acc", "loss", "eval.f1", "lr"])
mostly_flat = st.dictionaries(good_names, edge_numbers | edge_text | st.none(), max_size=4)


@settings(max_examples=300)
@given(
    mostly_flat
    | st.builds(
        lambda a, b: {**a, **b}, mostly_flat, st.dictionaries(edge_text | st.text(max_size=8), edge_values, max_size=3)
    )
    | edge_values
)
def test_quick_metrics_and_params_checks_agree_with_the_full_ones(raw: Any) -> None:
    assert _outcome(summary_fields.metrics, raw) == _outcome(summary_fields._metrics, raw)
    assert _outcome(summary_fields.params, raw) == _outcome(summary_fields._params, raw)
