"""``register``: validate everything, ``dvc add``, write the card, commit only the model's
files and create the version tag, all or nothing.
"""

from __future__ import annotations

import dataclasses
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from llmgit.core import card, refs
from llmgit.core import pointer as pointer_file
from llmgit.core.ident import iso_time
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.core.plan import ZERO, RefUpdate
from llmgit.core.release import VERSION
from llmgit.core.summary import tag_message
from llmgit.errors import LlmgitWarning
from llmgit.infra import git
from llmgit.infra.files import read_input, write_atomic
from llmgit.register.plan import RegisterPlan, already_registered, committed_card, plan, working_card
from llmgit.register.provenance import ENV_HINT, gto_warning
from llmgit.register.request import RegisterRequest
from llmgit.store import cards
from llmgit.store.commits import prepare_commit, require_branch
from llmgit.store.store import Store
from llmgit.weights import ingest


@dataclass
class _Snapshot:
    """Working-tree files register may change, to put back if it fails."""

    contents: dict[Path, bytes | None] = field(default_factory=dict)
    new_dirs: list[Path] = field(default_factory=list)

    def keep(self, path: Path) -> None:
        self.contents[path] = path.read_bytes() if path.is_file() else None
        missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
        self.new_dirs.extend(missing)  # deepest first

    def restore(self) -> None:
        for path, data in self.contents.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomic(path, data)
        for d in self.new_dirs:
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()


@dataclass
class _IndexSnapshot:
    """Index entries register may change, to put back if it fails."""

    entries: dict[str, tuple[str, str] | None] = field(default_factory=dict)

    def keep(self, root: Path, paths: list[str]) -> None:
        self.entries = {p: git.index_entry(root, p) for p in paths}

    def restore(self, root: Path) -> None:
        gone = [p for p, e in self.entries.items() if e is None]
        if gone:
            git.remove_index_entries(root, gone)
        back = {p: e for p, e in self.entries.items() if e is not None}
        if back:
            git.set_index_entries(
                root, {p: oid for p, (_mode, oid) in back.items()}, {p: m for p, (m, _) in back.items()}
            )


def _index_entries(
    root: Path, head: str | None, files: dict[str, str], card_rel: str, pointer_rel: str, ignore_rel: str
) -> dict[str, str]:
    """The index entries that follow the new commit: the card and the pointer, and the
    ``.gitignore`` when the user has no staged change of their own in it."""
    ours = {card_rel: files[card_rel], pointer_rel: files[pointer_rel]}
    if ignore_rel in files:
        index_before = git.index_entry(root, ignore_rel)
        head_ignore = git.blob_ids(root, [f"{head}:{ignore_rel}"]).get(f"{head}:{ignore_rel}") if head else None
        if index_before is None and head_ignore is None or index_before is not None and index_before[1] == head_ignore:
            ours[ignore_rel] = files[ignore_rel]
    return ours


def _dataset_version(reg: Store, req: RegisterRequest) -> str | None:
    if req.dataset_version is not None or not req.dataset:
        return req.dataset_version
    pointer = reg.cwd / f"{req.dataset}.dvc"
    if pointer.is_file():  # a DVC-tracked dataset in this repo: its content hash
        return "md5:" + pointer_file.parse(read_input(pointer, "dataset pointer"), req.dataset).md5
    return None


