"""The plugin's writes, each under the writer lock its caller holds: llmgit's own operation
first (register, promote, retire), then one commit on ``llmgit/mlflow`` with what MLflow
alone records. A write that fails before that commit leaves the notes as they were; a version
registered whose notes commit failed still gets its number on the next read (registration
order), so nothing is half-done from MLflow's side."""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from llmgit.api.registry import Registry
from llmgit.core import versions
from llmgit.core.mlflownotes import ModelNotes, VersionNote
from llmgit.core.plan import Plan, RefUpdate
from llmgit.mlflow import errors, sources
from llmgit.mlflow.view import ARCHIVED_STAGE, LLMGIT_STAGE, NONE, Cache, ModelView, Row, load, millis
from llmgit.store import mlflownotes as notes_branch
from llmgit.store import writer
from llmgit.store.store import Store


class LlmgitRegistryStore(Protocol):
    """What the writes take of :class:`llmgit.mlflow.store.LlmgitRegistryStore`."""

    registry: Registry
    tracking_uri: str | None
    cache: Cache

    @property
    def store(self) -> Store: ...


BUMP_TAG = "llmgit.bump"  # a create_model_version tag choosing the SemVer bump (major, minor, patch, auto)
VERSION_TAG = "llmgit.version"  # ... or the SemVer version itself


def _record(plugin: LlmgitRegistryStore, changed: list[ModelNotes], message: str) -> Callable[[], None]:
    """One commit on the notes branch; returns what puts the branch back where it was."""
    store = plugin.store
    remote = store.settings.git_remote
    notes = notes_branch.read(store.root, remote, [n.name for n in changed])
    plan = notes_branch.commit(store.root, notes, changed, f"mlflow: {message}")
    writer.apply(store.root, remote, plan, push=False)
    undo = Plan(updates=tuple(RefUpdate(u.ref, u.old, u.new) for u in plan.updates))
    return lambda: writer.apply(store.root, remote, undo, push=False)


def create_model(
    plugin: LlmgitRegistryStore, name: str, tags: dict[str, str], description: str | None, when: int
) -> None:
    view = load(plugin.store, [name], plugin.cache)[name]
    if view.visible:
        raise errors.exists(f"Registered Model (name={name}) already exists.")
    notes = dataclasses.replace(
        view.notes, created=when, updated=when, description=description, tags=tags, aliases={}, deleted=False
    )
    _record(plugin, [notes], f"create {name}")


def change_model(plugin: LlmgitRegistryStore, view: ModelView, message: str, **fields: Any) -> Callable[[], None]:
    notes = view.notes
    if notes.created is None:
        notes = dataclasses.replace(notes, created=view.created)
    return _record(plugin, [dataclasses.replace(notes, **fields)], message)


def delete_model(plugin: LlmgitRegistryStore, view: ModelView, when: int) -> None:
    """Hide the model and its versions: out of their stages first, then the notes (killed
    between, the model is still listed, and deleting it again finishes it)."""
    for r in view.live:
        _leave_stages(plugin, r, f"deleted through MLflow with model {view.name}")
    gone = {n: dataclasses.replace(v, deleted=True) for n, v in view.notes.versions.items()}
    notes = dataclasses.replace(
        view.notes, created=None, updated=when, description=None, tags={}, aliases={}, deleted=True, versions=gone
    )
    _record(plugin, [notes], f"delete {view.name}")


def change_version(plugin: LlmgitRegistryStore, view: ModelView, row: Row, message: str, **fields: Any) -> None:
    change_model(
        plugin, view, message, versions={**view.notes.versions, row.number: dataclasses.replace(row.note, **fields)}
    )


def delete_version(plugin: LlmgitRegistryStore, view: ModelView, row: Row, when: int) -> None:
    """Hide the version: out of its stages first, then the notes (killed between, the version
    is still listed, and deleting it again finishes it)."""
    _leave_stages(plugin, row, f"deleted through MLflow (version {row.number})")
    note = dataclasses.replace(row.note, deleted=True, updated=when)
    aliases = {a: n for a, n in view.notes.aliases.items() if n != row.number}
    change_model(
        plugin,
        view,
        f"delete {view.name} version {row.number}",
        versions={**view.notes.versions, row.number: note},
        aliases=aliases,
        updated=when,
    )


