"""The DVC adapter: every call into DVC's Python API that is not moving objects. DVC is heavy
to import, so it is imported inside functions; its chatter is silenced (llmgit's CLI reports
instead) and its failures become one line (:func:`dvc_error`)."""

from __future__ import annotations

import configparser
import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmgit.core.pointer import Pointer
from llmgit.errors import OperationFailed
from llmgit.weights import cache

if TYPE_CHECKING:
    from dvc.repo import Repo

REMOTE_NAME = "storage"


def _quiet() -> None:
    """Import DVC with analytics off and its INFO chatter silenced (it sets INFO on import)."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    import dvc  # noqa: F401, PLC0415  (heavy: loaded only for commands that need DVC)

    for name in ("dvc", "dvc_objects", "dvc_data"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # llmgit reports DVC failures itself, as one error line
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[Repo]:
    cache.share_worktree_cache(root)  # a linked work tree's weights go to the main work tree's cache
    _quiet()
    from dvc.repo import Repo  # noqa: PLC0415  (heavy third-party: loaded on use)

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
    """One line for a DVC failure (DVC raises many exception types)."""
    text = str(exc).strip().splitlines()
    return OperationFailed(f"dvc {action} failed: {text[0] if text else type(exc).__name__}")


def cache_dir_of(repo: Repo) -> Path:
    """The cache directory DVC itself uses for ``repo`` (objects live under ``files/md5``)."""
    return Path(repo.cache.local.path).parent.parent


def is_initialized(root: Path) -> bool:
    return (root / ".dvc").is_dir()


def init(root: Path) -> None:
    """``dvc init`` in ``root`` (a git work tree)."""
    _quiet()
    from dvc.repo import Repo  # noqa: PLC0415  (heavy third-party: loaded on use)

    try:
        Repo.init(str(root)).close()
    except Exception as e:  # DVC raises many types; any of them means init failed
        raise dvc_error("init", e) from None


def configure(root: Path, *, cache_type: str, remote: str | None, local_remote: bool, endpoint_url: str | None) -> None:
    """Set the cache type, analytics and (if given) the default remote.

    A remote given by the user goes into ``.dvc/config`` (committed); the machine-local
    default remote goes into ``.dvc/config.local`` (never committed).
    """
    with open_repo(root) as repo:
        with repo.config.edit("repo") as conf:
            conf["core"]["analytics"] = False
            conf["cache"]["type"] = cache_type
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
    settings = remote_settings(root)
    return str(settings["url"]) if settings is not None else None


def checkout(repo: Repo, root: Path, pointer: Pointer) -> None:
    """Make the working-tree data match the ``.dvc`` file already written at ``pointer``
    (every object is in the cache by now)."""
    try:
        repo.checkout(targets=[str(root / pointer.dvc_file)], force=True)
    except Exception as e:  # DVC raises many types
        raise dvc_error("checkout", e) from None
