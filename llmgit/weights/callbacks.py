"""fsspec callbacks that report the bytes DVC moves to a :mod:`llmgit.infra.progress` task."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmgit.infra import progress


def bytes_callback(bar: progress.Task, expected: int = 0) -> Any:
    """An fsspec callback that reports bytes to ``bar``; closed short of ``expected`` bytes
    (DVC copies small files without reporting), it reports the rest."""
    from fsspec.callbacks import Callback  # noqa: PLC0415  (heavy third-party, with DVC)

    class Bytes(Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.reported = 0

        def relative_update(self, inc: int | None = 1) -> None:
            self.reported += inc or 0
            bar.advance(inc or 0)

        def absolute_update(self, value: int) -> None:
            self.relative_update(value - self.reported)

        def close(self) -> None:
            if self.reported < expected:
                self.relative_update(expected - self.reported)

    return Bytes()


def files_callback(bar: progress.Task, sizes: Mapping[str, int]) -> Any:
    """An fsspec callback for DVC's transfer: it counts files; each file's child reports its
    bytes to ``bar`` (``sizes``: object id -> bytes)."""
    from fsspec.callbacks import Callback  # noqa: PLC0415  (heavy third-party, with DVC)

    class Files(Callback):  # type: ignore[misc]
        def relative_update(self, inc: int | None = 1) -> None:
            pass

        def branched(self, path_1: Any, path_2: Any, **kwargs: Any) -> Any:
            parts = str(path_1).replace("\\", "/").rstrip("/").split("/")
            return bytes_callback(bar, sizes.get("".join(parts[-2:]), 0))

    return Files()
