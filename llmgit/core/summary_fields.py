"""The fields of a version tag's summary, each checked into the value a
:class:`~llmgit.core.model.ModelVersion` holds. Pure.

Anyone who can push a tag writes these values, so each is checked on its own before it is
used: weights (an md5, a path inside the repository, counts), metrics and params (at most
:data:`MAX_ENTRIES` short names, finite bounded numbers, plain data nested at most
:data:`MAX_DEPTH` deep), and free text within its cap. A value that breaks a rule is a
:class:`BoundError` naming the field; :mod:`llmgit.core.summary` makes the tag malformed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any

from llmgit.core import bounded, inputs
from llmgit.core.bounded import KIB, BoundError
from llmgit.core.dirmanifest import is_md5, safe_relpath
from llmgit.core.model import WeightsInfo

MAX_STRING = inputs.MAX_STRING  # characters of a text value
MAX_ENTRIES = inputs.MAX_ENTRIES  # metrics, and params, each
MAX_KEY = inputs.MAX_NAME  # characters of a metric or param name
MAX_LIST = inputs.MAX_LIST  # items of a param's list
MAX_AUTHOR = 1 * KIB
MAX_CREATED = 64
MAX_MESSAGE = 64 * KIB
MAX_PATH = 4 * KIB
MAX_DEPTH = 16  # nesting of a param's value
_HEX = frozenset("0123456789abcdef")


def weights(raw: object) -> WeightsInfo | None:
    if raw is None:
        return None
    fast = _plain_weights(raw)
    return fast if fast is not None else _weights(raw)


def _plain_weights(raw: object) -> WeightsInfo | None:
    """The common case, checked in a few comparisons: what llmgit writes (a lowercase md5, a
    clean path already seen, whole numbers in range, a bool). Anything else is None, and
    :func:`_weights` checks it field by field (and names the field that breaks a rule)."""
    if type(raw) is not dict:
        return None
    md5, path, is_dir = raw.get("md5"), raw.get("path"), raw.get("dir", False)
    size, files = raw.get("size"), raw.get("files")
    size = 0 if size is None else size  # as _count reads a missing count
    files = 0 if files is None else files
    if not (
        type(md5) is str
        and len(md5) == 32
        and _HEX.issuperset(md5)
        and type(path) is str
        and len(path) <= MAX_PATH
        and (clean := _clean_path(path)) is not None
        and type(size) is int
        and 0 <= size <= bounded.MAX_INT
        and type(files) is int
        and 0 <= files <= bounded.MAX_INT
        and type(is_dir) is bool
    ):
        return None
    return WeightsInfo(path=clean, md5=md5, size=size, files=files, is_dir=is_dir)


@functools.lru_cache(maxsize=4096)
def _clean_path(raw: str) -> str | None:
    """:func:`_relpath_text`, None for a path it refuses."""
    try:
        return _relpath_text(raw)
    except BoundError:
        return None


def _weights(raw: object) -> WeightsInfo:
    if not isinstance(raw, dict):
        raise BoundError(f"its summary's weights is not a mapping ({show(raw)})")
    md5 = raw.get("md5")
    md5 = md5.lower() if isinstance(md5, str) else md5
    if not is_md5(md5):
        raise BoundError(f"its summary's weights.md5 is not 32 hexadecimal digits ({show(md5)})")
    is_dir = raw.get("dir", False)
    if not isinstance(is_dir, bool):
        raise BoundError(f"its summary's weights.dir is not true or false ({show(is_dir)})")
    return WeightsInfo(
        path=_relpath(raw.get("path")),
        md5=str(md5),
        size=_count(raw.get("size"), "weights.size"),
        files=_count(raw.get("files"), "weights.files"),
        is_dir=is_dir,
    )


def _relpath(raw: object) -> str:
    """A repository-relative path: no ``..``, absolute, backslash, NUL or control character,
    and not inside ``.git`` (checkout writes the weights there)."""
    if not isinstance(raw, str):
        raise BoundError(f"its summary's weights.path is not a relative path inside the repository ({show(raw)})")
    return _relpath_text(raw)


@functools.lru_cache(maxsize=4096)  # every version of a model names the same path: checked once
def _relpath_text(raw: str) -> str:
    where = "its summary's weights.path"
    if len(raw) > MAX_PATH:
        raise BoundError(f"{where} is longer than {MAX_PATH} characters")
    path = safe_relpath(raw)
    if path is None or bounded.has_control(path):
        raise BoundError(f"{where} is not a relative path inside the repository ({show(raw)})")
    if any(part.lower() == ".git" for part in path.split("/")):
        raise BoundError(f"{where} is inside .git ({show(raw)})")
    return path


def _count(raw: object, field: str) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BoundError(f"its summary's {field} is not a whole number ({show(raw)})")
    if raw < 0 or raw > bounded.MAX_INT:
        raise BoundError(f"its summary's {field} is out of range ({show(raw)})")
    return raw


def _entries(raw: object, field: str) -> dict[str, Any]:
    """A mapping, nested mappings flattened to dotted names (as metrics files are read),
    with at most :data:`MAX_ENTRIES` names, each short and free of control characters."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BoundError(f"its summary's {field} is not a mapping ({show(raw)})")
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[Any, Any]]] = [("", raw)]
    while stack:
        prefix, mapping = stack.pop()
        for key, value in mapping.items():
            if not isinstance(key, str) or not key:
                raise BoundError(f"its summary's {field} has an empty name or one that is not text ({show(key)})")
            full = prefix + key
            if len(full) > MAX_KEY or bounded.has_control(full):
                raise BoundError(
                    f"its summary's {field} has a name longer than {MAX_KEY} characters or with a control "
                    f"character ({show(full)})"
                )
            if isinstance(value, dict):
                stack.append((full + ".", value))
            else:
                flat[full] = value
            if len(flat) > MAX_ENTRIES:
                raise BoundError(f"its summary's {field} holds more than {MAX_ENTRIES} entries")
    return flat


