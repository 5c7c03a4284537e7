"""Stage branches: each stage's ``stage.yaml`` at the branch tip, read once per blob.

The stage branches are the source of truth for who holds each stage. A remote-tracking
branch ahead of the local one (a promotion merged on the server) wins, so a fresh ``fetch``
is enough to see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from llmgit.core import refs, stagefile
from llmgit.core.config import Settings
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import StageFile
from llmgit.errors import UnknownReference, UsageError
from llmgit.infra import git
from llmgit.infra.files import write_atomic


@dataclass(frozen=True)
class StageBranch:
    stage: str
    branch: str  # refs/heads/<prefix><stage>
    tip: str | None  # None when the stage has no branch yet
    file: StageFile
    local_tip: str | None = None  # what the local branch points to (may lag the remote)

    @property
    def short(self) -> str:
        return refs.short(self.branch)

    def with_tip(self, tip: str, file: StageFile) -> StageBranch:
        """This branch as it will be once ``tip`` (holding ``file``) is committed."""
        return replace(self, tip=tip, file=file)


def branch_ref(settings: Settings, stage: str) -> str:
    return refs.stage_branch_ref(settings.stage_branch_prefix, stage)


def check_stage(settings: Settings, stage: str, *, holding: bool) -> str:
    if stage == ARCHIVED and holding:
        raise UsageError(
            f"'{ARCHIVED}' is terminal: versions are archived when they leave their last stage",
            hint=f"promote to one of: {', '.join(settings.stages)}",
        )
    if stage not in settings.all_stages:
        raise UnknownReference(
            f"unknown stage '{stage}'", hint=f"stages in llmgit.yaml: {', '.join(settings.all_stages)}"
        )
    return stage


def tip_of(root: Path, remote: str, branch: str) -> tuple[str | None, str | None]:
    """(tip to build on, local tip) of a branch (short name). A remote-tracking branch ahead
    of the local one wins."""
    local = git.rev_parse(root, refs.HEADS + branch)
    tracking = git.rev_parse(root, refs.remote_ref(remote, branch))
    if tracking and (local is None or (local != tracking and git.is_ancestor(root, local, tracking))):
        return tracking, local
    return local, local


def stage_tip(root: Path, settings: Settings, stage: str) -> tuple[str | None, str | None]:
    return tip_of(root, settings.git_remote, refs.stage_branch(settings.stage_branch_prefix, stage))


def read(root: Path, settings: Settings, stage: str) -> StageBranch:
    tip, local = stage_tip(root, settings, stage)
    branch = branch_ref(settings, stage)
    if tip is None:
        return StageBranch(stage, branch, None, StageFile(stage), None)
    return StageBranch(stage, branch, tip, _parsed(root, tip, stage, refs.short(branch)), local)


def read_all(root: Path, settings: Settings) -> dict[str, StageBranch]:
    return {s: read(root, settings, s) for s in settings.all_stages}


def _cache_file(root: Path, blob: str) -> Path:
    return git.common_dir(root) / "llmgit" / "cache" / "stage-files" / f"{blob}.json"


def _remember(root: Path, blob: str, sf: StageFile) -> None:
    try:
        path = _cache_file(root, blob)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(stagefile.to_document(sf)).encode())
    except OSError:
        pass  # a read-only repository: no cache, same answers


def _parsed(root: Path, tip: str, stage: str, branch: str) -> StageFile:
    """The stage file at ``tip``, parsed once per blob: YAML of a thousand models takes a
    noticeable fraction of a second, so the parsed form is cached as JSON under the git
    directory, keyed by the blob id (content-addressed: never stale)."""
    blob = git.rev_parse(root, f"{tip}:{stagefile.FILE}")
    if blob is None:
        return stagefile.parse(None, stage, branch)
    try:
        doc = json.loads(_cache_file(root, blob).read_text(encoding="utf-8"))
        return stagefile.from_document(doc, stage, branch, trusted=True)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    parsed = stagefile.parse(git.read_blobs(root, [blob])[blob], stage, branch)
    _remember(root, blob, parsed)
    return parsed


def stage_blob(root: Path, sf: StageFile) -> str:
    """Write ``sf`` as a blob (for a new stage commit) and remember it parsed."""
    blob = git.hash_object(root, stagefile.dump(sf).encode())
    _remember(root, blob, sf)
    return blob
