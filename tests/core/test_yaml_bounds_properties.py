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
