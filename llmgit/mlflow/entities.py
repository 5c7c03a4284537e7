"""llmgit's versions as MLflow's entities (``ModelVersion``, ``RegisteredModel``)."""

from __future__ import annotations

from collections.abc import Sequence

from mlflow.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)

from llmgit.mlflow.view import SEMVER_TAG, TAG_TAG, ModelView, Row, created, last_updated


def model_version(view: ModelView, row: Row, *, aliases: bool = True) -> ModelVersion:
    note, v = row.note, row.version
    tags = {**note.tags, SEMVER_TAG: v.version, TAG_TAG: v.tag}
    registered_here = note.source is not None or note.run_id is not None
    description = note.description
    if description is None and not registered_here:  # registered with llmgit itself
        description = f"{v.tag}: {v.message}" if v.message else v.tag
    return ModelVersion(
        name=view.name,
        version=row.number,
        creation_timestamp=created(row),
        last_updated_timestamp=last_updated(row),
        description=description,
        user_id=None,
        current_stage=row.stage,
        source=note.source if note.source is not None else v.weights.path if v.weights else None,
        run_id=note.run_id,
        status="READY",
        status_message=None,
        tags=[ModelVersionTag(k, val) for k, val in tags.items()],
        run_link=note.run_link,
        aliases=sorted(a for a, n in view.notes.aliases.items() if n == row.number) if aliases else [],
    )


def latest_rows(view: ModelView, stages: Sequence[str] | None = None) -> list[Row]:
    """MLflow's latest version per stage (in the order MLflow's SQL store gives them: by the
    first version in number order that held each stage)."""
    latest: dict[str, Row] = {}
    for r in view.live:
        if r.stage not in latest or latest[r.stage].number < r.number:
            latest[r.stage] = r
    if stages:
        wanted = set(stages)
        return [r for s, r in latest.items() if s in wanted]
    return list(latest.values())


def registered_model(view: ModelView) -> RegisteredModel:
    notes = view.notes
    return RegisteredModel(
        name=view.name,
        creation_timestamp=view.created,
        last_updated_timestamp=view.updated,
        description=notes.description,
        latest_versions=[model_version(view, r, aliases=False) for r in latest_rows(view)],
        tags=[RegisteredModelTag(k, v) for k, v in notes.tags.items()],
        aliases=[RegisteredModelAlias(a, n) for a, n in sorted(notes.aliases.items())],
    )
