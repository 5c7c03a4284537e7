"""What every part of the plugin's store stands on: the registry it opens from a URI, the
views of models it reads (cached by the refs they were read from), and MLflow's name rule
with llmgit's on top."""

from __future__ import annotations

import time
from typing import Any

from mlflow.store.model_registry.abstract_store import AbstractStore
from mlflow.utils.validation import _validate_model_name, _validate_model_version

from llmgit.api.registry import Registry
from llmgit.core import refs
from llmgit.errors import InvalidName
from llmgit.infra import git
from llmgit.mlflow import errors, uri
from llmgit.mlflow.view import Cache, ModelView, Row, load


def now() -> int:
    return int(time.time() * 1000)


def model_name(name: object) -> str:
    _validate_model_name(name)
    try:
        return refs.validate_model_name(str(name))
    except InvalidName as e:
        raise errors.invalid(
            f"Invalid model name '{name}' for llmgit: {e.message} (lowercase letters, digits, '.', '_' and '-')"
        ) from None


class Base(AbstractStore):  # type: ignore[misc]
    """The registry behind a ``llmgit:PATH`` URI and its views."""

    def __init__(self, store_uri: str | None = None, tracking_uri: str | None = None) -> None:
        super().__init__(store_uri=store_uri, tracking_uri=tracking_uri)
        try:
            path = uri.repository(store_uri or "llmgit:")
        except uri.BadUri as e:
            raise errors.invalid(str(e)) from None
        try:
            self.registry = Registry(path)
            self.registry.store.require_initialized()
        except Exception as e:  # noqa: BLE001 (one clear MLflow error for any unusable path)
            message = getattr(e, "message", str(e))
            raise errors.invalid(f"'{store_uri}' is not an llmgit registry: {message}") from None
        self.tracking_uri = tracking_uri
        self.cache = Cache()
        git.pack_refs_if_loose(self.store.root)  # a long-lived reader: keep ref listings fast

    # -- views --------------------------------------------------------------------------
    @property
    def store(self) -> Any:
        return self.registry.store

    def _view(self, name: str) -> ModelView:
        name = model_name(name)
        view = load(self.store, [name], self.cache)[name]
        if not view.visible:
            raise errors.missing_model(name)
        return view

    def _visible(self) -> list[ModelView]:
        return [v for v in load(self.store, None, self.cache).values() if v.visible]

    def _row(self, name: str, version: object) -> tuple[ModelView, Row]:
        number = _validate_model_version(version)
        view = self._view(name)
        row = view.row(number)
        if row is None:
            raise errors.missing_version(view.name, number)
        return view, row
