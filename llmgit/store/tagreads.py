"""Reading many version tags: each tag object read once through ``cat-file --batch`` and
handed to a reader (:meth:`llmgit.store.store.Store.iter_read`). Past a few thousand tags the
reading and checking is shared among forked workers, one ``cat-file`` each
(:func:`llmgit.infra.forked.map_shares`), and their answers come back in ref order: a
registry-wide ``search`` is bound by parsing and checking each tag's summary in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from llmgit.core.model import Malformed
from llmgit.infra import forked, gitrefs

T = TypeVar("T")
Listed = tuple[str, str, str, str]  # model, normalised version, ref, tag object id
Reader = Callable[[str, str, gitrefs.TagRecord], T | Malformed | None]

SHARE = 2500  # tags per worker at least: fewer are read in this process


def read_each(root: Path, listed: Sequence[Listed], read: Reader[T]) -> Iterator[T | Malformed | None]:
    """What ``read`` makes of each listed tag (``None``: read, well-formed, not wanted), in ref order."""
    if len(listed) < 2 * SHARE:
        yield from _read(root, listed, read)
        return

    def share(part: Sequence[tuple[int, Listed]]) -> list[T | Malformed | None]:
        return list(_read(root, [item for _, item in part], read))

    parts = forked.map_shares(share, list(enumerate(listed)), min_share=SHARE)
    n = len(parts)  # share i holds the tags i, i + n, i + 2n, ... (forked.map_shares)
    for k in range(len(listed)):
        yield parts[k % n][k // n]


def _read(root: Path, listed: Sequence[Listed], read: Reader[T]) -> Iterator[T | Malformed | None]:
    """``read``'s answer for each listed tag, in order (``None`` included)."""
    records = gitrefs.read_tags(root, [(ref, oid) for _, _, ref, oid in listed])
    for (model, version, _, _), rec in zip(listed, records, strict=True):
        yield read(model, version, rec)