def register(reg: Store, req: RegisterRequest) -> ModelVersion:
    # 0. a rerun of a registration that completed (killed before it could say so) is done
    done = already_registered(reg, req)
    if done is not None:
        warnings.warn(
            LlmgitWarning(f"{done.tag} is already registered from these weights and this card; nothing changed"),
            stacklevel=2,
        )
        return done
    # 1. validate every input before anything changes
    root = reg.root
    p = plan(reg, req)
    _warn(reg, req, p)
    branch = require_branch(root)
    rel, copy_from, metrics, params = p.weights, p.copy_from, p.metrics, p.params
    version, tag = p.version, p.tag
    who = git.ident(root)
    created = iso_time(who)
    card_rel = refs.card_path(req.name)
    card_file = root / card_rel
    base = working_card(reg, req.name)
    dataset_version = _dataset_version(reg, req)
    head_before = git.rev_parse(root, branch)
    committed = committed_card(reg, req.name, base, head_before)

    # 2. apply, remembering what to put back
    snap = _Snapshot()
    index = _IndexSnapshot()
    data = root / rel
    ignore_file = data.parent / ".gitignore"
    for path in (card_file, root / f"{rel}.dvc", ignore_file):
        snap.keep(path)
    copied = False
    try:
        if copy_from is not None:
            if data.exists():
                shutil.rmtree(data) if data.is_dir() else data.unlink()
            data.parent.mkdir(parents=True, exist_ok=True)
            if copy_from.is_dir():
                shutil.copytree(copy_from, data)
            else:
                data.mkdir()
                shutil.copy2(copy_from, data / copy_from.name)
            copied = True
        pointer = ingest.add(root, rel)
        weights = WeightsInfo(rel, pointer.md5, pointer.size, pointer.nfiles, pointer.is_dir)
        run = card.Run(
            name=req.name,
            version=version,
            date=created,
            weights={
                "path": rel,
                "md5": pointer.md5,
                "size": pointer.size,
                "files": pointer.nfiles,
                "dir": pointer.is_dir,
            },
            provenance={
                "git_commit": head_before,
                "git_branch": branch.removeprefix(refs.HEADS),
                "author": who.who,
                "created": created,
                "dataset_version": dataset_version,
                "llmgit_version": VERSION,
                "worktree": p.provenance.tree.to_card(),
                "environment": p.provenance.environment.to_card(),
            },
            params=params,
            metrics=metrics,
            description=req.description,
            message=req.message,
            base_model=req.base_model,
            base_model_relation=p.relation,
            resources=req.resources,
            dataset=req.dataset,
            dataset_version=dataset_version,
        )
        text = cards.dump(card.build(base, committed, run))
        card_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(card_file, text.encode())
        files = {
            card_rel: git.hash_object(root, card_file.read_bytes()),
            f"{rel}.dvc": git.hash_object(root, (root / f"{rel}.dvc").read_bytes()),
        }
        ignore_rel = ignore_file.relative_to(root).as_posix()
        ignore_blob = _committed_gitignore(root, head_before, ignore_rel, f"/{data.name}")
        if ignore_blob:
            files[ignore_rel] = ignore_blob
        v = ModelVersion(
            name=req.name,
            version=version,
            tag=tag,
            commit="",
            weights=weights,
            metrics=metrics,
            params=params,
            author=who.who,
            created=created,
            message=req.message,
        )
        subject = f"llmgit: register {tag}" + (f"\n\n{req.message}" if req.message else "")
        head, commit = prepare_commit(root, branch, files, subject + "\n")
        if commit is None:  # identical files: still a new version, on an empty commit
            commit = git.commit_tree(
                root, git.out(root, ["rev-parse", f"{head}^{{tree}}"]).strip(), [head] if head else [], subject + "\n"
            )
        tag_obj = git.make_tag(root, commit, tag, tag_message(v), who)
        # 3. the index follows the new commit for llmgit's own files only, before the refs
        # move (I7): killed in between, the index stages the registration, never its revert
        ours = _index_entries(root, head, files, card_rel, f"{rel}.dvc", ignore_rel)
        index.keep(root, list(ours))
        git.set_index_entries(root, ours)
        git.update_refs(root, [RefUpdate(branch, commit, head or ZERO), RefUpdate(refs.TAGS + tag, tag_obj, ZERO)])
    except BaseException:
        index.restore(root)
        snap.restore()
        if copied:
            shutil.rmtree(data, ignore_errors=True)
        raise
    return dataclasses.replace(v, commit=commit)


def _warn(reg: Store, req: RegisterRequest, p: RegisterPlan) -> None:
    """What the card cannot make right by itself: say it before registering."""
    env = p.provenance.environment
    if env.source == "llmgit":
        why = env.details.get("note") or "nothing named it and the repository has no lock or requirements file"
        warnings.warn(
            LlmgitWarning(f"the card records llmgit's own environment, not the training environment: {why}", ENV_HINT),
            stacklevel=3,
        )
    gto = gto_warning(reg, req.name)
    if gto is not None:
        warnings.warn(gto, stacklevel=3)


def _committed_gitignore(root: Path, head: str | None, rel: str, entry: str) -> str | None:
    """The .gitignore blob to commit: HEAD's content plus DVC's entry for the weights, so
    the user's uncommitted edits to that file never ride along. None when HEAD has it."""
    base = (git.read_blob(root, head, rel) if head else None) or b""
    text = base.decode()
    if entry in text.splitlines():
        return None
    if text and not text.endswith("\n"):
        text += "\n"
    return git.hash_object(root, f"{text}{entry}\n".encode())
