"""Bounded parsing of outside text: the caps every format parser applies before and after it
parses (size, nesting depth, number of values, string length, finite bounded numbers), and the
rules for text that may reach a ref, a path or a terminal. Pure.

A format module (``summary``, ``stagefile``, ``inputs``, ...) calls :func:`load_json` or
:func:`load_yaml` with its :class:`Limits`, then turns :class:`BoundError` into its own domain
error. YAML aliases are refused by :mod:`llmgit.core.yamlio` for every format.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from llmgit.core import yamlio

KIB = 1 << 10
MIB = 1 << 20
MAX_INT = (1 << 63) - 1  # what survives JSON, YAML and every consumer unchanged
MAX_FLOAT = 1e300  # finite, and a difference of two of them stays finite


class BoundError(ValueError):
    """Outside text that breaks a cap or is not what its format allows (one sentence)."""


@dataclass(frozen=True)
class Limits:
    """The caps of one format."""

    max_bytes: int = MIB
    max_depth: int = 32
    max_values: int = 100_000  # every scalar, list and mapping counts one
    max_string: int = 64 * KIB


DEFAULT = Limits()


def check_size(text: str | bytes, limits: Limits, what: str) -> None:
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > limits.max_bytes:
        raise BoundError(f"{what} is {size} bytes, above the limit of {limits.max_bytes}")


def load_json(text: str | bytes, limits: Limits, what: str) -> Any:
    """JSON within ``limits`` (size and a count of containers and separators before parsing,
    depth and values after)."""
    check_size(text, limits, what)
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b",") + raw.count(b"[") + raw.count(b"{") > limits.max_values:
        raise BoundError(f"{what} holds more than {limits.max_values} values")
    try:
        data = json.loads(text)
    except RecursionError:
        raise BoundError(f"{what} is nested more than {limits.max_depth} levels deep") from None
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError, and ints of 4,300+ digits
        raise BoundError(f"{what} is not valid JSON: {_first_line(e)}") from None
    check_tree(data, limits, what)
    return data


NODES_PER_BYTE = 4  # more than YAML can hold: at most 3 nodes in one byte (``?``), fewer in more


def load_yaml(text: str | bytes, limits: Limits, what: str) -> Any:
    """Safe YAML without aliases, within ``limits``. The nodes are counted as the parser's
    events come, and the text refused at the first one over the cap, before any more is built
    (:func:`llmgit.core.yamlio.load`; the loader it leaves some text to would build every node
    before the first value, about 400 bytes a node, so it counts them first). Text shorter
    than a quarter of ``max_values`` bytes is not counted: YAML needs more than a third of a
    byte per node (a lone ``?`` is three), so it cannot hold more nodes than allowed, and
    :func:`check_tree` counts the values it built."""
    check_size(text, limits, what)
    counted = limits.max_values if len(text) * NODES_PER_BYTE > limits.max_values else None
    try:
        data = yamlio.load(text, max_nodes=counted)
    except yamlio.TooManyNodes:
        raise BoundError(f"{what} holds more than {limits.max_values} values") from None
    except yamlio.YAMLError as e:
        raise BoundError(f"{what} is not valid YAML: {_first_line(e)}") from None
    check_tree(data, limits, what)
    return data


def check_tree(data: Any, limits: Limits, what: str) -> None:
    """Depth, count, string length and number range of parsed data: level by level (any depth
    without recursion), exact types first (what the JSON and YAML loaders build), keys and
    values counted alike."""
    level, depth, count, longest = [data], 1, 0, limits.max_string
    while level:
        if depth > limits.max_depth:
            raise BoundError(f"{what} is nested more than {limits.max_depth} levels deep")
        count += len(level)
        if count > limits.max_values:
            raise BoundError(f"{what} holds more than {limits.max_values} values")
        below: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is str:
                if len(value) > longest:
                    raise BoundError(f"{what} has a string longer than {limits.max_string} characters")
            elif kind is dict or isinstance(value, dict):
                if depth + 1 > limits.max_depth and value:
                    raise BoundError(f"{what} is nested more than {limits.max_depth} levels deep")
                count += len(value)
                for k in value:
                    _check_key(k, limits, what)
                below.extend(value.values())
            elif kind is list or isinstance(value, list):
                below.extend(value)
            elif kind is bool or value is None:
                pass
            elif isinstance(value, str):
                if len(value) > longest:
                    raise BoundError(f"{what} has a string longer than {limits.max_string} characters")
            elif isinstance(value, (int, float)):
                check_number(value, what)
            # other YAML scalars (dates, bytes) are left to the format, which refuses what it has no use for
        if count > limits.max_values:
            raise BoundError(f"{what} holds more than {limits.max_values} values")
        level, depth = below, depth + 1


def _check_key(key: Any, limits: Limits, what: str) -> None:
    if isinstance(key, str):
        if len(key) > limits.max_string:
            raise BoundError(f"{what} has a string longer than {limits.max_string} characters")
    elif isinstance(key, bool) or key is None:
        pass
    elif isinstance(key, (int, float)):
        check_number(key, what)
    else:
        raise BoundError(f"{what} has a key that is not a plain value")


def check_number(value: int | float, what: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise BoundError(f"{what} has a number that is not finite: {value!r}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise BoundError(f"{what} has an integer outside -2^63..2^63")
    if isinstance(value, float) and abs(value) > MAX_FLOAT:
        raise BoundError(f"{what} has a number above 1e300 in magnitude")


def is_number(value: object) -> bool:
    """A finite bounded int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        check_number(value, "")
    except BoundError:
        return False
    return True


# -- text ---------------------------------------------------------------------------------

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (C0, DEL, C1, line/paragraph separators or
    bidirectional overrides): none may reach a ref, a path, a name or a table cell."""
    return _CONTROL.search(text) is not None


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every control character shown escaped (``\\x1b``), so nothing from outside
    moves the cursor, retitles the terminal or reorders what is shown. ``keep_lines`` leaves
    newlines and tabs (for multi-line output llmgit itself lays out)."""
    return (_CONTROL_KEEP_LINES if keep_lines else _CONTROL).sub(_escape, text)


def bounded_text(value: object, max_len: int, what: str, *, lines: bool = False) -> str:
    """A string of at most ``max_len`` characters without control characters (``lines``
    allows newlines and tabs, for messages and descriptions)."""
    if not isinstance(value, str):
        raise BoundError(f"{what} is not text")
    if len(value) > max_len:
        raise BoundError(f"{what} is longer than {max_len} characters")
    if (_CONTROL_KEEP_LINES if lines else _CONTROL).search(value):
        raise BoundError(f"{what} holds a control character: {escape_control(value[:80])!r}")
    return value


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return escape_control(text[0][:200]) if text else type(e).__name__
