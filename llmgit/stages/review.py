"""``review``: what a proposed change to a stage branch does, as Markdown for the PR."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmgit.core import diff_format, refs, stagefile
from llmgit.core import markdown as md
from llmgit.core.compare import FieldChange, VersionDiff
from llmgit.core.metric_delta import MetricDelta, metric_deltas
from llmgit.core.model import ModelVersion
from llmgit.errors import LlmgitError, UnknownReference, UsageError
from llmgit.infra import git, gitrefs
from llmgit.store import cards
from llmgit.store.branches import check_stage, too_big
from llmgit.store.branches import read as read_branch
from llmgit.store.diffs import diff
from llmgit.store.store import Store
from llmgit.weights import listing
from llmgit.weights.push import remote_check
from llmgit.weights.remote import find


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ModelChange:
    model: str
    old: ModelVersion | None
    new: ModelVersion | None
    metrics: tuple[MetricDelta, ...]
    card: tuple[FieldChange, ...]
    checks: tuple[Check, ...]
    diff: VersionDiff | None = None  # when both an old and a new version exist


@dataclass(frozen=True)
class Review:
    stage: str
    base: str | None
    head: str
    changes: tuple[ModelChange, ...]
    markdown: str

    @property
    def ok(self) -> bool:
        return all(c.ok for ch in self.changes for c in ch.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "base": self.base,
            "head": self.head,
            "ok": self.ok,
            "changes": [
                {
                    "model": c.model,
                    "old": c.old.version if c.old else None,
                    "new": c.new.version if c.new else None,
                    "metrics": [m.to_json() for m in c.metrics],
                    "card": [f.to_json() for f in c.card],
                    "checks": [{"name": k.name, "ok": k.ok, "detail": k.detail} for k in c.checks],
                    "diff": c.diff.to_json() if c.diff else None,
                }
                for c in self.changes
            ],
        }


def default_head(reg: Store, stage: str) -> str:
    suffix = f"-to-{stage}"
    found = [r for r in gitrefs.list_refnames(reg.root, [refs.HEADS + refs.PROMOTION_PREFIX]) if r.endswith(suffix)]
    if len(found) == 1:
        return found[0].removeprefix(refs.HEADS)
    if not found:
        raise UsageError(f"no promotion branch for {stage} to review", hint="name one with --head REV")
    names = ", ".join(r.removeprefix(refs.HEADS) for r in found)
    raise UsageError(f"several promotion branches for {stage}: {names}", hint="name one with --head REV")


def review(reg: Store, stage: str, head: str | None = None, *, check_remote: bool = True) -> Review:
    settings = reg.require_initialized()
    check_stage(settings, stage, holding=True)
    head_rev = head or default_head(reg, stage)
    head_commit = git.rev_parse(reg.root, f"{head_rev}^{{commit}}")
    if head_commit is None:
        raise UnknownReference(f"'{head_rev}' is not a commit in this repository")
    base = read_branch(reg.root, settings, stage)
    branch = refs.stage_branch(settings.stage_branch_prefix, stage)
    spec = f"{head_commit}:{stagefile.FILE}"
    found = git.blob_sizes(reg.root, [spec])[spec]
    if found is not None and found[1] > stagefile.MAX_BYTES:  # refused before it is read
        raise too_big(found[1], head_rev)
    proposed = stagefile.parse(git.read_blob(reg.root, head_commit, stagefile.FILE), stage, head_rev)
    changes = []
    for name in sorted(set(base.file.holders) | set(proposed.holders)):
        a, b = base.file.holders.get(name), proposed.holders.get(name)
        if a == b or (a and b and a.version == b.version and a.commit == b.commit):
            continue
        changes.append(_model_change(reg, name, a, b, check_remote))
    return Review(stage, base.tip, head_commit, tuple(changes), render(branch, head_rev, changes))


def _version(reg: Store, entry: stagefile.Entry | None) -> ModelVersion | None:
    if entry is None:
        return None
    try:
        return reg.get(entry.tag)
    except UnknownReference:
        return None


def _model_change(
    reg: Store, name: str, a: stagefile.Entry | None, b: stagefile.Entry | None, check_remote: bool
) -> ModelChange:
    old, new = _version(reg, a), _version(reg, b)
    checks: list[Check] = []
    deltas: list[MetricDelta] = []
    fields: list[FieldChange] = []
    change: VersionDiff | None = None
    if b is not None:
        checks.append(Check("version tag exists", new is not None, "" if new else f"{b.tag} is not in this repository"))
    if new is not None:
        new_card: dict[str, Any] = {}
        try:
            new_card = reg.card(new.tag)
            problems = cards.validate(new_card)
            checks.append(Check("model card validates", not problems, "; ".join(problems[:3])))
        except LlmgitError as e:
            checks.append(Check("model card validates", False, e.message))
        if check_remote:
            checks.append(_remote_check(reg, new))
        deltas = metric_deltas(old.metrics if old else {}, new.metrics, reg.settings)
        if old is not None:
            change = diff(reg, old.tag, new.tag)
            deltas, fields = list(change.metrics), list(change.card)
    return ModelChange(name, old, new, tuple(deltas), tuple(fields), tuple(checks), change)


def _remote_check(reg: Store, v: ModelVersion) -> Check:
    name = "weights are on the DVC remote"
    try:
        result = remote_check(reg.root, v)
        missing, files, manifest = _really_missing(reg, v, result.missing, result.files)
    except LlmgitError as e:
        return Check(name, False, e.message)
    if missing is None:
        return Check(name, False, f"the directory manifest is missing; its {files} file(s) could not be checked")
    if not missing and not manifest:
        return Check(name, True, f"{result.files} file(s)")
    shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
    count = f"{len(missing)} of {files} file(s) missing: {shown}" if missing else f"all {files} file(s) present"
    if manifest:
        count = f"the directory manifest and {count}" if missing else f"the directory manifest is missing ({count})"
    return Check(name, False, count)


def _really_missing(
    reg: Store, v: ModelVersion, missing: tuple[str, ...], files: int
) -> tuple[list[str] | None, int, bool]:
    """(missing files, files, whether the ``.dir`` manifest is missing): with the manifest
    absent from the remote, its files are checked one by one from the local copy of the
    manifest (None when this clone lacks it too)."""
    w = v.weights
    if w is None or not w.is_dir or not any(m.endswith("(directory manifest)") for m in missing):
        return list(missing), files, False
    try:
        entries = listing.entries(reg.root, w)
    except LlmgitError:
        return None, files, True
    remote = find(reg.root)
    present = remote.present([e.md5 for e in entries]) if remote is not None else set()
    return [e.relpath for e in entries if e.md5 not in present], len(entries), True


SHOWN_CARD_FIELDS = 20  # card changes listed; the rest are counted
SHOWN_VALUE = 200  # characters of one card value shown
SHOWN_FILES = 50  # changed weight files listed
SHOWN_SAME = 12  # identical weight files named


def render(branch: str, head: str, changes: list[ModelChange]) -> str:
    """The review as Markdown for the pull request and the CI comment.

    Every name, value, file name and message in it comes from a tag, a card or a branch that
    whoever opened the pull request could write: each goes through :mod:`llmgit.core.markdown`,
    so only llmgit draws headings, tables and the checklist.
    """
    lines = [f"## llmgit review: {md.code(head)} into {md.code(branch)}", ""]
    if not changes:
        return "\n".join([*lines, "No model changes its version in this stage.", ""])
    lines += ["| Model | Now | Proposed |", "|---|---|---|"]
    for c in changes:
        now = md.text("v" + c.old.version) if c.old else "-"
        proposed = md.text("v" + c.new.version) if c.new else "(removed)"
        lines.append(f"| {md.text(c.model)} | {now} | {proposed} |")
    for c in changes:
        lines.append("")
        if c.diff is not None:
            lines += diff_format.markdown(c.diff).split("\n")
        else:
            old = md.text("v" + c.old.version) if c.old else "nothing"
            new = md.text("v" + c.new.version) if c.new else "nothing"
            lines += [f"### {md.text(c.model)}: {old} -> {new}", ""]
            lines += diff_format.metric_lines("Now", "Proposed", c.metrics)
            lines += diff_format.card_lines(c.card)
        lines += _checks(c)
    return "\n".join(lines) + "\n"


def _checks(c: ModelChange) -> list[str]:
    """The checklist; a detail (an error message, a file name) is inert text in parentheses."""
    return ["Checks:", ""] + [
        f"- [{'x' if k.ok else ' '}] {k.name}" + (f" ({md.text(k.detail)})" if k.detail else "") for k in c.checks
    ]
