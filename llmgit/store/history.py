"""Reading stage history: how ``stage.yaml`` changed along each stage branch's first-parent
line, so a promotion merged as a merge commit, squashed or rebased reads the same."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import history, refs, stagefile
from llmgit.core.config import Settings
from llmgit.core.history import HistoryEvent, Landed
from llmgit.core.stagefile import StageFile
from llmgit.errors import UsageError
from llmgit.infra import git
from llmgit.store.branches import stage_tip


def read(root: Path, settings: Settings, name: str | None = None) -> list[HistoryEvent]:
    """Every stage change (of one model, or all), oldest first."""
    events: list[HistoryEvent] = []
    for stage in settings.all_stages:
        tip, _ = stage_tip(root, settings, stage)
        if tip is None:
            continue
        commits = list(reversed(git.first_parent_log(root, tip)))
        blobs = git.read_blobs(root, [f"{c.commit}:{stagefile.FILE}" for c in commits])
        previous = StageFile(stage)
        branch = refs.stage_branch(settings.stage_branch_prefix, stage)
        for c in commits:
            blob = blobs[f"{c.commit}:{stagefile.FILE}"]
            try:
                current = (
                    stagefile.parse_model(blob, stage, branch, name) if name else stagefile.parse(blob, stage, branch)
                )
            except UsageError:
                continue  # a broken intermediate state: compare the next good one with the last
            landed = Landed(c.commit, c.date, c.committer, c.subject)
            events.extend(history.changes(stage, previous, current, landed, name))
            previous = current
    events.sort(key=lambda e: e.when)
    return events
