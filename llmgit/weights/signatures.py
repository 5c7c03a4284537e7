"""What llmgit knows about files it hashed: each cache object's stat signature (size,
mtime_ns, inode) when llmgit wrote or verified it, and each working-tree file's md5
with its signature. A cache object whose signature changed since is hashed again before it
is trusted; a working-tree file whose signature did not change is not read again.

Time stamps are coarse (a few milliseconds), so, as git does with its index, a signature
counts only for a file that had been quiet for two seconds when it was hashed: a write in
the same tick as the hashing cannot hide. Objects llmgit writes itself are dated back
(``settle``) so they count at once; any later write dates them to the present again.

Kept in ``<git common dir>/llmgit/signatures.db`` (SQLite), shared by the repository's work
trees. A repository where it cannot be written works the same, only slower.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
create table if not exists objects (path text primary key, oid text, size int, mtime_ns int, ino int, at_ns int);
create table if not exists files (path text primary key, md5 text, size int, mtime_ns int, ino int, at_ns int);
"""
QUIET_NS = 2_000_000_000  # a file must have been unchanged this long when it was hashed
_SETTLED_NS = 10_000_000_000  # how far back ``settle`` dates a file llmgit wrote


def _stat(path: Path) -> tuple[int, int, int] | None:
    """The signature: size, mtime_ns and inode (not ctime: linking or chmod changes it, not the bytes)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def settle(path: Path) -> None:
    """Date a file llmgit just wrote (and hashed) back, so its signature counts at once."""
    past = time.time_ns() - _SETTLED_NS
    try:
        os.utime(path, ns=(past, past))
    except OSError:
        pass  # not ours to date (a shared cache): it is hashed again when next read


class Signatures:
    """The signatures database of one repository (opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()  # copies run in threads; one connection serves them all

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                # a cache of facts that can be re-derived: losing the last writes to a crash costs a rehash
                self._db.execute("pragma journal_mode=wal")
                self._db.execute("pragma synchronous=off")
                self._db.executescript(_SCHEMA)
            except (OSError, sqlite3.Error):
                self._broken = True  # read-only repository: nothing remembered
                self._db = None
        return self._db

    def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            db = self._conn()
            if db is None:
                return []
            try:
                return db.execute(sql, args).fetchall()
            except sqlite3.Error:
                return []

    def _match(self, table: str, path: Path) -> tuple[object, ...] | None:
        """The row remembered for ``path`` when the file is unchanged since, and was quiet."""
        now = _stat(path)
        rows = self._run(f"select * from {table} where path = ?", (str(path),))  # noqa: S608 (table is ours)
        if now is None or not rows:
            return None
        row = rows[0]
        size, mtime_ns, ino, at_ns = row[2:6]
        if (size, mtime_ns, ino) != now or not isinstance(at_ns, int) or now[1] > at_ns - QUIET_NS:
            return None
        return row

    def object_verified(self, path: Path, oid: str) -> bool:
        """Whether the cache object at ``path`` is as it was when its bytes were last checked
        to hash to ``oid``."""
        row = self._match("objects", path)
        return row is not None and row[1] == oid

    def remember_object(self, path: Path, oid: str) -> None:
        """``path``'s bytes were just checked to hash to ``oid``."""
        now = _stat(path)
        if now is not None:
            self._run(
                "insert or replace into objects values (?, ?, ?, ?, ?, ?)", (str(path), oid, *now, time.time_ns())
            )

    def forget_object(self, path: Path) -> None:
        self._run("delete from objects where path = ?", (str(path),))

    def file_md5(self, path: Path) -> str | None:
        """The md5 of a working-tree file when it is unchanged since llmgit hashed it."""
        row = self._match("files", path)
        return str(row[1]) if row is not None else None

    def remember_file(self, path: Path, md5: str) -> None:
        now = _stat(path)
        if now is not None:
            self._run("insert or replace into files values (?, ?, ?, ?, ?, ?)", (str(path), md5, *now, time.time_ns()))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
