"""core.bounded.load_yaml skips the parser's node count for short text: it relies on YAML
holding fewer than NODES_PER_BYTE nodes per byte. These properties hold that bound to account
(on the syntax that makes the most nodes from the fewest bytes) and check that short text
over the limit is still refused, by check_tree's count of the values built."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import bounded, yamlio
from llmgit.core.bounded import BoundError, Limits

DENSE = "[]{}?,:-!& \n*a"  # indicators that open nodes with one byte, and the blanks between them


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=DENSE, min_size=1, max_size=40))
def test_yaml_holds_fewer_nodes_than_the_bound(text: str) -> None:
    assert yamlio.count_nodes(text, 10**6) < bounded.NODES_PER_BYTE * len(text)


@pytest.mark.parametrize("text", ["?", "?\n" * 50, "[?" + ",?" * 100 + "]", "- " * 80, "[" * 60 + "]" * 60])
def test_the_densest_known_forms_stay_under_the_bound(text: str) -> None:
    assert yamlio.count_nodes(text, 10**6) < bounded.NODES_PER_BYTE * len(text)


@pytest.mark.parametrize(
    "text", ["[" + ",".join(["1"] * 30) + "]", "- a\n" * 30, "{" + ",".join(f"k{i}: v" for i in range(20)) + "}"]
)
def test_short_text_over_the_limit_is_still_refused(text: str) -> None:
    limits = Limits(max_values=25)  # the text is longer than 25 / 4 bytes: counted first
    with pytest.raises(BoundError, match="more than 25 values"):
        bounded.load_yaml(text, limits, "t.yaml")
    tiny = Limits(max_values=4 * len(text) + 1)  # count skipped: check_tree still counts what was built
    data = bounded.load_yaml(text, tiny, "t.yaml")
    with pytest.raises(BoundError, match="more than 3 values"):
        bounded.check_tree(data, Limits(max_values=3), "t.yaml")


def _one_at_a_time(data: object, limits: Limits, what: str) -> None:
    """check_tree as it was written first: a value at a time, depth carried on a stack."""
    stack: list[tuple[object, int]] = [(data, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > limits.max_values:
            raise BoundError("count")
        if depth > limits.max_depth:
            raise BoundError("depth")
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, (str, int, float, bool)) and k is not None:
                    raise BoundError("key")
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            if len(value) > limits.max_string:
                raise BoundError("string")
        elif isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, (int, float)):
            bounded.check_number(value, what)


keys = st.text(max_size=6) | st.integers(-3, 3) | st.none() | st.booleans() | st.floats(allow_nan=True)
leaves = (
    st.text(max_size=8) | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.none() | st.booleans()
)
trees = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=30
)


@settings(max_examples=1500, deadline=None)
@given(trees, st.integers(1, 40), st.integers(1, 6), st.integers(0, 8))
def test_check_tree_refuses_exactly_what_a_value_at_a_time_refused(
    tree: object, values: int, depth: int, longest: int
) -> None:
    limits = Limits(max_values=values, max_depth=depth, max_string=longest)

    def outcome(check: object) -> bool:
        try:
            check(tree, limits, "t")  # type: ignore[operator]
        except BoundError:
            return False
        return True

    assert outcome(bounded.check_tree) == outcome(_one_at_a_time)
