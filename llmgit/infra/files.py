"""Files in and out: atomic writes, and reading a file a user names (metrics, params, cards,
counts) as text, within a byte cap, refusing what is not a regular file before opening it:
``/dev/zero`` never ends, and a FIFO (what ``<(...)`` passes, ``/dev/fd/N``) blocks or is
read once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from llmgit.core.bounded import MIB
from llmgit.errors import InputError

STREAM_HINT = "write it to a regular file first (cmd > file) and pass that file"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``. The temporary
    file is created new (``O_EXCL | O_NOFOLLOW``): a link left at its name is removed, never
    written through."""
    tmp = path.with_name(f".{path.name}.llmgit-tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "a special file"


def _refuse(path: Path, what: str, mode: int) -> InputError:
    streamed = stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)  # <(cmd), /dev/stdin, /dev/zero
    return InputError(
        f"{what} file '{path}' is {_kind(mode)}, not a regular file", hint=STREAM_HINT if streamed else None
    )


def read_input_bytes(path: Path, what: str, *, max_bytes: int = MIB) -> bytes:
    """The bytes of a ``what`` file of at most ``max_bytes`` (a FIFO, device or directory is
    refused unopened; a file that grows past the cap while read is refused too)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{what} file '{path}' does not exist") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise InputError(f"cannot read {what} file '{path}': {getattr(e, 'strerror', None) or e}") from None
    if not stat.S_ISREG(mode):
        raise _refuse(path, what, mode)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise InputError(f"cannot read {what} file '{path}': {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            raise _refuse(path, what, st.st_mode)
        if st.st_size > max_bytes:
            raise _too_big(path, what, st.st_size, max_bytes)
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise InputError(f"cannot read {what} file '{path}': {e.strerror}") from None
    if len(data) > max_bytes:
        raise _too_big(path, what, None, max_bytes)
    return data


def _too_big(path: Path, what: str, size: int | None, max_bytes: int) -> InputError:
    return InputError(
        f"{what} file '{path}' is {f'{size} bytes' if size is not None else 'larger'}, above the limit of {max_bytes}",
        hint=f"the cap is a setting: limits.{_setting(what)} in llmgit.yaml",
    )


def _setting(what: str) -> str:
    return {"params": "params_bytes", "card": "card_bytes"}.get(what, "metrics_bytes")


def read_input(path: Path, what: str, *, max_bytes: int = MIB) -> str:
    """The UTF-8 text of a ``what`` file (see :func:`read_input_bytes`)."""
    data = read_input_bytes(path, what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{what} file '{path}' is not UTF-8 text (byte {e.start})") from None
