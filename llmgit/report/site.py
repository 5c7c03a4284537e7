"""Writing the report's pages into a directory: all of them the first time, then only those
whose key changed (:mod:`llmgit.report.keys`).

A directory is only written when it is new, empty, or holds an earlier report (it carries
the marker file): an unrelated directory is never overwritten. A first report (or one without
its key file) is built beside the target and swapped in. A later one is updated in place:
each page written whole (temporary file, then rename), files no page claims removed, and the
key file written last; it is removed before the first change, so a run cut short leaves a
report that the next run writes in full. A big report's pages are rendered and written on
every core (:func:`llmgit.infra.forked.map_shares`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.errors import UsageError
from llmgit.infra import forked
from llmgit.infra.files import write_atomic

MARKER = ".llmgit-report"
MARKER_TEXT = "This directory is written by 'llmgit report' and replaced as a whole on every run.\n"
KEYS = ".llmgit-report-keys.json"  # page path -> [key, size in bytes]
KEYS_FORMAT = 1
SHARE = 200  # pages per worker at least: fewer are written in this process (:mod:`llmgit.infra.forked`)


@dataclass(frozen=True)
class PlannedPage:
    path: str  # relative to the site root, POSIX
    key: str  # what the page is built from (:mod:`llmgit.report.keys`)
    render: Callable[[], str]
    needs: tuple[object, ...] = ()  # what it reads before rendering (given to ``prepare`` in bulk)
    group: str = ""  # pages of one group are rendered by one worker (they read the same cards)


def check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"'{out}' exists and is not a directory", hint="give --out a new or empty directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"'{out}' is not empty and holds no llmgit report",
            hint="give --out a new or empty directory, or remove this one first",
        )


def _earlier_keys(out: Path) -> dict[str, tuple[str, int]] | None:
    """The keys of the report in ``out``, or None (no report, or one written without keys)."""
    try:
        doc = json.loads((out / KEYS).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != KEYS_FORMAT or not isinstance(doc.get("pages"), dict):
        return None
    found: dict[str, tuple[str, int]] = {}
    for path, value in doc["pages"].items():
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int):
            found[path] = (value[0], value[1])
    return found


def _keys_document(sizes: dict[str, tuple[str, int]]) -> bytes:
    pages = {path: [key, size] for path, (key, size) in sorted(sizes.items())}
    return json.dumps({"format": KEYS_FORMAT, "pages": pages}, separators=(",", ":")).encode()


Prepare = Callable[[Sequence[PlannedPage]], None]


def write(pages: Sequence[PlannedPage], out: Path, prepare: Prepare | None = None) -> tuple[Path, int]:
    """Write ``pages`` under ``out``; returns the index and how many pages were written.
    ``prepare`` is given the pages about to be rendered first (to read what they need at once)."""
    out = Path(os.path.abspath(out))
    check_target(out)
    earlier = _earlier_keys(out) if out.is_dir() else None
    if earlier is None:
        return _write_all(pages, out, prepare), len(pages)
    return out / "index.html", _update(pages, out, earlier, prepare)


def _write_all(pages: Sequence[PlannedPage], out: Path, prepare: Prepare | None) -> Path:
    """Every page, built beside ``out`` and swapped in. Each worker is given whole groups and
    reads what its pages need itself (``prepare``), so nothing read comes back to this process."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for folder in sorted({(staging / page.path).parent for page in pages}):
            folder.mkdir(parents=True, exist_ok=True)
        groups: dict[str, list[PlannedPage]] = {}
        for page in pages:
            groups.setdefault(page.group, []).append(page)
        units = list(groups.values())

        def task(share: Sequence[list[PlannedPage]]) -> dict[str, tuple[str, int]]:
            mine = [page for group in share for page in group]
            if prepare is not None:
                prepare(mine)
            return _render_into(staging, mine)

        sizes: dict[str, tuple[str, int]] = {}
        per_share = -(-SHARE * len(units) // max(len(pages), 1))  # SHARE pages, in groups
        for written in forked.map_shares(task, units, min_share=per_share):
            sizes.update(written)
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        (staging / KEYS).write_bytes(_keys_document(sizes))
        staging.chmod(0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "site")
        os.replace(staging, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "index.html"


def _render_into(root: Path, pages: Sequence[PlannedPage]) -> dict[str, tuple[str, int]]:
    """Render and write ``pages`` under ``root`` (their folders exist); path -> (key, size)."""
    sizes: dict[str, tuple[str, int]] = {}
    for page in pages:
        data = page.render().encode("utf-8")
        (root / page.path).write_bytes(data)
        sizes[page.path] = (page.key, len(data))
    return sizes


def _update(
    pages: Sequence[PlannedPage], out: Path, earlier: dict[str, tuple[str, int]], prepare: Prepare | None
) -> int:
    """Write the pages whose key (or file) changed, remove files no page claims; the count written."""
    sizes: dict[str, tuple[str, int]] = {}
    stale: list[PlannedPage] = []
    present = _present(out)
    for page in pages:
        before = earlier.get(page.path)
        if before is not None and before[0] == page.key and present.get(page.path) == before[1]:
            sizes[page.path] = before
        else:
            stale.append(page)
    claimed = {p.path for p in pages} | {MARKER, KEYS}
    extra = [rel for rel in present if rel not in claimed]
    if not stale and not extra:
        return 0
    if prepare is not None:
        prepare(stale)
    (out / KEYS).unlink(missing_ok=True)  # a run cut short from here on is written in full next time
    for page in stale:
        data = page.render().encode("utf-8")
        (out / page.path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out / page.path, data)
        sizes[page.path] = (page.key, len(data))
    for rel in extra:
        (out / rel).unlink(missing_ok=True)
    if extra:
        _prune_empty(out)
    write_atomic(out / KEYS, _keys_document(sizes))
    return len(stale)


def _present(out: Path) -> dict[str, int | None]:
    """Every file under ``out`` (POSIX path relative to it) -> its size, in one pass over the
    folders; None for what is not a regular file (a link, a pipe: never taken for a page)."""
    found: dict[str, int | None] = {}
    folders = [(out, "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for e in entries:
                rel = prefix + e.name
                if e.is_dir(follow_symlinks=False):
                    folders.append((Path(e.path), rel + "/"))
                else:
                    found[rel] = e.stat(follow_symlinks=False).st_size if e.is_file(follow_symlinks=False) else None
    return found


def _prune_empty(out: Path) -> None:
    for folder, dirs, files in os.walk(out, topdown=False):
        if not dirs and not files and Path(folder) != out:
            try:
                os.rmdir(folder)
            except OSError:
                pass
