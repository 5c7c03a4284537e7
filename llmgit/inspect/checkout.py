"""``checkout``: a version's weights into a directory, or its card and weights back into
the working tree, never destroying unsaved work."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from llmgit.core import pointer as pointer_file
from llmgit.core import refs
from llmgit.core.model import ModelVersion
from llmgit.core.paths import in_git_dir, safe_relpath, show
from llmgit.core.pointer import Pointer
from llmgit.errors import BadRecord, OperationFailed, UnknownReference, UsageError, WouldLoseWork
from llmgit.infra import git
from llmgit.infra.files import write_atomic
from llmgit.store.purged import refuse_read
from llmgit.store.store import Store
from llmgit.weights import cache, fetch, workspace
from llmgit.weights.integrity import signatures


@dataclass(frozen=True)
class CheckoutResult:
    version: ModelVersion
    destination: Path  # the export directory, or the weights path in the working tree
    files: int
    in_place: bool


def _pointer(reg: Store, v: ModelVersion) -> Pointer:
    if v.weights is None:
        raise UnknownReference(f"version {v.tag} records no weights")
    if safe_relpath(v.weights.path) != v.weights.path or in_git_dir(v.weights.path):
        raise BadRecord(
            f"{v.tag} names its weights path {show(v.weights.path)}, which is not a relative path inside the repository",
            hint="whoever pushed its tag must replace it; llmgit fsck lists malformed records",
        )
    text = git.read_blob(reg.root, v.commit, f"{v.weights.path}.dvc")
    if text is None:
        raise OperationFailed(f"version {v.tag} has no DVC pointer at {v.weights.path}.dvc")
    return pointer_file.parse(text, v.weights.path)


def checkout(reg: Store, reference: str, to: Path | None, *, force: bool, link: bool = False) -> CheckoutResult:
    """``to``: export into that directory (files of their own; ``link``: read-only hard links
    to the cache where possible); None: the version's card and weights into the working tree."""
    v = reg.get(reference)
    pointer = _pointer(reg, v)
    if cache.cached_files(reg.root, pointer) is None:  # a download ahead: fail fast on purged or archived weights
        refuse_read(reg.root, reg.ledger(), v)
        fetch.require_readable(reg.root, v)
    if to is not None:
        dest = to if to.is_absolute() else reg.cwd / to
        if dest.exists() and not dest.is_dir():
            raise WouldLoseWork(f"'{to}' exists and is not a directory")
        if dest.is_dir() and any(dest.iterdir()) and not force:
            raise WouldLoseWork(f"'{to}' is not empty", hint="choose an empty directory, or pass --force to overwrite")
        written = fetch.export(reg.root, pointer, dest, v.tag, link=link)
        return CheckoutResult(v, dest, len(written), in_place=False)
    if link:
        raise UsageError("--link applies to an export (--to DIR)", hint="the working tree never links to the cache")
    return _in_place(reg, v, pointer, force=force)


def _in_place(reg: Store, v: ModelVersion, pointer: Pointer, *, force: bool) -> CheckoutResult:
    root = reg.root
    card_rel = refs.card_path(v.name)
    _check_targets(root, v.tag, pointer, card_rel)  # before anything is read or written there
    card_blob = git.read_blob(root, v.commit, card_rel)
    if not force:
        _check_card_saved(reg, v.name, card_rel)
        _check_weights_saved(reg, pointer)
    dvc_file = root / pointer.dvc_file
    card_file = root / card_rel
    before = {p: (p.read_bytes() if p.is_file() else None) for p in (dvc_file, card_file)}
    try:
        dvc_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(dvc_file, git.read_blob(root, v.commit, pointer.dvc_file) or b"")
        if card_blob is not None:
            card_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(card_file, card_blob)
        _ensure_ignored(root / pointer.path)
        fetch.checkout(root, pointer, v.tag)
    except BaseException:
        for path, data in before.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, data)
        raise
    return CheckoutResult(v, root / pointer.path, pointer.nfiles, in_place=True)


def _check_targets(root: Path, label: str, pointer: Pointer, card_rel: str) -> None:
    """Every path an in-place checkout writes (the data, its ``.dvc`` file, the ``.gitignore``
    beside them, the card) stays inside the repository: no folder on the way is a symbolic link
    out of it, and neither is the file itself (its content is read before it is replaced)."""
    parent = PurePosixPath(pointer.path).parent
    workspace.target_in(root, pointer.path, label, replace_folder=True)
    for rel in (pointer.dvc_file, (parent / ".gitignore").as_posix(), card_rel):
        target = workspace.target_in(root, rel, label)
        if target.is_symlink() and not workspace.leads_into(target, root):
            raise UsageError(
                f"'{target}' is a symbolic link out of the repository: llmgit writes {rel} of {label} only inside it",
                hint="remove the link, then run the checkout again",
            )


def _check_card_saved(reg: Store, name: str, card_rel: str) -> None:
    path = reg.root / card_rel
    if not path.is_file():
        return
    current = git.hash_file(reg.root, path)
    known = git.blob_ids(reg.root, [f"{v.commit}:{card_rel}" for v in reg.versions(name)])
    head = git.blob_ids(reg.root, [f"HEAD:{card_rel}"]) if git.rev_parse(reg.root, "HEAD") else {}
    if current not in {*known.values(), *head.values()}:
        raise WouldLoseWork(
            f"{card_rel} has edits that no version holds",
            hint="commit or register them first, or pass --force to discard them",
        )


def _check_weights_saved(reg: Store, pointer: Pointer) -> None:
    root = reg.root
    data = root / pointer.path
    dvc_file = root / pointer.dvc_file
    if not data.exists():
        return
    if not dvc_file.is_file():
        raise WouldLoseWork(
            f"'{pointer.path}' holds weights that are not registered",
            hint="register them first, or pass --force to overwrite them",
        )
    current = pointer_file.parse(dvc_file.read_text(encoding="utf-8"), pointer.path)
    registered = {v.weights.md5 for v in reg.versions_all() if v.weights is not None}
    if current.md5 not in registered or not workspace.matches(root, current, signatures(root)):
        raise WouldLoseWork(
            f"the weights in '{pointer.path}' differ from every registered version",
            hint="register them first, or pass --force to overwrite them",
        )


def _ensure_ignored(data: Path) -> None:
    ignore = data.parent / ".gitignore"
    entry = f"/{data.name}"
    text = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
    if entry not in text.splitlines():
        if text and not text.endswith("\n"):
            text += "\n"
        write_atomic(ignore, f"{text}{entry}\n".encode())
