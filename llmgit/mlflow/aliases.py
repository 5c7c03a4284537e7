"""Aliases (on branch ``llmgit/mlflow``) and webhooks (none) of the plugin's store."""

from __future__ import annotations

from typing import Any

from mlflow.entities.model_registry import ModelVersion
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.validation import (
    _REGISTERED_MODEL_ALIAS_LATEST,
    _validate_model_alias_name,
    _validate_model_alias_name_reserved,
)

from llmgit.mlflow import entities, errors, writes
from llmgit.mlflow.base import Base
from llmgit.mlflow.errors import translated


class Aliases(Base):
    # -- aliases ------------------------------------------------------------------------
    @translated
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        _validate_model_alias_name(alias)
        _validate_model_alias_name_reserved(alias)
        with self.store.lock():
            view, row = self._row(name, version)
            aliases = {**view.notes.aliases, alias: row.number}
            writes.change_model(self, view, f"alias {view.name}: {alias} -> version {row.number}", aliases=aliases)

    @translated
    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        _validate_model_alias_name(alias)
        with self.store.lock():
            view = self._view(name)
            if alias in view.notes.aliases:
                aliases = {a: n for a, n in view.notes.aliases.items() if a != alias}
                writes.change_model(self, view, f"unalias {view.name}: {alias}", aliases=aliases)

    @translated
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        _validate_model_alias_name(alias)
        view = self._view(name)
        if alias.lower() == _REGISTERED_MODEL_ALIAS_LATEST:
            live = view.live
            if not live:
                raise errors.missing(f"Latest version not found for model {view.name}.")
            return entities.model_version(view, max(live, key=lambda r: r.number))
        number = view.notes.aliases.get(alias)
        row = view.row(number) if number is not None else None
        if row is None:
            raise errors.invalid(f"Registered model alias {alias} not found.")
        return entities.model_version(view, row)

    # -- webhooks: llmgit has none (a workflow on the stage branches plays that part) ---------
    def list_webhooks(self, max_results: int | None = None, page_token: str | None = None) -> PagedList:
        return PagedList([], None)

    def list_webhooks_by_event(
        self, event: Any, max_results: int | None = None, page_token: str | None = None
    ) -> PagedList:
        return PagedList([], None)

    def create_webhook(self, name: str, url: str, events: Any, *args: Any, **kwargs: Any) -> Any:
        raise errors.invalid(
            "llmgit has no webhooks: react to the stage branches instead (llmgit ci init github writes such workflows)"
        )

    def _await_model_version_creation(self, mv: ModelVersion, await_creation_for: int) -> None:
        """A version is READY when ``create_model_version`` returns: nothing to wait for."""
