"""Paging and the filters that name models, as MLflow's stores do them."""

from __future__ import annotations

from typing import Any

from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.search_utils import SearchModelVersionUtils, SearchUtils

from llmgit.core import refs
from llmgit.errors import InvalidName
from llmgit.mlflow import errors


def limit(max_results: object, default: int, top: int) -> int:
    if max_results is None:
        return default
    if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 1:
        raise errors.invalid(f"Invalid value for max_results. It must be a positive integer, but got {max_results}")
    if max_results > top:
        raise errors.invalid(
            f"Invalid value for request parameter max_results. It must be at most {top}, but got value {max_results}"
        )
    return max_results


def page(items: list[Any], max_results: int, page_token: str | None) -> PagedList:
    start = SearchUtils.parse_start_offset_from_page_token(page_token)
    end = start + max_results
    return PagedList(items[start:end], SearchUtils.create_page_token(end) if end < len(items) else None)


def llmgit_name(name: str) -> bool:
    try:
        refs.validate_model_name(name)
    except InvalidName:
        return False
    return True


def names_in(filter_string: str | None) -> list[str] | None:
    """The model names a filter limits the search to (``name = 'X'`` or ``name IN (...)``
    in its top-level AND), or None when it may match any model."""
    if not filter_string:
        return None
    try:
        clauses = SearchModelVersionUtils.parse_search_filter(filter_string)
    except Exception:  # noqa: BLE001 (the full search reports the syntax error as MLflow does)
        return None
    for c in clauses:
        if c.get("type") == "attribute" and c.get("key") == "name":
            if c.get("comparator") == "=" and isinstance(c.get("value"), str):
                return [c["value"]]
            if c.get("comparator") == "IN" and isinstance(c.get("value"), (list, tuple)):
                return [str(v) for v in c["value"]]
    return None
