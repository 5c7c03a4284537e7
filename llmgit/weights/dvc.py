"""Every DVC call llmgit makes. DVC is imported lazily, inside functions, so read-only
commands never pay for it; its chatter is silenced (llmgit's CLI reports instead).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.weights import linking, remote as transport
from llmgit.core import yamlio
from llmgit.errors import InputError, OperationFailed

if TYPE_CHECKING:
    from dvc.repo import Repo

REMOTE_NAME = "storage"
@dataclass(frozen=True)
class Pointer:
    """What a ``.dvc`` file says about the data it tracks."""

    path: str  # repository-relative path of the data (POSIX)
    md5: str  # content hash, without DVC's '.dir' suffix
    is_dir: bool
    size: int
    nfiles: int

    @property
    def dvc_file(self) -> str:
        return f"{self.path}.dvc"


@dataclass(frozen=True)
class ManifestEntry:
    relpath: str
    md5: str
    size: int | None = None


def parse_pointer(text: str | bytes, data_path: str) -> Pointer:
    """Parse a ``.dvc`` file for the data at ``data_path`` (repo-relative)."""
    try:
        doc = yamlio.load(text)
        out = doc["outs"][0]
        md5 = str(out["md5"])
    except (yamlio.YAMLError, KeyError, IndexError, TypeError):
        raise InputError(f"'{data_path}.dvc' is not a DVC pointer file llmgit understands") from None
    is_dir = md5.endswith(".dir")
    return Pointer(
        path=data_path,
        md5=md5.removesuffix(".dir"),
        is_dir=is_dir,
        size=int(out.get("size") or 0),
        nfiles=int(out.get("nfiles") or (0 if is_dir else 1)),
    )


def _quiet() -> None:
    """Import DVC with analytics off and its INFO chatter silenced (it sets INFO on import)."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    import dvc  # noqa: F401  (its import configures the loggers we quieten next)

    for name in ("dvc", "dvc_objects", "dvc_data"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # llmgit reports DVC failures itself, as one error line
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[Repo]:
    _quiet()
    from dvc.repo import Repo

    old_cwd = os.getcwd()
    os.chdir(root)  # DVC resolves targets (and targets at other revisions) against the cwd
    try:
        repo = Repo(str(root))
        repo.scm_context.quiet = True
        try:
            yield repo
        finally:
            repo.close()
    finally:
        os.chdir(old_cwd)


def dvc_error(action: str, exc: BaseException) -> OperationFailed:
    text = str(exc).strip().splitlines()
    return OperationFailed(f"dvc {action} failed: {text[0] if text else type(exc).__name__}")


def is_initialized(root: Path) -> bool:
    return (root / ".dvc").is_dir()


def init(root: Path) -> None:
    """``dvc init`` in ``root`` (a git work tree), analytics off, link-first cache."""
    _quiet()
    from dvc.repo import Repo

    try:
        Repo.init(str(root)).close()
    except Exception as e:  # DVC raises many types; any of them means init failed
        raise dvc_error("init", e) from None


def configure(root: Path, *, remote: str | None, local_remote: bool, endpoint_url: str | None) -> None:
    """Set the cache type, analytics and (if given) the default remote.

    A remote given by the user goes into ``.dvc/config`` (committed); the machine-local
    default remote goes into ``.dvc/config.local`` (never committed).
    """
    with open_repo(root) as repo:
        with repo.config.edit("repo") as conf:
            conf["core"]["analytics"] = False
            conf["cache"]["type"] = linking.cache_types(root)
        if remote:
            level = "local" if local_remote else "repo"
            with repo.config.edit(level) as conf:
                section: dict[str, Any] = {"url": remote}
                if endpoint_url:
                    section["endpointurl"] = endpoint_url
                conf["remote"][REMOTE_NAME] = section
                conf["core"]["remote"] = REMOTE_NAME


def remote_settings(root: Path) -> dict[str, Any] | None:
    """The default DVC remote's merged settings (url, endpointurl, profile, ...), or None.

    Read from ``.dvc/config`` and ``.dvc/config.local`` directly when they name the remote
    (no DVC import: rollback and checkout ask this before anything else); DVC's own config
    loading covers the other levels (user, system)."""
    quick = _repo_config_remote(root)
    if quick is not None:
        return quick
    with open_repo(root) as repo:
        conf = repo.config
        name = conf["core"].get("remote")
        if not name or name not in conf["remote"]:
            return None
        return dict(conf["remote"][name])


def _repo_config_remote(root: Path) -> dict[str, Any] | None:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read([root / ".dvc" / "config", root / ".dvc" / "config.local"], encoding="utf-8")
    except configparser.Error:
        return None
    name = parser.get("core", "remote", fallback=None)
    section = f'remote "{name}"'
    for candidate in (section, f"'{section}'"):
        if name and parser.has_section(candidate) and parser.has_option(candidate, "url"):
            settings = {k: v.strip().strip('"') for k, v in parser.items(candidate)}
            url = settings["url"]
            if "://" not in url and not Path(url).is_absolute():  # relative to .dvc/
                settings["url"] = str((root / ".dvc" / url).resolve())
            return settings
    return None


def default_remote(root: Path) -> str | None:
    """The URL of the default DVC remote, or None when there is none."""
    with open_repo(root) as repo:
        conf = repo.config
        name = conf["core"].get("remote")
        if not name or name not in conf["remote"]:
            return None
        return str(conf["remote"][name]["url"])


def add(root: Path, data_path: str) -> Pointer:
    """Track one path with DVC (see :mod:`llmgit.weights.ingest`); returns what the new ``.dvc`` file says."""
    from llmgit.weights import ingest

    with open_repo(root) as repo:
        try:
            ingest.add(repo, root, data_path)
        except InputError:
            raise
        except Exception as e:
            raise dvc_error("add", e) from None
    return parse_pointer((root / f"{data_path}.dvc").read_text(encoding="utf-8"), data_path)


def version_objects(repo: Repo, pointer: Pointer) -> tuple[list[transport.Obj], transport.Obj | None]:
    """The file objects (from the cached manifest, when it is cached) and the manifest."""
    if not pointer.is_dir:
        return [transport.Obj(pointer.md5, cache_path(repo, pointer.md5, False), pointer.size)], None
    top = cache_path(repo, pointer.md5, True)
    manifest = transport.Obj(pointer.md5 + ".dir", top, None)
    if not top.exists():
        return [], manifest
    files = []
    for e in read_manifest(top):
        path = cache_path(repo, e.md5, False)
        size = e.size
        if size is None:
            try:
                size = path.stat().st_size
            except OSError:
                size = None
        files.append(transport.Obj(e.md5, path, size))
    return files, manifest


def workspace_matches(root: Path, pointer: Pointer) -> bool:
    """Whether the data in the working tree is exactly what ``pointer`` says (stat-cached)."""
    with open_repo(root) as repo:
        try:
            return not repo.status(targets=[str(root / pointer.dvc_file)])
        except Exception:
            return False


def cache_path(repo: Repo, md5: str, is_dir: bool) -> Path:
    return Path(repo.cache.local.oid_to_path(md5 + (".dir" if is_dir else "")))


def _missing(repo: Repo, pointer: Pointer) -> list[str]:
    top = cache_path(repo, pointer.md5, pointer.is_dir)
    if not top.exists():
        return [pointer.md5]
    if not pointer.is_dir:
        return []
    return [e.md5 for e in read_manifest(top) if not cache_path(repo, e.md5, False).exists()]


def read_manifest(path: Path) -> list[ManifestEntry]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [ManifestEntry(e["relpath"], e["md5"], e.get("size")) for e in entries]


def ensure_cached(repo: Repo, pointer: Pointer, rev: str, jobs: int | None = None) -> None:
    """Fetch the objects of ``pointer`` unless all are cached (``rev``: where it is committed)."""
    if not _missing(repo, pointer):
        return
    settings = remote_settings(Path(repo.root_dir))
    if settings is None:
        raise OperationFailed(
            f"the weights of {pointer.path} are not in the local cache and there is no remote to fetch them from",
            hint="set one: llmgit init --remote PATH|s3://...",
        )
    files, manifest = version_objects(repo, pointer)
    if manifest is not None and not manifest.path.exists():
        transport.fetch(repo, settings, [], manifest, jobs)  # the manifest names the files
        files, manifest = version_objects(repo, pointer)
    if manifest is None or manifest.path.exists():
        missing = [f for f in files if not f.path.exists()]
        if missing:
            transport.fetch(repo, settings, missing, None, jobs)
    if _missing(repo, pointer):
        raise OperationFailed(
            f"the weights of {pointer.path} are neither in the local cache nor on the remote",
            hint="push them from the machine that registered them ('dvc push'), then retry",
        )


def manifest(root: Path, pointer: Pointer, rev: str) -> list[ManifestEntry]:
    """Per-file manifest of the data (one entry for a single file)."""
    with open_repo(root) as repo:
        if not pointer.is_dir:
            return [ManifestEntry(Path(pointer.path).name, pointer.md5, pointer.size)]
        top = cache_path(repo, pointer.md5, True)
        if not top.exists():
            ensure_cached(repo, pointer, rev)
        return read_manifest(top)


def checkout(root: Path, pointer: Pointer, rev: str) -> None:
    """Make the working-tree data match the ``.dvc`` file already written at ``pointer``."""
    with open_repo(root) as repo:
        ensure_cached(repo, pointer, rev)
        try:
            repo.checkout(targets=[str(root / pointer.dvc_file)], force=True)
        except Exception as e:
            raise dvc_error("checkout", e) from None


def export(root: Path, pointer: Pointer, rev: str, dest: Path) -> list[Path]:
    """Write the data of ``pointer`` into ``dest`` from the cache (fetching if needed).

    Files are linked from the cache where possible (reflink, then hardlink) and copied
    otherwise; linked files are read-only, as in the DVC workspace.
    """
    with open_repo(root) as repo:
        ensure_cached(repo, pointer, rev)
        if pointer.is_dir:
            entries = read_manifest(cache_path(repo, pointer.md5, True))
        else:
            entries = [ManifestEntry(Path(pointer.path).name, pointer.md5)]
        pairs = [(cache_path(repo, e.md5, False), dest / e.relpath) for e in entries]
        linking.place(pairs)
        return [target for _, target in pairs]
