"""The first step of ``register``: validate every input and choose the version, changing
nothing. ``register --dry-run`` (and ``--bump auto --dry-run``) stop here.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmgit.core import pointer as pointer_file
from llmgit.core import refs, summary, versions
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.errors import InputError, LlmgitError, UsageError, VersionExists
from llmgit.infra import git
from llmgit.infra.files import read_input_bytes
from llmgit.register.advice import BumpAdvice, Candidate, advise
from llmgit.register.inputs import collect_metrics, collect_params
from llmgit.register.provenance import Provenance, collect, relation
from llmgit.register.request import RegisterRequest
from llmgit.store import cards
from llmgit.store.commits import require_branch
from llmgit.store.store import Store
from llmgit.weights import ingest, integrity, workspace

COPY_DIR = "weights"


def _repo_relative(reg: Store, path: Path) -> str | None:
    full = (reg.cwd / path).resolve() if not path.is_absolute() else path.resolve()
    try:
        return full.relative_to(reg.root).as_posix()
    except ValueError:
        return None


def _resolve_weights(reg: Store, req: RegisterRequest) -> tuple[str, Path | None]:
    """(repo-relative weights path, source to copy from or None)."""
    source = req.weights if req.weights.is_absolute() else reg.cwd / req.weights
    if source.is_symlink():
        raise InputError(f"weights path '{req.weights}' is a symbolic link", hint=ingest.LINK_HINT)
    if not source.exists():
        raise InputError(f"weights path '{req.weights}' does not exist")
    rel = _repo_relative(reg, source)
    if rel is None:
        if not req.copy:
            raise InputError(
                f"weights path '{req.weights}' is outside the repository",
                hint="move them inside the repository, or pass --copy to copy them in",
            )
        return f"{refs.MODELS_DIR}/{req.name}/{COPY_DIR}", source
    parts = rel.split("/")
    if rel in ("", ".") or parts[0] == ".dvc" or ".git" in parts:
        raise InputError(f"weights path '{req.weights}' cannot be the repository or its metadata")
    if rel == refs.card_path(req.name) or rel.endswith(".dvc"):
        raise InputError(f"'{req.weights}' is not a weights path")
    tracked = git.tracked_files(reg.root, [f":(literal){rel}"])
    if tracked:
        raise _tracked(rel, tracked)
    return rel, None


SHOWN = 10  # tracked files a hint names one by one


def _tracked(rel: str, tracked: list[str]) -> InputError:
    """Why git-tracked files under the weights path stop a registration, and exactly what to
    untrack: never a DVC pointer (``.dvc``) or its ``.gitignore``, which belong to weights
    that are registered already."""
    pointers = [t for t in tracked if t.endswith(".dvc") or t.rsplit("/", 1)[-1] == ".gitignore"]
    others = [t for t in tracked if t not in pointers]
    if any(t.endswith(".dvc") for t in pointers):  # a folder above weights folders, such as out/
        folders = sorted(t.removesuffix(".dvc") for t in pointers if t.endswith(".dvc"))
        return InputError(
            f"weights path '{rel}' holds the DVC pointers of other weights ({_listed(folders)}), so it is "
            "not one model's weights",
            hint=f"give the weights folder itself, for example --weights {shlex.quote(folders[0])}",
        )
    files = others or tracked
    if len(files) <= SHOWN:
        untrack = "git rm --cached -- " + " ".join(shlex.quote(f) for f in files)
    else:
        untrack = f"git rm -r --cached -- {shlex.quote(rel)} ':(exclude)*.dvc' ':(exclude)*/.gitignore'"
    return InputError(
        f"weights path '{rel}' is tracked by git itself ({_listed(files)})",
        hint=f"stop tracking {'it' if len(files) == 1 else f'these {len(files)} files'} first: {untrack} && git commit",
    )


def _listed(paths: list[str]) -> str:
    shown = ", ".join(paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _next_version(existing: list[str], req: RegisterRequest) -> str:
    if req.version is not None:
        wanted = versions.normalize(req.version)
        for v in existing:
            if versions.parse(v) == versions.parse(wanted):
                raise VersionExists(
                    f"version {wanted} of '{req.name}' already exists" + (f" (as {v})" if v != wanted else ""),
                    hint="version tags are immutable; register a higher version or use --bump",
                )
        return wanted
    bump = req.bump if isinstance(req.bump, versions.Bump) else versions.Bump(req.bump)
    return versions.bump(versions.highest(existing), bump)


@dataclass(frozen=True)
class RegisterPlan:
    """What ``register`` would do, after validating every input; nothing has changed yet."""

    name: str
    version: str
    tag: str
    weights: str  # repository-relative weights path
    copy_from: Path | None
    metrics: Mapping[str, float | int]
    params: Mapping[str, Any]
    advice: BumpAdvice | None  # with --bump auto: the proposal and why
    provenance: Provenance  # the training environment and the working tree's state
    relation: str | None  # how the weights relate to the base model


def working_card(reg: Store, name: str) -> dict[str, Any]:
    """The model's card in the working tree (within ``limits.card_bytes``), else the template."""
    card_rel = refs.card_path(name)
    card_file = reg.root / card_rel
    if not card_file.is_file():
        return cards.template(reg.root)
    return cards.parse(read_input_bytes(card_file, "card", max_bytes=reg.settings.limits.card_bytes), card_rel)


