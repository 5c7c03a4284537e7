"""Checking a version out into an empty place with cache type copy, without waiting for DVC:
the copies run here in parallel while DVC loads in a helper process, which then records them
in DVC's state database (so ``dvc status`` does not hash them again) and its links list."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from llmgit.core import pointer as pointer_file
from llmgit.core.pointer import Pointer
from llmgit.weights import dvc, linking
from llmgit.weights.cache import CachedFile, cached_files, link_types


def checkout_copies(root: Path, pointer: Pointer, files: list[CachedFile] | None = None) -> list[Path] | None:
    """Copy ``pointer``'s data from the cache into the working tree where nothing is yet, as
    ``dvc checkout`` does with cache type copy, and record the copies in DVC's state database
    (so ``dvc status`` does not hash them again) and its links list.

    DVC loads in a helper process while the copies run here in parallel threads; it records
    them once they are complete. None, with the working tree as it was, when this is not
    that case (other cache types, data already there, objects missing, a ``.dvc`` file beyond
    ``dvc add``'s, files DVC marks executable) or anything failed: the caller then runs DVC's
    own checkout, which also reports the error. ``files``: what :func:`cached_files` already
    answered for ``pointer``."""
    root = root.absolute()
    data = root / pointer.path
    if os.path.lexists(data):
        return None
    types = link_types(root)
    if types is None or [t for t in types if t != "reflink"] != ["copy"]:
        return None
    try:
        plain = pointer_file.is_plain((root / pointer.dvc_file).read_bytes(), pointer)
    except OSError:
        return None
    if plain and files is None:
        files = cached_files(root, pointer)
    if not plain or files is None or any(f.executable for f in files):
        return None
    base = data if pointer.is_dir else data.parent
    pairs = [(f.source, base / f.relpath) for f in files]
    copies = [[target.relative_to(root).as_posix(), f.md5] for f, (_, target) in zip(files, pairs, strict=True)]
    request = json.dumps({"data": pointer.path, "files": copies}).encode()
    try:
        helper = _start_recorder(root)
    except OSError:
        return None
    try:
        linking.place(pairs, hardlink=False)
        helper.communicate(request)
        recorded = helper.returncode == 0
    except Exception:  # a copy failed: DVC's checkout tries again and says what is wrong
        recorded = False
    except BaseException:
        _stop(helper)
        _remove_tree(data)
        raise
    if recorded:
        return [target for _, target in pairs]
    _stop(helper)
    _remove_tree(data)
    return None


def _start_recorder(root: Path) -> subprocess.Popen[bytes]:
    package_parent = str(Path(__file__).resolve().parents[2])  # a fallback at the end of sys.path
    code = "import sys; sys.path.append(sys.argv.pop()); from llmgit.weights.workspace import _recorder_main; _recorder_main()"
    argv = [sys.executable, "-c", code, str(root), package_parent]
    return subprocess.Popen(argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(helper: subprocess.Popen[bytes]) -> None:
    if helper.poll() is None:
        helper.kill()
    helper.wait()
    if helper.stdin is not None:
        helper.stdin.close()


def _recorder_main() -> None:
    """The helper process: load DVC and open the repository, then wait for the list of
    copies on stdin (nothing: they failed) and record them in DVC's state database, with
    paths under the repository root as DVC spells it."""
    from dvc_data.hashfile.hash_info import HashInfo  # noqa: PLC0415 (heavy: with DVC)

    code = 1
    with dvc.open_repo(Path(sys.argv[1])) as repo:
        repo.state.hashes  # noqa: B018  (opened now, while the copies run)
        text = sys.stdin.buffer.read()
        if text:
            request = json.loads(text)
            items = [(_under(repo.root_dir, rel), HashInfo("md5", md5), None) for rel, md5 in request["files"]]
            with repo.lock:
                repo.state.save_many(items, repo.fs)
                repo.state.save_link(_under(repo.root_dir, request["data"]), repo.fs)
            code = 0
    os._exit(code)  # skips tearing DVC's modules down; its state database is closed by now


def _under(root_dir: str, relpath: str) -> str:
    return os.path.join(root_dir, *relpath.split("/"))


def _remove_tree(data: Path) -> None:
    if data.is_dir() and not data.is_symlink():
        shutil.rmtree(data, ignore_errors=True)
    elif os.path.lexists(data):
        data.unlink()
