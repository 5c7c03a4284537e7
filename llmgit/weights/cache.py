"""The local DVC cache, read without importing DVC: where it is, where an object lives,
exports of versions whose objects are all cached, and in-place copies (DVC loads only to
record them in its state database, while the bytes move).

DVC 3 keeps an object at ``<cache>/files/md5/ab/cdef...``; a directory is a ``.dir``
manifest object (a JSON list of relpath, md5 and size) plus one object per file. The cache
is ``.dvc/cache`` unless a config file sets ``[cache] dir``. Whenever the layout is not one
this module understands, it answers None and callers take DVC's own path.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from llmgit.weights import linking, dvc as storage
from llmgit.core import yamlio
from llmgit.weights.dvc import Pointer

# [cache] options that move the cache off the local file system (obsolete in DVC 3, still read)
_FOREIGN_CACHE_OPTIONS = frozenset({"local", "s3", "gs", "hdfs", "webhdfs", "ssh", "azure"})
_DEFAULT_LINK_TYPES = ("reflink", "copy")  # what DVC uses when no [cache] type is set


@dataclass(frozen=True)
class CachedFile:
    relpath: str  # POSIX path inside the data (a single file: its own name)
    md5: str
    source: Path  # the object in the cache
    executable: bool = False  # the manifest's isexec (DVC's checkout then sets the x bit)


def _config_files(root: Path) -> list[Path] | None:
    """DVC's config files from lowest to highest precedence: system, global, repo, local."""
    try:
        import platformdirs
    except ImportError:
        return None
    system_dir = os.environ.get("DVC_SYSTEM_CONFIG_DIR") or platformdirs.site_config_dir("dvc", "iterative")
    global_dir = os.environ.get("DVC_GLOBAL_CONFIG_DIR") or platformdirs.user_config_dir("dvc", "iterative")
    dvc_dir = root / ".dvc"
    return [Path(system_dir) / "config", Path(global_dir) / "config", dvc_dir / "config", dvc_dir / "config.local"]


def _cache_section(root: Path) -> dict[str, tuple[str, Path]] | None:
    """The merged ``[cache]`` options (value, directory of the file that set it), or None
    when a config file is unreadable or moves the cache off the local disk."""
    files = _config_files(root)
    if files is None:
        return None
    merged: dict[str, tuple[str, Path]] = {}
    for path in files:
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            return None
        if not parser.has_section("cache"):
            continue
        for option, value in parser.items("cache"):
            if option in _FOREIGN_CACHE_OPTIONS:
                return None
            merged[option] = (value.strip().strip('"').strip("'"), path.parent)
    return merged


def cache_dir(root: Path) -> Path | None:
    """The local DVC cache directory of the repository at ``root`` (``[cache] dir``, relative
    to the config file that sets it, or ``.dvc/cache``); None when the config says something
    this module does not read."""
    section = _cache_section(root)
    if section is None:
        return None
    if "dir" not in section:
        return root / ".dvc" / "cache"
    text, conf_dir = section["dir"]
    if not text or "://" in text:
        return None
    expanded = Path(os.path.expanduser(text))
    return expanded if expanded.is_absolute() else Path(os.path.abspath(conf_dir / expanded))


def local_dir(root: Path) -> Path:
    """:func:`cache_dir`, or DVC's default ``.dvc/cache`` when the config says something this
    module does not read."""
    return cache_dir(root) or root / ".dvc" / "cache"


def object_size(cache: Path, md5: str) -> int | None:
    """The size of a file object in the cache at ``cache``, or None when it is not there."""
    try:
        return object_path(cache, md5).stat().st_size
    except OSError:
        return None


def link_types(root: Path) -> list[str] | None:
    """The configured ``[cache] type`` list (DVC's default: reflink, then copy), or None."""
    section = _cache_section(root)
    if section is None:
        return None
    if "type" not in section or not section["type"][0]:
        return list(_DEFAULT_LINK_TYPES)
    kinds = (t.strip().strip('"').strip("'") for t in section["type"][0].split(","))
    return [t for t in kinds if t]


def object_path(cache: Path, md5: str, *, is_dir: bool = False) -> Path:
    """Where the object with hash ``md5`` lives in the cache at ``cache``."""
    return cache / "files" / "md5" / md5[:2] / (md5[2:] + (".dir" if is_dir else ""))


