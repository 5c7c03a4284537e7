"""Putting one weights path under DVC with DVC's own add: for repositories llmgit's ingest
(:mod:`llmgit.weights.ingest`) leaves to DVC (pipelines, ``.dvcignore`` patterns, a tracked
parent, link cache types). Each byte is still hashed once: llmgit hashes the files itself
(DVC's own md5, in parallel, with progress) and records the hashes in DVC's state database,
so DVC's add finds them there; the add itself is DVC's stage machinery for one ``.dvc``
file, without ``dvc add``'s scan of every stage (a second per thousand models) when the
overlaps a weights path can have were checked directly.
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core import pointer as pointer_file
from llmgit.core import yamlio
from llmgit.core.pointer import Pointer
from llmgit.errors import InputError
from llmgit.infra import progress
from llmgit.weights import dvc
from llmgit.weights.callbacks import bytes_callback

if TYPE_CHECKING:
    from dvc.repo import Repo

HASH_JOBS = max(1, min(4, os.cpu_count() or 1))


def add(root: Path, data_path: str) -> Pointer:
    """Track ``root/data_path`` with DVC's add; returns what the new ``.dvc`` file says."""
    with dvc.open_repo(root) as repo:
        try:
            _track(repo, root, data_path)
        except InputError:
            raise
        except Exception as e:  # DVC raises many types; any of them means the add failed
            raise dvc.dvc_error("add", e) from None
    return pointer_file.parse((root / f"{data_path}.dvc").read_text(encoding="utf-8"), data_path)


def _track(repo: Repo, root: Path, data_path: str) -> None:
    target = root / data_path
    files = _walk(repo, target)
    if any(p.endswith(".dvc") for p in files):
        raise InputError(
            f"'{data_path}' contains DVC pointer files: other data is tracked inside it",
            hint="register a path that no other DVC pointer tracks or contains",
        )
    _prehash(repo, files)
    if can_add_directly(root, data_path):
        _add_one(repo, str(target))
    else:
        repo.add(str(target))


def _walk(repo: Repo, target: Path) -> list[str]:
    """Every file DVC would track under ``target`` (honouring .dvcignore), as DVC names them."""
    if not target.is_dir():
        return [os.fspath(target)]
    from dvc.fs import localfs  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)

    out: list[str] = []
    for top, _, names in repo.dvcignore.walk(localfs, os.fspath(target)):
        out.extend(f"{top}{os.sep}{n}" for n in names)
    return out


def _prehash(repo: Repo, files: list[str]) -> None:
    from dvc.fs import localfs  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)
    from dvc_data.fsutils import _localfs_info  # noqa: PLC0415 (heavy: with DVC)
    from dvc_data.hashfile.hash import file_md5  # noqa: PLC0415 (heavy: with DVC)
    from dvc_data.hashfile.hash_info import HashInfo  # noqa: PLC0415 (heavy: with DVC)

    infos = {p: _localfs_info(p) for p in files}
    state = repo.state
    todo = [
        p
        for p, meta, hi in state.get_many(files, localfs, infos)
        if not (meta is not None and hi is not None and hi.name == "md5")
    ]
    if not todo:
        return
    with progress.task("Hashing", sum(int(infos[p]["size"]) for p in todo)) as bar:
        callback = bytes_callback(bar)

        def one(path: str) -> tuple[str, HashInfo, dict[str, Any]]:
            return (
                path,
                HashInfo("md5", file_md5(path, localfs, callback=callback, name="md5", size=int(infos[path]["size"]))),
                infos[path],
            )

        with ThreadPoolExecutor(max_workers=min(HASH_JOBS, len(todo))) as pool:
            results = list(pool.map(one, todo))
    state.save_many(results, localfs)


def can_add_directly(root: Path, data_path: str) -> bool:
    """No pipeline in the repository, no tracked parent, and (if it exists) a pointer of
    the plain ``dvc add`` kind for this very path."""
    listed = subprocess.run(
        [
            "git",
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            ":(glob)dvc.yaml",
            ":(glob)**/dvc.yaml",
        ],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0 or listed.stdout.strip(b"\0"):
        return False
    parts = Path(data_path).parts
    for i in range(1, len(parts)):
        if (root.joinpath(*parts[:i]).with_name(parts[i - 1] + ".dvc")).is_file():
            return False
    pointer = root / f"{data_path}.dvc"
    if not pointer.exists():
        return True
    try:
        doc = yamlio.load(pointer.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yamlio.YAMLError):
        return False
    outs = doc.get("outs") if isinstance(doc, dict) else None
    return (
        isinstance(doc, dict)
        and not (set(doc) - {"outs", "md5", "meta", "desc", "frozen"})
        and not doc.get("frozen")
        and isinstance(outs, list)
        and len(outs) == 1
        and isinstance(outs[0], dict)
        and outs[0].get("path") == parts[-1]
    )


def _add_one(repo: Repo, target: str) -> None:
    """``dvc add TARGET`` for one path, without loading the repository's other stages."""
    from dvc.repo import locked  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)
    from dvc.repo.add import _add  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)
    from dvc.repo.scm_context import scm_context  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)
    from dvc.utils import resolve_paths  # noqa: PLC0415 (heavy: DVC loads only for commands that need it)

    @locked  # type: ignore[untyped-decorator]
    @scm_context  # type: ignore[untyped-decorator]
    def run(repo: Repo) -> None:
        path, wdir, out = resolve_paths(repo, target)
        stage = repo.stage.create(single_stage=True, validate=False, fname=path, wdir=wdir, outs=[out], force=True)
        _add(stage)

    run(repo)
