"""Reading stage history: how ``stage.yaml`` changed along each stage branch's first-parent
line, so a promotion merged as a merge commit, squashed or rebased reads the same.

Every commit's file is read within the stage file's bounds (sizes are checked before any blob
is read). A commit whose file cannot be read is skipped with a ``warning:`` and the next good
one is compared with the last; a malformed entry keeps the model's previous entry, so it
shows as no change rather than as a removal and a return (``strict``: either is a
:class:`~llmgit.errors.BadRecord`).
"""

from __future__ import annotations

from pathlib import Path

from llmgit.core import history, refs, stagefile
from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent, Landed
from llmgit.core.stagefile import StageFile
from llmgit.errors import BadRecord, SkippedRecord, StageFileError
from llmgit.infra import git
from llmgit.store.branches import report, stage_tip, too_big, warn

_FIX = "the commits after it are read as usual; if it is the tip, repair it with a commit on '{}'"


def read(root: Path, settings: Settings, name: str | None = None, *, strict: bool = False) -> list[HistoryEvent]:
    """Every stage change (of one model, or all), oldest first."""
    events: list[HistoryEvent] = []
    for stage in settings.all_stages:
        tip, _ = stage_tip(root, settings, stage)
        if tip is not None:
            branch = refs.stage_branch(settings.stage_branch_prefix, stage)
            events.extend(_stage_events(root, stage, branch, tip, name, strict))
    events.sort(key=lambda e: e.when)
    return events


def _stage_events(root: Path, stage: str, branch: str, tip: str, name: str | None, strict: bool) -> list[HistoryEvent]:
    commits = list(reversed(git.first_parent_log(root, tip)))
    specs = [f"{c.commit}:{stagefile.FILE}" for c in commits]
    sizes = git.blob_sizes(root, specs)
    wanted = sorted({found[0] for found in sizes.values() if found and found[1] <= stagefile.MAX_BYTES})
    blobs = git.read_blobs(root, wanted)
    previous = StageFile(stage)
    reported: set[tuple[object, int | None, str]] = set()
    events: list[HistoryEvent] = []
    for c, spec in zip(commits, specs, strict=True):
        found = sizes[spec]
        if found is None:
            continue  # no stage file (a commit before the first transition): nothing to compare
        label = c.commit[:12]  # "<commit>:stage.yaml" is how git names the file
        try:
            if found[1] > stagefile.MAX_BYTES:
                raise too_big(found[1], label)
            blob = blobs[found[0]]
            if name:
                current = stagefile.parse_model(blob, stage, label, name, strict=False)
            else:
                current = stagefile.parse(blob, stage, label, strict=False)
        except StageFileError as e:
            if strict:
                raise BadRecord(f"commit {label} of {branch}: {e.message}", hint=_FIX.format(branch)) from None
            warn(SkippedRecord(f"skipped commit {label} of {branch}: {e.message}"))
            continue
        new = [b for b in current.bad if (b.model, b.index, b.problem) not in reported]
        reported.update((b.model, b.index, b.problem) for b in new)
        report(new, strict=strict)
        current = history.carry_bad(previous, current)
        landed = Landed(c.commit, c.date, c.committer, c.subject)
        events.extend(history.changes(stage, previous, current, landed, name))
        previous = current
    return events