def committed_card(reg: Store, name: str, working: Mapping[str, Any], head: str | None) -> dict[str, Any] | None:
    """The card the working-tree card was last committed as: the card of the version it names
    (after ``checkout`` of an older version too), else HEAD's; None when there is none or
    llmgit cannot read it."""
    version = working.get("version")
    if isinstance(version, str):
        try:
            tag = refs.version_tag(name, versions.normalize(version))
            if git.rev_parse(reg.root, refs.TAGS + tag) is not None:
                return reg.card(tag)
        except LlmgitError:
            pass
    if head is None:
        return None
    data = git.read_blob(reg.root, head, refs.card_path(name))
    if data is None or len(data) > reg.settings.limits.card_bytes:
        return None
    try:
        return cards.parse(data, f"HEAD:{refs.card_path(name)}")
    except InputError:
        return None


def _candidate_card(reg: Store, req: RegisterRequest) -> dict[str, Any]:
    card = working_card(reg, req.name)
    if req.base_model is not None:
        card["base_model"] = req.base_model
    return card


def plan(reg: Store, req: RegisterRequest) -> RegisterPlan:
    """Validate a request and choose its version (``--dry-run`` stops here)."""
    root = reg.root
    reg.require_initialized()
    refs.validate_model_name(req.name)
    require_branch(root)
    if git.is_shallow(root):
        raise UsageError(
            "this is a shallow clone, so existing versions may be missing",
            hint="run 'git fetch --unshallow --tags' first",
        )
    if req.bump not in (*versions.Bump, "auto"):
        raise UsageError(f"unknown bump '{req.bump}'", hint="use major, minor, patch or auto")
    rel, copy_from = _resolve_weights(reg, req)
    ingest.walk(copy_from or root / rel, str(req.weights))  # the input rules, before anything changes
    source = copy_from if copy_from is not None else root / rel
    base_relation = relation(req, source)
    _check_resources(req)
    limits = reg.settings.limits
    metrics = collect_metrics(req.metrics_file, req.metric_pairs, limits, req.metrics)
    params = collect_params(req.params_file, req.param_pairs, limits, req.params)
    existing = reg.versions(req.name)
    advice = None
    if req.version is None and req.bump == "auto":
        advice = advise(reg, Candidate(req.name, source, params, _candidate_card(reg, req)), existing)
        version = advice.version
    else:
        version = _next_version([v.version for v in existing], req)
    tag = refs.version_tag(req.name, version)
    # a tag every reader would skip (a message or params past a summary's caps) is refused
    # now, --dry-run too: tag_message reads back what it writes (the weights' size is alike)
    probe = WeightsInfo(rel, "0" * 32, 0, 0, True)
    summary.tag_message(ModelVersion(req.name, version, tag, "", probe, metrics, params, message=req.message))
    provenance = collect(reg, req, rel)  # may run the training interpreter: last
    return RegisterPlan(req.name, version, tag, rel, copy_from, metrics, params, advice, provenance, base_relation)


def _check_resources(req: RegisterRequest) -> None:
    for key, value in req.resources.items():
        if not isinstance(key, str) or not key or value is not None and not isinstance(value, (str, int, float)):
            raise UsageError(f"resource {key!r} must be a name with a text or number value")


def already_registered(reg: Store, req: RegisterRequest) -> ModelVersion | None:
    """The version an identical earlier ``register --version X`` made, when it is the last
    commit of the branch and the working tree still holds its card, pointer and weights: a
    rerun (after a crash, a CI retry) is then done, not a :class:`VersionExists` (I7)."""
    if req.version is None or req.copy:
        return None
    reg.require_initialized()
    wanted = versions.parse(versions.normalize(req.version))
    found = [v for v in reg.versions(req.name) if versions.parse(v.version) == wanted]
    branch = git.current_branch(reg.root)
    v = found[0] if found else None
    if v is None or v.weights is None or branch is None:
        return None
    root = reg.root
    rel, copy_from = _resolve_weights(reg, req)
    if copy_from is not None or rel != v.weights.path or git.rev_parse(root, branch) != v.commit:
        return None
    limits = reg.settings.limits
    metrics = collect_metrics(req.metrics_file, req.metric_pairs, limits, req.metrics)
    params = collect_params(req.params_file, req.param_pairs, limits, req.params)
    if dict(metrics) != dict(v.metrics) or dict(params) != dict(v.params) or req.message != v.message:
        return None
    for path in (refs.card_path(req.name), f"{rel}.dvc"):
        disk = reg.root / path
        if not disk.is_file() or git.read_blob(root, v.commit, path) != disk.read_bytes():
            return None
    pointer = pointer_file.parse((root / f"{rel}.dvc").read_bytes(), rel)
    return v if workspace.matches(root, pointer, integrity.signatures(root)) else None
