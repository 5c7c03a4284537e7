"""The git remote: atomic pushes with leases, and a fetch that brings stage branches and
moved stage tags without ever overwriting a version tag."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import refs
from llmgit.core.plan import ZERO, PushSpec, RefUpdate
from llmgit.errors import OperationFailed, UsageError
from llmgit.infra import git, gitrefs


def require_remote(root: Path, remote: str) -> str:
    url = git.remote_url(root, remote)
    if url is None:
        raise UsageError(
            f"this repository has no git remote '{remote}'",
            hint="add one with 'git remote add origin URL', or set git_remote in llmgit.yaml",
        )
    return url


def push(root: Path, remote: str, specs: Sequence[PushSpec]) -> None:
    """One ``git push --atomic``: every ref moves or none does."""
    if not specs:
        return
    require_remote(root, remote)
    args = ["push", "--atomic", "--porcelain", "--quiet"]
    refspecs = []
    for s in specs:
        if s.lease is not None:
            args.append(f"--force-with-lease={s.ref}:{s.lease}")
        refspecs.append(f":{s.ref}" if s.new is None else f"{'+' if s.lease is not None else ''}{s.new}:{s.ref}")
    proc = git.run(root, [*args, remote, *refspecs], check=False)
    if proc.returncode != 0:
        text = (proc.stdout + proc.stderr).decode(errors="replace")
        rejected = [ln.split("\t")[1].split(":")[-1] for ln in text.splitlines() if ln.startswith("!") and "\t" in ln]
        if rejected or "rejected" in text or "stale info" in text:
            names = ", ".join(refs.short(r) for r in rejected)
            raise OperationFailed(
                f"the push to '{remote}' was rejected"
                + (f" ({names})" if names else "")
                + ": another clone changed it first; nothing was changed here or there",
                hint="run 'llmgit fetch', look at 'llmgit stages', then retry",
            )
        last = [ln for ln in text.strip().splitlines() if ln.strip()]
        raise OperationFailed(
            f"git push to '{remote}' failed: {last[-1] if last else 'unknown error'}",
            hint="nothing was pushed; check the remote and retry",
        )


@dataclass(frozen=True)
class FetchResult:
    stage_branches: tuple[str, ...]  # local stage branches fast-forwarded
    stage_tags: tuple[str, ...]  # NAME#STAGE tags moved, created or deleted
    version_tags: tuple[str, ...]  # new version tags
    conflicts: tuple[str, ...]  # version tags that differ from the remote's (left alone)


def fetch(root: Path, remote: str, prefix: str) -> FetchResult:
    """Bring stage branches, new version tags and (forced) stage tags from the remote."""
    require_remote(root, remote)
    git.run(
        root,
        [
            "fetch",
            "--prune",
            "--quiet",
            remote,
            f"+{refs.HEADS}{prefix}*:{refs.remote_ref(remote, prefix)}*",
            f"+{refs.TAGS}*:{refs.MIRROR}*",
        ],
    )
    mirrored = {t.ref[len(refs.MIRROR) :]: t for t in gitrefs.list_ref_targets(root, [refs.MIRROR])}
    local = {t.ref[len(refs.TAGS) :]: t for t in gitrefs.list_ref_targets(root, [refs.TAGS])}
    updates: list[RefUpdate] = []
    moved, new_versions, conflicts = [], [], []
    for name, t in sorted(mirrored.items()):
        mine = local.get(name)
        if refs.parse_stage_tag(name):
            if mine is None or mine.oid != t.oid:
                updates.append(RefUpdate(refs.TAGS + name, t.oid, mine.oid if mine else ZERO))
                moved.append(name)
        elif mine is None:
            updates.append(RefUpdate(refs.TAGS + name, t.oid, ZERO))
            if refs.parse_version_tag(name):
                new_versions.append(name)
        elif mine.oid != t.oid and refs.parse_version_tag(name):
            conflicts.append(name)
    for name, mine in local.items():  # stage tags deleted on the remote
        if refs.parse_stage_tag(name) and name not in mirrored:
            updates.append(RefUpdate(refs.TAGS + name, None, mine.oid))
            moved.append(name)
    forwarded = []
    checked_out = git.current_branch(root)
    tracking = refs.remote_ref(remote, "")
    for t in gitrefs.list_ref_targets(root, [tracking + prefix]):
        short = t.ref[len(tracking) :]
        mine_tip = git.rev_parse(root, refs.HEADS + short)
        if mine_tip == t.commit or refs.HEADS + short == checked_out:
            continue  # up to date, or checked out (never move the branch under a work tree)
        if mine_tip is None or git.is_ancestor(root, mine_tip, t.commit):
            updates.append(RefUpdate(refs.HEADS + short, t.commit, mine_tip or ZERO))
            forwarded.append(short)
    if updates:
        git.update_refs(root, updates)
    return FetchResult(tuple(forwarded), tuple(moved), tuple(new_versions), tuple(conflicts))