def _is_md5(text: object) -> bool:
    return isinstance(text, str) and len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def _safe_relpath(text: object) -> str | None:
    if not isinstance(text, str) or not text or "\\" in text or "\0" in text:
        return None
    parts = PurePosixPath(text).parts
    if text.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    return PurePosixPath(*parts).as_posix()


def read_manifest(path: Path) -> list[tuple[str, str, bool]] | None:
    """(relpath, md5, isexec) of each file a ``.dir`` object lists, or None when it is
    unreadable or names a path outside the directory."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, list):
        return None
    entries = []
    for item in doc:
        if not isinstance(item, dict):
            return None
        relpath, md5 = _safe_relpath(item.get("relpath")), item.get("md5")
        if relpath is None or not _is_md5(md5):
            return None
        entries.append((relpath, str(md5), item.get("isexec") is True))
    return entries


def cached_files(root: Path, pointer: Pointer) -> list[CachedFile] | None:
    """The files of ``pointer``'s data with their cache objects, or None when the cache is
    not readable here or any object is missing from it."""
    if not _is_md5(pointer.md5):
        return None
    cache = cache_dir(root)
    if cache is None:
        return None
    if pointer.is_dir:
        entries = read_manifest(object_path(cache, pointer.md5, is_dir=True))
        if entries is None:
            return None
    else:
        entries = [(PurePosixPath(pointer.path).name, pointer.md5, False)]
    files = [CachedFile(relpath, md5, object_path(cache, md5), isexec) for relpath, md5, isexec in entries]
    if not all(f.source.is_file() for f in files):
        return None
    return files


def export_cached(root: Path, pointer: Pointer, dest: Path,
                  files: list[CachedFile] | None = None) -> list[Path] | None:
    """Write ``pointer``'s data into ``dest`` straight from the local cache, linking where
    the file systems allow and copying otherwise; None (and nothing written) when any object
    is missing from the cache, so the caller fetches through DVC instead. ``files``: what
    :func:`cached_files` already answered for ``pointer``."""
    files = files if files is not None else cached_files(root, pointer)
    if files is None:
        return None
    pairs = [(f.source, dest / f.relpath) for f in files]
    linking.place(pairs)
    return [target for _, target in pairs]


# -- in place, with cache.type copy ----------------------------------------------------------
_PLAIN_OUT_KEYS = frozenset({"md5", "size", "nfiles", "hash", "path", "cache", "remote", "push", "desc", "type",
                             "labels", "meta"})


def plain_pointer(text: str | bytes, pointer: Pointer) -> bool:
    """Whether a ``.dvc`` file tracks just ``pointer``'s data, beside it, by md5, in the cache
    (what ``dvc add`` writes): the only kind ``checkout_copies`` writes without DVC."""
    try:
        doc = yamlio.load(text)
    except yamlio.YAMLError:
        return False
    if not isinstance(doc, dict) or set(doc) - {"outs", "md5", "meta"}:
        return False
    outs = doc.get("outs")
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        return False
    out: dict[str, Any] = outs[0]
    return (
        not set(out) - _PLAIN_OUT_KEYS
        and out.get("hash") == "md5"
        and out.get("cache", True) is True
        and out.get("path") == PurePosixPath(pointer.path).name
        and str(out.get("md5")) == pointer.md5 + (".dir" if pointer.is_dir else "")
    )


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
        plain = plain_pointer((root / pointer.dvc_file).read_bytes(), pointer)
    except OSError:
        return None
    if plain and files is None:
        files = cached_files(root, pointer)
    if not plain or files is None or any(f.executable for f in files):
        return None
    base = data if pointer.is_dir else data.parent
    pairs = [(f.source, base / f.relpath) for f in files]
    copies = [[target.relative_to(root).as_posix(), f.md5] for f, (_, target) in zip(files, pairs)]
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
    code = "import sys; sys.path.append(sys.argv.pop()); from llmgit.weights.cache import _recorder_main; _recorder_main()"
    argv = [sys.executable, "-c", code, str(root), package_parent]
    return subprocess.Popen(argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


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
    from dvc_data.hashfile.hash_info import HashInfo

    code = 1
    with storage.open_repo(Path(sys.argv[1])) as repo:
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
