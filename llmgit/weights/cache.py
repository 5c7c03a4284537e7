"""The local DVC cache, read without importing DVC: where it is, where an object lives (the
one cache-path function), and which objects a version's data consists of.

DVC 3 keeps an object at ``<cache>/files/md5/ab/cdef...``; a directory is a ``.dir``
manifest object (a JSON list of relpath and md5) plus one object per file. The cache is
``.dvc/cache`` unless a config file sets ``[cache] dir``; a linked work tree (``git worktree
add``) shares its main work tree's cache, so removing the work tree loses no weights.
Whenever the configuration is not one this module understands, it answers None and callers
take DVC's own path.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.core import cachetype, dirmanifest, paths
from llmgit.core.pointer import Pointer
from llmgit.errors import BadRecord, LinkedCacheWarning
from llmgit.infra import git

# [cache] options that move the cache off the local file system (obsolete in DVC 3, still read)
_FOREIGN_CACHE_OPTIONS = frozenset({"local", "s3", "gs", "hdfs", "webhdfs", "ssh", "azure"})


@dataclass(frozen=True)
class CachedFile:
    relpath: str  # POSIX path inside the data (a single file: its own name)
    md5: str
    source: Path  # the object in the cache
    executable: bool = False  # the manifest's isexec (DVC's checkout then sets the x bit)


def _config_files(root: Path) -> list[Path] | None:
    """DVC's config files from lowest to highest precedence: system, global, repo, local."""
    try:
        import platformdirs  # noqa: PLC0415 (comes with DVC; absent means 'cannot tell')
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
        return main_worktree_cache(root) or root / ".dvc" / "cache"
    text, conf_dir = section["dir"]
    if not text or "://" in text:
        return None
    expanded = Path(os.path.expanduser(text))
    return expanded if expanded.is_absolute() else Path(os.path.abspath(conf_dir / expanded))


def main_worktree_cache(root: Path) -> Path | None:
    """The main work tree's ``.dvc/cache`` when ``root`` is a linked work tree (its ``.git``
    is a file), else None."""
    if not (root / ".git").is_file():
        return None
    common = git.common_dir(root)
    return common.parent / ".dvc" / "cache" if common.name == ".git" else None


def share_worktree_cache(root: Path) -> None:
    """In a linked work tree, tell DVC too to use the main work tree's cache
    (``.dvc/config.local``, never committed), unless a cache directory is configured."""
    shared = main_worktree_cache(root)
    section = _cache_section(root)
    if shared is None or section is None or "dir" in section:
        return
    local = root / ".dvc" / "config.local"
    text = local.read_text(encoding="utf-8") if local.is_file() else ""
    if "[cache]" in text:
        return
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_text(
        f"{text}{'' if not text or text.endswith(chr(10)) else chr(10)}[cache]\n    dir = {shared}\n", encoding="utf-8"
    )


def warn_if_linked(root: Path) -> bool:
    """Warn when the cache type links the working tree to the cache; returns whether it does.
    Python shows a warning once per place it is raised from (and the CLI once per command),
    and it is always raised from here."""
    kinds = link_types(root) or []
    if not cachetype.links(kinds):
        return False
    import warnings  # noqa: PLC0415 (start-up: only a linked cache needs it)

    warnings.warn(
        LinkedCacheWarning(
            f"the DVC cache type is '{cachetype.text(kinds)}': working-tree weights are the cache's objects, "
            "so a program that rewrites one in place rewrites a registered version",
            hint="switch to copies (the working tree's links become copies): llmgit init --cache-type reflink,copy",
        ),
        stacklevel=1,
    )
    return True


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
        return list(cachetype.DEFAULT)
    kinds = (t.strip().strip('"').strip("'") for t in section["type"][0].split(","))
    return [t for t in kinds if t]


def relative_path(oid: str) -> str:
    """Where an object (``oid``: an md5, with ``.dir`` for a manifest) lives under a cache's or
    a remote's root, as DVC 3 lays them out (POSIX): the one place an object id becomes a path
    or a key, so an id that is not one (``../..``, from a forged tag or manifest) is refused
    here whatever checked it before (:class:`~llmgit.errors.BadRecord`)."""
    rel = paths.object_relpath(oid)
    if rel is None:
        raise BadRecord(
            f"{paths.show(oid)} is not a DVC object id (an md5 hash, with '.dir' for a directory manifest)",
            hint="a version tag or a manifest names it; llmgit fsck lists malformed records",
        )
    return rel


def object_path(cache: Path, oid: str, *, is_dir: bool = False) -> Path:
    """Where the object ``oid`` lives in the cache at ``cache`` (the one cache-path function)."""
    return cache / relative_path(oid + (paths.DIR_SUFFIX if is_dir else ""))


def oid_at(key: str, base: str) -> str | None:
    """The object id a remote's key or relpath names (``base``: the remote's objects folder,
    with its trailing ``/``), or None when it is not one of DVC's objects there."""
    return paths.oid_at(key[len(base) :]) if key.startswith(base) else None


def cached_files(
    root: Path, pointer: Pointer, *, where: Path | None = None, complete: bool = True
) -> list[CachedFile] | None:
    """The files of ``pointer``'s data with their cache objects, or None when the cache is
    not readable here or any object is missing from it (a manifest llmgit will not use is an
    error: :class:`~llmgit.errors.ManifestError`). ``where``: the cache directory
    as DVC itself says (default: read from the config files); ``complete=False``: the files
    even when some objects are missing (None only without the manifest)."""
    cache = where or cache_dir(root)
    if cache is None:
        return None
    if pointer.is_dir:
        try:
            data = object_path(cache, pointer.md5, is_dir=True).read_bytes()
        except OSError:
            return None
        entries = dirmanifest.parse(data, pointer.oid)
    else:
        entries = [dirmanifest.ManifestEntry(PurePosixPath(pointer.path).name, pointer.md5)]
    files = [CachedFile(e.relpath, e.md5, object_path(cache, e.md5), e.isexec) for e in entries]
    if complete and not all(f.source.is_file() for f in files):
        return None
    return files