@contextlib.contextmanager
def _undone_on_failure(undo: Callable[[], None]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        undo()
        raise


def _leave_stages(plugin: LlmgitRegistryStore, row: Row, reason: str) -> None:
    from llmgit.stages.retire import retire  # noqa: PLC0415 (start-up)

    if any(s != "archived" for s in row.held):
        retire(plugin.store, row.version.tag, reason=reason, archive_idle=False)


def transition(plugin: LlmgitRegistryStore, view: ModelView, row: Row, stage: str, when: int) -> int | None:
    """Put the version in MLflow's ``stage``; returns the number of the version it replaced
    in that stage (llmgit keeps one per stage), if any.

    The notes are recorded first, then the stage moves: killed between the two, the notes say
    no more than the stages show (a stage held wins over a note), and running it again
    finishes it. If the stage change is refused, the notes go back to what they were."""
    store = plugin.store
    target = LLMGIT_STAGE.get(stage)
    if target is not None and target not in store.settings.stages:
        raise errors.invalid(f"this registry has no stage '{target}' (llmgit.yaml: {', '.join(store.settings.stages)})")
    holder = next((r for r in view.live if r.stage == stage and r.number != row.number), None) if target else None
    replaced = holder.number if holder is not None else None
    versions_now = {
        **view.notes.versions,
        row.number: dataclasses.replace(row.note, unstaged=stage == NONE, updated=when),
    }
    if replaced is not None:
        versions_now[replaced] = dataclasses.replace(view.notes.versions[replaced], unstaged=False, updated=when)
    undo = change_model(
        plugin, view, f"{view.name} version {row.number} -> {stage}", versions=versions_now, updated=when
    )
    with _undone_on_failure(undo):
        if target is not None:
            from llmgit.stages.promote import promote  # noqa: PLC0415 (start-up)
            from llmgit.stages.requests import PromoteRequest  # noqa: PLC0415 (start-up)

            if target not in row.held:
                request = PromoteRequest(
                    row.version.tag,
                    target,
                    reason="through MLflow",
                    mode="direct",
                    skip_previous_stage=True,
                    revive=True,
                )
                promote(store, request)
        else:
            from llmgit.stages.retire import retire  # noqa: PLC0415 (start-up)

            retire(store, row.version.tag, reason=f"MLflow stage {stage}", archive_idle=stage == ARCHIVED_STAGE)
    return replaced


def create_version(
    plugin: LlmgitRegistryStore,
    view: ModelView,
    *,
    source: str,
    run_id: str | None,
    tags: dict[str, str],
    run_link: str | None,
    description: str | None,
    local_model_path: str | None,
    model_id: str | None,
    when: int,
) -> int:
    """Register the source's bytes as the model's next version; returns its number."""
    from llmgit.register.request import RegisterRequest  # noqa: PLC0415 (start-up)

    path = (
        Path(local_model_path)
        if local_model_path
        else sources.local_path(source, plugin.tracking_uri, _downloader(plugin))
    )
    run_id = run_id or sources.logged_model_run(source, model_id, plugin.tracking_uri)
    metrics, params = _run_data(plugin, run_id)
    bump = tags.pop(BUMP_TAG, None)
    wanted = tags.pop(VERSION_TAG, None)
    tags = {k: v for k, v in tags.items() if not k.startswith("llmgit.")}  # shown from the tag itself, never stored
    if wanted is not None and not versions.is_valid(wanted.removeprefix("v")):
        raise errors.invalid(f"the tag {VERSION_TAG} must be a SemVer version like 1.2.0, not '{wanted}'")
    if bump is not None and bump not in ("major", "minor", "patch", "auto"):
        raise errors.invalid(f"the tag {BUMP_TAG} must be major, minor, patch or auto, not '{bump}'")
    request = RegisterRequest(
        name=view.name,
        weights=path.resolve(),
        version=wanted.removeprefix("v") if wanted else None,
        bump=bump or "patch",  # type: ignore[arg-type]
        metrics=metrics,
        params=params,
        description=description,
        message=description or f"registered through MLflow from {source}",
        copy=True,
    )
    before = {r.version.version for r in view.rows}
    with _outside_git_dir(plugin, request.weights) as weights:
        v = plugin.registry.register(dataclasses.replace(request, weights=weights))
    if v.version in before:
        number = next(r.number for r in view.rows if r.version.version == v.version)
        raise errors.exists(
            f"version {number} of {view.name} ({v.tag}) already holds these weights with this card; "
            "llmgit registers a version's bytes once"
        )
    fresh = load(plugin.store, [view.name], plugin.cache)[view.name]
    row = next(r for r in fresh.rows if r.version.version == v.version)
    when = max(when, millis(v.created))  # not before the tag's own time (whole seconds)
    note = VersionNote(
        row.number,
        v.version,
        description=description,
        tags=tags,
        run_id=run_id,
        source=source,
        run_link=run_link,
        created=when,
        updated=when,
    )
    notes = fresh.notes.with_version(note)
    if notes.created is None:
        notes = dataclasses.replace(notes, created=fresh.created)
    _record(plugin, [dataclasses.replace(notes, updated=when)], f"register {view.name} version {row.number} ({v.tag})")
    return row.number


@contextlib.contextmanager
def _outside_git_dir(plugin: LlmgitRegistryStore, path: Path) -> Iterator[Path]:
    """``path``, or a copy of it outside the git directory when it is inside (a version this
    registry checked out for MLflow, registered again by ``copy_model_version``)."""
    from llmgit.infra import git  # noqa: PLC0415 (start-up)

    if not path.is_relative_to(git.common_dir(plugin.store.root)):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="llmgit-mlflow-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copytree(path, copy) if path.is_dir() else shutil.copy2(path, copy)
        yield copy


def _downloader(plugin: LlmgitRegistryStore) -> Any:
    def download(name: str, version: str) -> str:
        view = load(plugin.store, [name], plugin.cache)[name]
        row = view.row(int(version))
        if row is None:
            raise errors.missing_version(name, version)
        return download_uri(plugin, row)

    return download


def _run_data(plugin: LlmgitRegistryStore, run_id: str | None) -> tuple[dict[str, float], dict[str, str]]:
    """The run's metrics and params (what llmgit's card and search will show), if the
    tracking store knows the run."""
    if not run_id:
        return {}, {}
    from mlflow.exceptions import MlflowException  # noqa: PLC0415 (start-up)
    from mlflow.tracking.client import MlflowClient  # noqa: PLC0415 (start-up)

    try:
        data = MlflowClient(tracking_uri=plugin.tracking_uri).get_run(run_id).data
    except MlflowException:
        return {}, {}
    return dict(data.metrics), dict(data.params)


def download_uri(plugin: LlmgitRegistryStore, row: Row) -> str:
    """Where MLflow downloads the version from: its published copy (``s3://...`` or a
    directory) if it has one, else a copy of its weights checked out (hashed) under
    ``<git dir>/llmgit/mlflow-downloads/``."""
    from llmgit.infra import git  # noqa: PLC0415 (start-up)
    from llmgit.store.ledger import published_uri  # noqa: PLC0415 (start-up)

    store = plugin.store
    v = row.version
    published = published_uri(store.root, store.settings.git_remote, v.name, v.version)
    if published:
        return published
    target = git.common_dir(store.root) / "llmgit" / "mlflow-downloads" / v.name / f"v{v.version}"
    if not target.exists():
        partial = target.with_name(target.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        plugin.registry.checkout(v.tag, to=partial)
        partial.rename(target)
    return str(target)
