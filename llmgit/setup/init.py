"""``llmgit init``: DVC, a link-first cache, a storage remote and ``llmgit.yaml``, committed."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import config
from llmgit.errors import UsageError
from llmgit.store.commits import commit_files, require_branch
from llmgit.store.store import Store, load_settings
from llmgit.weights import dvc
from llmgit.weights.linking import cache_types

INIT_FILES = (config.CONFIG_FILE, ".dvc/config", ".dvc/.gitignore", ".dvcignore")


@dataclass(frozen=True)
class InitResult:
    root: Path
    remote: str
    remote_is_default: bool
    created: bool  # False when the registry already existed
    commit: str | None  # the commit recording the set-up, None when nothing changed


def default_remote_dir(root: Path) -> Path:
    """A machine-local directory outside the work tree, one per repository."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:8]
    return base / "llmgit" / "remotes" / f"{root.name}-{digest}"


def init(reg: Store, *, remote: str | None, endpoint_url: str | None) -> InitResult:
    root = reg.root
    branch = require_branch(root)
    if remote is not None and not remote.strip():
        raise UsageError("--remote is empty")
    if endpoint_url and not (remote or "").startswith("s3://"):
        raise UsageError("--endpoint-url only applies to an s3:// remote")
    if remote and "://" not in remote:
        remote_path = Path(remote).expanduser()
        remote_path = remote_path if remote_path.is_absolute() else (reg.cwd / remote_path)
        if remote_path.resolve().is_relative_to(root):
            raise UsageError(
                f"the remote '{remote}' is inside the work tree", hint="put the storage remote outside the repository"
            )
        remote = str(remote_path.resolve())
    existed = (root / config.CONFIG_FILE).is_file()
    if existed:
        load_settings(root)  # an invalid existing file is reported, not overwritten
    had_dvc = dvc.is_initialized(root)
    had_dvcignore = (root / ".dvcignore").exists()
    try:
        if not had_dvc:
            dvc.init(root)
        is_default = False
        if remote is None:
            current = dvc.default_remote(root)
            if current is None:
                path = default_remote_dir(root)
                path.mkdir(parents=True, exist_ok=True)
                dvc.configure(
                    root, cache_type=cache_types(root), remote=str(path), local_remote=True, endpoint_url=None
                )
                current, is_default = str(path), True
            else:
                dvc.configure(root, cache_type=cache_types(root), remote=None, local_remote=False, endpoint_url=None)
            remote = current
        else:
            dvc.configure(
                root, cache_type=cache_types(root), remote=remote, local_remote=False, endpoint_url=endpoint_url
            )
        if not existed:
            (root / config.CONFIG_FILE).write_text(config.DEFAULT_TEXT, encoding="utf-8")
        commit = commit_files(
            root, branch, [p for p in INIT_FILES if (root / p).exists()], "llmgit: set up the model registry\n"
        )
    except BaseException:
        if not had_dvc:
            shutil.rmtree(root / ".dvc", ignore_errors=True)
            if not had_dvcignore:
                (root / ".dvcignore").unlink(missing_ok=True)
        if not existed:
            (root / config.CONFIG_FILE).unlink(missing_ok=True)
        raise
    return InitResult(root, remote, is_default, not existed, commit)
