"""Branch ``llmgit/mlflow``: the notes MLflow's registry keeps beside llmgit's version tags
(:mod:`llmgit.core.mlflownotes`), one file per model, one commit per change.

Each file is read within its bounds (a blob above the cap is refused before it is read); a
malformed record is left out with a ``warning:``, and notes read with records left out are not
rewritten: the rewrite would drop them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import mlflownotes, refs
from llmgit.core.mlflownotes import ModelNotes
from llmgit.core.plan import Plan
from llmgit.errors import SkippedRecord, UsageError
from llmgit.infra import git
from llmgit.store.branches import tip_of, warn
from llmgit.store.commits import commit_on

HINT = "repair it with a commit on that branch (for example 'git revert')"


@dataclass(frozen=True)
class Notes:
    """The branch as read: its tip (to build on), the local tip (to move), and the files read."""

    tip: str | None
    local_tip: str | None
    models: dict[str, ModelNotes]


def _tips(root: Path, remote: str) -> tuple[str | None, str | None]:
    return tip_of(root, remote, mlflownotes.BRANCH)


def problems(root: Path, remote: str) -> list[str]:
    """One line per malformed record of the branch, or for a file that cannot be read (for ``fsck``)."""
    tip, _ = _tips(root, remote)
    if tip is None:
        return []
    names = [n for f in git.tree_names(root, f"{tip}:{mlflownotes.DIR}") if (n := mlflownotes.name_of(f"models/{f}"))]
    try:
        found = _read(root, tip, names, warn_bad=False)
    except UsageError as e:
        return [e.message]
    return [problem for n in found.values() for problem in n.bad]


def _read(root: Path, tip: str | None, names: Sequence[str], *, warn_bad: bool = True) -> dict[str, ModelNotes]:
    if tip is None:
        return {n: mlflownotes.empty(n) for n in names}
    specs = {n: f"{tip}:{mlflownotes.path(n)}" for n in names}
    sizes = git.blob_sizes(root, list(specs.values()))
    big = [n for n, s in specs.items() if (found := sizes[s]) is not None and found[1] > mlflownotes.MAX_BYTES]
    if big:
        raise UsageError(
            f"{mlflownotes.BRANCH}:{mlflownotes.path(big[0])} is above the limit of {mlflownotes.MAX_BYTES} bytes",
            hint=HINT,
        )
    wanted = [s for s in specs.values() if sizes[s] is not None]
    blobs = git.read_blobs(root, wanted)
    out = {}
    for n, s in specs.items():
        notes = mlflownotes.parse(n, blobs.get(s))
        for problem in notes.bad[:5] if warn_bad else ():
            warn(SkippedRecord(f"skipped a record of {mlflownotes.BRANCH}: {problem}", hint=HINT))
        out[n] = notes
    return out


def read(root: Path, remote: str, names: Sequence[str]) -> Notes:
    """The notes of the models ``names`` (empty notes for a model without a file)."""
    tip, local = _tips(root, remote)
    return Notes(tip, local, _read(root, tip, names))


def read_all(root: Path, remote: str) -> Notes:
    """The notes of every model that has a file on the branch."""
    tip, local = _tips(root, remote)
    if tip is None:
        return Notes(tip, local, {})
    names = [n for f in git.tree_names(root, f"{tip}:{mlflownotes.DIR}") if (n := mlflownotes.name_of(f"models/{f}"))]
    return Notes(tip, local, _read(root, tip, names))


def commit(root: Path, notes: Notes, changed: Sequence[ModelNotes], message: str) -> Plan:
    """Record ``changed`` as one new commit on the branch: the ref move (refused for a file
    read with records left out: the rewrite would drop them)."""
    for n in changed:
        if n.bad:
            raise UsageError(
                f"{mlflownotes.BRANCH}:{mlflownotes.path(n.name)} has malformed records; llmgit will not rewrite it",
                hint=HINT,
            )
    files = {mlflownotes.path(n.name): git.hash_object(root, mlflownotes.dump(n).encode()) for n in changed}
    new = commit_on(root, notes.tip, files, message)
    return Plan.move(refs.HEADS + mlflownotes.BRANCH, new, notes.local_tip)