def _number(value: object) -> bool:
    """:func:`bounded.is_number` for the exact types JSON gives (anything else: False, and the
    caller checks the slow way)."""
    kind = type(value)
    if kind is float:
        return -bounded.MAX_FLOAT <= value <= bounded.MAX_FLOAT  # type: ignore[operator]  # NaN: False
    return kind is int and -bounded.MAX_INT <= value <= bounded.MAX_INT  # type: ignore[operator]


def _scalar(value: object) -> bool:
    """A param value :func:`_plain` returns unchanged without looking deeper (JSON's exact types)."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_STRING  # type: ignore[arg-type]
    return value is None or kind is bool or _number(value)


@functools.lru_cache(maxsize=4096)  # the same few names in every version: checked once
def _clean_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY and not bounded.has_control(key)


def _flat(raw: object, ok: Callable[[object], bool]) -> dict[str, Any] | None:
    """A copy of a flat mapping whose names are clean and whose values pass ``ok`` (what llmgit
    writes), or None: then :func:`_entries` and the value checks run and name what is wrong.
    Same result as the slow way for every input it accepts."""
    if type(raw) is not dict or len(raw) > MAX_ENTRIES:
        return None
    for key, value in raw.items():
        if type(key) is not str or len(key) > MAX_KEY or not _clean_key(key) or not ok(value):
            return None
    return dict(raw)


def metrics(raw: object) -> dict[str, float | int]:
    fast = _flat(raw, _number)
    return fast if fast is not None else _metrics(raw)


def _metrics(raw: object) -> dict[str, float | int]:
    metrics = _entries(raw, "metrics")
    for name, value in metrics.items():
        if not bounded.is_number(value):
            raise BoundError(f"its summary's metrics.{name} is not a finite number in range ({show(value)})")
    return metrics


def params(raw: object) -> dict[str, Any]:
    fast = _flat(raw, _scalar)
    return fast if fast is not None else _params(raw)


def _params(raw: object) -> dict[str, Any]:
    params = _entries(raw, "params")
    for name, value in params.items():
        params[name] = _plain(value, f"params.{name}", 1)
    return params


def _plain(value: Any, where: str, depth: int) -> Any:
    """A JSON value within bounds: finite bounded numbers, text of at most
    :data:`MAX_STRING` characters, lists of at most :data:`MAX_LIST` items, nesting of at
    most :data:`MAX_DEPTH`; YAML dates become ISO text, anything else (binary, sets) is refused."""
    if depth > MAX_DEPTH:
        raise BoundError(f"its summary's {where} is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if not bounded.is_number(value):
            raise BoundError(f"its summary's {where} is not a finite number in range ({show(value)})")
        return value
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise BoundError(f"its summary's {where} is longer than {MAX_STRING} characters")
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise BoundError(f"its summary's {where} is a list of more than {MAX_LIST} items")
        return [_plain(v, where, depth + 1) for v in value]
    if isinstance(value, dict):
        if len(value) > MAX_LIST:
            raise BoundError(f"its summary's {where} holds more than {MAX_LIST} entries")
        return {_plain_key(k, where): _plain(v, where, depth + 1) for k, v in value.items()}
    raise BoundError(f"its summary's {where} holds a value that is not plain data ({show(value)})")


def _plain_key(key: object, where: str) -> str:
    if not isinstance(key, str) or len(key) > MAX_KEY:
        raise BoundError(f"its summary's {where} has a key that is not short text ({show(key)})")
    return key


def text(raw: object, what: str, limit: int) -> str:
    """Free text (author, message): at most ``limit`` characters; control characters are kept
    (the CLI shows them escaped; see the module docstring)."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BoundError(f"{what} is not text ({show(raw)})")
    if len(raw) > limit:
        raise BoundError(f"{what} is longer than {limit} characters")
    return raw


def created(raw: object) -> str:
    if raw is None or raw == "":
        return ""
    if isinstance(raw, (dt.date, dt.datetime)):  # hand-written YAML: created: 2024-05-01
        return raw.isoformat()
    try:
        return bounded.bounded_text(raw, MAX_CREATED, "its summary's created")
    except BoundError:
        raise BoundError(f"its summary's created is not a date ({show(raw)})") from None


def message(s: Mapping[str, Any], contents: str) -> str:
    if "message" in s:
        return text(s["message"], "its summary's message", MAX_MESSAGE)
    subject = contents.split("\n", 1)[0]  # tags written by other tools: the subject line
    return text(subject, "its subject line", MAX_MESSAGE)


def show(value: object, limit: int = 40) -> str:
    """A value as a message shows it: its repr, cut short (the CLI escapes control characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
