"""``LlmgitRegistryStore``: MLflow's ``AbstractStore`` over an llmgit registry.

Reads build MLflow's entities from one view of the models asked about (:mod:`.view`, cached
by the refs it was read from); writes hold the repository's writer lock, go through llmgit's
own operations (register, promote, retire) and record what only MLflow knows as one commit on
``llmgit/mlflow`` (:mod:`llmgit.core.mlflownotes`, :mod:`.writes` says in which order).
Searches filter, order and page with MLflow's own search utilities, so the grammar and the
order are MLflow's. Aliases and webhooks: :mod:`.aliases`; the URI and the views: :mod:`.base`.
"""

from __future__ import annotations

import warnings
from typing import Any

from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.entities.model_registry.model_version_stages import (
    DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
    get_canonical_stage,
)
from mlflow.prompt.registry_utils import add_prompt_filter_string, has_prompt_tag
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils
from mlflow.utils.validation import _validate_model_version_tag, _validate_registered_model_tag

from llmgit.errors import LlmgitWarning
from llmgit.mlflow import base, entities, errors, paging, writes
from llmgit.mlflow.aliases import Aliases
from llmgit.mlflow.base import model_name
from llmgit.mlflow.errors import translated
from llmgit.mlflow.view import load


class LlmgitRegistryStore(Aliases):
    """MLflow's model registry on the git repository a ``llmgit:PATH`` URI names."""

    # -- registered models --------------------------------------------------------------
    @translated
    def create_registered_model(
        self, name: str, tags: Any = None, description: str | None = None, deployment_job_id: Any = None
    ) -> RegisteredModel:
        name = model_name(name)
        if has_prompt_tag(tags):
            raise errors.invalid("llmgit registers model weights; prompts are not supported")
        for tag in tags or []:
            _validate_registered_model_tag(tag.key, tag.value)
        with self.store.lock():
            writes.create_model(self, name, {t.key: t.value for t in tags or []}, description, base.now())
        return self.get_registered_model(name)

    @translated
    def update_registered_model(
        self, name: str, description: str | None, deployment_job_id: Any = None
    ) -> RegisteredModel:
        with self.store.lock():
            view = self._view(name)
            writes.change_model(self, view, f"describe {view.name}", description=description or "", updated=base.now())
        return self.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        raise errors.invalid(
            f"llmgit cannot rename '{name}': its versions are immutable git tags named after it "
            f"(register the weights under '{new_name}' instead)"
        )

    @translated
    def delete_registered_model(self, name: str) -> None:
        with self.store.lock():
            writes.delete_model(self, self._view(name), base.now())

    @translated
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Any = None,
        page_token: Any = None,
    ) -> PagedList:
        limit = paging.limit(
            max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT, SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
        )
        found = [entities.registered_model(v) for v in self._visible()]
        found = SearchModelUtils.filter(found, add_prompt_filter_string(filter_string, is_prompt=False))
        return paging.page(SearchModelUtils.sort(found, order_by), limit, page_token)

    @translated
    def get_registered_model(self, name: str) -> RegisteredModel:
        return entities.registered_model(self._view(name))

    @translated
    def get_latest_versions(self, name: str, stages: Any = None) -> list[ModelVersion]:
        view = self._view(name)
        wanted = [get_canonical_stage(s) for s in stages] if stages else None
        return [entities.model_version(view, r) for r in entities.latest_rows(view, wanted)]

    @translated
    def set_registered_model_tag(self, name: str, tag: Any) -> None:
        _validate_registered_model_tag(tag.key, tag.value)
        with self.store.lock():
            view = self._view(name)
            tags = {**view.notes.tags, tag.key: "" if tag.value is None else str(tag.value)}
            writes.change_model(self, view, f"tag {view.name}: {tag.key}", tags=tags)

    @translated
    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self.store.lock():
            view = self._view(name)
            if key in view.notes.tags:
                tags = {k: v for k, v in view.notes.tags.items() if k != key}
                writes.change_model(self, view, f"untag {view.name}: {key}", tags=tags)

    # -- model versions -----------------------------------------------------------------
    @translated
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Any = None,
        run_link: str | None = None,
        description: str | None = None,
        local_model_path: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        name = model_name(name)
        if has_prompt_tag(tags):
            raise errors.invalid("llmgit registers model weights; prompts are not supported")
        for tag in tags or []:
            _validate_model_version_tag(tag.key, tag.value)
        with self.store.lock():
            view = self._view(name)
            number = writes.create_version(
                self,
                view,
                source=source,
                run_id=run_id,
                tags={t.key: "" if t.value is None else str(t.value) for t in tags or []},
                run_link=run_link,
                description=description,
                local_model_path=local_model_path,
                model_id=model_id,
                when=base.now(),
            )
        return self.get_model_version(name, str(number))

    @translated
    def update_model_version(self, name: str, version: str, description: str | None) -> ModelVersion:
        with self.store.lock():
            view, row = self._row(name, version)
            writes.change_version(
                self,
                view,
                row,
                f"describe {view.name} version {row.number}",
                description=description or "",
                updated=base.now(),
            )
        return self.get_model_version(name, version)

    @translated
    def transition_model_version_stage(
        self, name: str, version: str, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        canonical = get_canonical_stage(stage)
        if archive_existing_versions and canonical not in DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS:
            raise errors.invalid(
                f"Model version transition cannot archive existing model versions because '{stage}' is not an "
                f"Active stage. Valid stages are {DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}"
            )
        with self.store.lock():
            view, row = self._row(name, version)
            replaced = writes.transition(self, view, row, canonical, base.now())
        if replaced and not archive_existing_versions:
            warnings.warn(
                LlmgitWarning(
                    f"llmgit keeps one version per stage: version {replaced} of {name} left {canonical} "
                    f"(what archive_existing_versions=True asks for)"
                ),
                stacklevel=2,
            )
        return self.get_model_version(name, version)

    @translated
    def delete_model_version(self, name: str, version: str) -> None:
        with self.store.lock():
            view, row = self._row(name, version)
            writes.delete_version(self, view, row, base.now())

    @translated
    def get_model_version(self, name: str, version: str) -> ModelVersion:
        view, row = self._row(name, version)
        return entities.model_version(view, row)

    @translated
    def get_model_version_download_uri(self, name: str, version: str) -> str:
        view, row = self._row(name, version)
        return writes.download_uri(self, row)

    @translated
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Any = None,
        page_token: Any = None,
    ) -> PagedList:
        limit = paging.limit(
            max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT, SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD
        )
        names = paging.names_in(filter_string)
        if names is None:
            views = self._visible()
        else:
            loaded = load(self.store, [n for n in names if paging.llmgit_name(n)], self.cache)
            views = [v for v in loaded.values() if v.visible]
        found = [entities.model_version(v, r, aliases=False) for v in views for r in v.live]  # as MLflow's SQL store
        found = SearchModelVersionUtils.filter(found, add_prompt_filter_string(filter_string, is_prompt=False))
        ordered = SearchModelVersionUtils.sort(
            found, order_by or ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]
        )
        return paging.page(ordered, limit, page_token)

    @translated
    def set_model_version_tag(self, name: str, version: str, tag: Any) -> None:
        _validate_model_version_tag(tag.key, tag.value)
        with self.store.lock():
            view, row = self._row(name, version)
            tags = {**row.note.tags, tag.key: "" if tag.value is None else str(tag.value)}
            writes.change_version(self, view, row, f"tag {view.name} version {row.number}: {tag.key}", tags=tags)

    @translated
    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        with self.store.lock():
            view, row = self._row(name, version)
            if key in row.note.tags:
                tags = {k: v for k, v in row.note.tags.items() if k != key}
                writes.change_version(self, view, row, f"untag {view.name} version {row.number}: {key}", tags=tags)
