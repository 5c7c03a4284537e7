"""``review``: what a proposed change to a stage branch does, as Markdown for the PR."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmgit.core import refs, stagefile
from llmgit.core.compare import FieldChange, MetricDelta, VersionDiff, format_change, format_number, metric_deltas
from llmgit.core.diff_format import markdown
from llmgit.core.model import ModelVersion
from llmgit.errors import LlmgitError, UnknownReference, UsageError
from llmgit.infra import git
from llmgit.store import cards
from llmgit.store.branches import check_stage
from llmgit.store.branches import read as read_branch
from llmgit.store.diffs import diff
from llmgit.store.store import Store
from llmgit.weights.push import remote_check


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
    found = [r for r in git.list_refnames(reg.root, [refs.HEADS + refs.PROMOTION_PREFIX]) if r.endswith(suffix)]
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
    proposed = stagefile.parse(git.read_blob(reg.root, head_commit, stagefile.FILE), stage, head_rev)
    changes = []
    for name in sorted(set(base.file.holders) | set(proposed.holders)):
        a, b = base.file.holders.get(name), proposed.holders.get(name)
        if a == b or (a and b and a.version == b.version and a.commit == b.commit):
            continue
        changes.append(_model_change(reg, name, a, b, check_remote))
    return Review(stage, base.tip, head_commit, tuple(changes), _markdown(branch, head_rev, changes))


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
    try:
        result = remote_check(reg.root, v)
    except LlmgitError as e:
        return Check("weights are on the DVC remote", False, e.message)
    if result.missing:
        shown = ", ".join(result.missing[:5]) + (" ..." if len(result.missing) > 5 else "")
        return Check(
            "weights are on the DVC remote", False, f"{len(result.missing)} of {result.files} file(s) missing: {shown}"
        )
    return Check("weights are on the DVC remote", True, f"{result.files} file(s)")


def _markdown(branch: str, head: str, changes: list[ModelChange]) -> str:
    lines = [f"## llmgit review: `{head}` into `{branch}`", ""]
    if not changes:
        return "\n".join([*lines, "No model changes its version in this stage.", ""])
    lines += ["| Model | Now | Proposed |", "|---|---|---|"]
    for c in changes:
        lines.append(
            f"| {c.model} | {'v' + c.old.version if c.old else '-'} | {'v' + c.new.version if c.new else '(removed)'} |"
        )
    for c in changes:
        if c.diff is not None:
            lines += ["", markdown(c.diff).rstrip("\n"), ""]
            lines += _checks(c)
            continue
        title = f"{'v' + c.old.version if c.old else 'nothing'} -> {'v' + c.new.version if c.new else 'nothing'}"
        lines += ["", f"### {c.model}: {title}", ""]
        if c.metrics:
            lines += ["| Metric | Now | Proposed | Change | |", "|---|---|---|---|---|"]
            for d in c.metrics:
                mark = {"better": "better", "worse": "**worse**"}.get(d.verdict, d.verdict)
                lines.append(
                    f"| {d.metric} ({d.direction} is better) | {format_number(d.old)} | "
                    f"{format_number(d.new)} | {format_change(d)} | {mark} |"
                )
            lines.append("")
        if c.card:
            lines += ["Model card changes:", ""]
            lines += [f"- `{f.field}`: {f.old!r} -> {f.new!r}" for f in c.card[:20]]
            lines.append("")
        lines += _checks(c)
    return "\n".join(lines) + "\n"


def _checks(c: ModelChange) -> list[str]:
    return ["Checks:", ""] + [
        f"- [{'x' if k.ok else ' '}] {k.name}" + (f" ({k.detail})" if k.detail else "") for k in c.checks
    ]
