"""Stage branches: each stage's ``stage.yaml`` at the branch tip, read once per blob.

The stage branches are the source of truth for who holds each stage. A remote-tracking
branch ahead of the local one (a promotion merged on the server) wins, so a fresh ``fetch``
is enough to see it.

Every stage file is read through :mod:`llmgit.core.stagefile` within its bounds (a blob above
the size cap is refused before it is read); a malformed entry is left out with a ``warning:``
(``strict``: :class:`~llmgit.errors.BadRecord`), and :func:`problems` lists them for ``fsck``.
"""

from __future__ import annotations

import json
import os
import stat
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from llmgit.core import refs, stagefile
from llmgit.core.config import Settings
from llmgit.core.refs import ARCHIVED
from llmgit.core.stagefile import FSCK_HINT, BadEntry, StageFile
from llmgit.errors import SkippedRecord, StageFileError, UnknownReference, UsageError
from llmgit.infra import git
from llmgit.infra.files import write_atomic

MAX_WARNINGS = 10  # per stage file: a file of 100,000 malformed entries is not 100,000 lines


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


def stage_name(settings: Settings, stage: str) -> str:
    """I9: a stage as configured, whatever the case it is written in (``Production``)."""
    if not isinstance(stage, str):
        return stage
    folded = stage.strip().casefold()
    return next((s for s in settings.all_stages if s.casefold() == folded), stage)


def check_stage(settings: Settings, stage: str, *, holding: bool) -> str:
    """The configured name of ``stage`` (case-insensitive, I9); an error for an unknown stage,
    or for ``archived`` where a holding stage is needed."""
    stage = stage_name(settings, stage)
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


def read(root: Path, settings: Settings, stage: str, *, strict: bool = False) -> StageBranch:
    """A stage branch and its file; a malformed entry is left out with a ``warning:`` line
    (``strict``: it is a :class:`~llmgit.errors.BadRecord`)."""
    found = _read(root, settings, stage)
    report(found.file.bad, strict=strict)
    return found


def read_all(root: Path, settings: Settings, *, strict: bool = False) -> dict[str, StageBranch]:
    return {s: read(root, settings, s, strict=strict) for s in settings.all_stages}


def report(bad: Sequence[BadEntry], *, strict: bool) -> None:
    """Warn about each malformed entry left out (one place, so the same entry read twice in a
    command warns once), or raise the first under ``strict``."""
    if strict and bad:
        raise bad[0].error()
    for b in bad[:MAX_WARNINGS]:
        warn(b.warning())
    if len(bad) > MAX_WARNINGS:
        where = f"{bad[0].branch}:{stagefile.FILE}"
        warn(SkippedRecord(f"skipped {len(bad) - MAX_WARNINGS} more malformed entries of {where}", hint=FSCK_HINT))


def warn(warning: SkippedRecord) -> None:
    """Every stage record skipped is warned about from this one line: the CLI's warning filter
    shows a message once per place it is raised from, so one place shows each once."""
    warnings.warn(warning, stacklevel=1)


def problems(root: Path, settings: Settings) -> list[str]:
    """One line per malformed stage file or stage entry at the stage branches' tips (for
    ``fsck``), without warnings."""
    found = []
    for stage in settings.all_stages:
        try:
            sb = _read(root, settings, stage)
        except StageFileError as e:
            found.append(e.message)
            continue
        found.extend(f"{b.label}: {b.problem}" for b in sb.file.bad)
    return found


def _read(root: Path, settings: Settings, stage: str) -> StageBranch:
    tip, local = stage_tip(root, settings, stage)
    branch = branch_ref(settings, stage)
    if tip is None:
        return StageBranch(stage, branch, None, StageFile(stage), None)
    return StageBranch(stage, branch, tip, _parsed(root, tip, stage, refs.short(branch)), local)


def _cache_file(root: Path, blob: str) -> Path:
    return git.common_dir(root) / "llmgit" / "cache" / "stage-files" / f"{blob}.json"


def _remember(root: Path, blob: str, sf: StageFile) -> None:
    if sf.bad:
        return  # read again each time, so its entries left out are reported each time
    try:
        path = _cache_file(root, blob)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(stagefile.to_document(sf)).encode())
    except OSError:
        pass  # a read-only repository: no cache, same answers


def _cached(root: Path, blob: str, stage: str, branch: str) -> StageFile | None:
    """The cached parsed form, checked like the blob; None when missing or not usable (a
    regular file within the size cap only: a FIFO is never opened)."""
    path = _cache_file(root, blob)
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > stagefile.MAX_BYTES:
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            raw = f.read(stagefile.MAX_BYTES + 1)
        return stagefile.parse_json(raw, stage, branch)
    except (OSError, StageFileError):
        return None


def too_big(size: int, branch: str) -> StageFileError:
    return StageFileError(
        f"{branch}:{stagefile.FILE} is {size} bytes, above the limit of {stagefile.MAX_BYTES}",
        hint=f"repair it with a commit on '{branch}' (for example 'git revert' of the bad commit)",
    )


def _parsed(root: Path, tip: str, stage: str, branch: str) -> StageFile:
    """The stage file at ``tip``, parsed once per blob: YAML of a thousand models takes a
    noticeable fraction of a second, so the parsed form is cached as JSON under the git
    directory, keyed by the blob id (content-addressed: never stale), and read back through
    the same checks."""
    found = git.blob_sizes(root, [f"{tip}:{stagefile.FILE}"])[f"{tip}:{stagefile.FILE}"]
    if found is None:
        return stagefile.parse(None, stage, branch)
    blob, size = found
    if size > stagefile.MAX_BYTES:
        raise too_big(size, branch)
    cached = _cached(root, blob, stage, branch)
    if cached is not None:
        return cached
    parsed = stagefile.parse(git.read_blobs(root, [blob])[blob], stage, branch, strict=False)
    _remember(root, blob, parsed)
    return parsed


def stage_blob(root: Path, sf: StageFile) -> str:
    """Write ``sf`` as a blob (for a new stage commit) and remember it parsed; a file read
    with malformed entries left out is refused (:func:`stagefile.check_writable`)."""
    stagefile.check_writable(sf)
    blob = git.hash_object(root, stagefile.dump(sf).encode())
    _remember(root, blob, sf)
    return blob
