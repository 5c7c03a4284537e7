"""A model version's ``source`` as the local directory whose bytes llmgit registers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from mlflow.exceptions import MlflowException

from llmgit.mlflow.errors import invalid

LOCAL_HINT = "llmgit registers local bytes: a path, a file:// URI, runs:/RUN_ID/PATH or models:/MODEL_ID"


def local_path(source: str, tracking_uri: str | None, download: object = None) -> Path:
    """The local file or directory ``source`` names: a path, ``file://``, ``runs:/`` (through
    the tracking store) or ``models:/m-...`` (a logged model's artifacts); ``download``
    resolves ``models:/NAME/VERSION`` of this registry."""
    if not isinstance(source, str) or not source.strip():
        raise invalid("Missing value for required parameter 'source'.")
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme == "" or (len(scheme) == 1 and source[1:2] == ":"):  # a path (a Windows drive letter too)
        path = Path(source)
    elif scheme == "file":
        from mlflow.utils.file_utils import local_file_uri_to_path  # noqa: PLC0415 (start-up)

        path = Path(local_file_uri_to_path(source))
    elif scheme == "runs":
        from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository  # noqa: PLC0415 (start-up)

        return local_path(RunsArtifactRepository.get_underlying_uri(source, tracking_uri), tracking_uri)
    elif scheme == "models":
        return _model_path(source, tracking_uri, download)
    else:
        raise invalid(f"cannot register from '{source}': {LOCAL_HINT}")
    if not path.exists():
        raise invalid(f"the source '{source}' does not exist here ({path})")
    return path


def _model_path(source: str, tracking_uri: str | None, download: object) -> Path:
    from mlflow.store.artifact.utils.models import _parse_model_uri  # noqa: PLC0415 (start-up)
    from mlflow.tracking.client import MlflowClient  # noqa: PLC0415 (start-up)

    try:
        parsed = _parse_model_uri(source)
    except MlflowException:
        raise invalid(f"cannot register from '{source}': {LOCAL_HINT}") from None
    if parsed.model_id is not None:
        model = MlflowClient(tracking_uri=tracking_uri).get_logged_model(parsed.model_id)
        return local_path(model.artifact_location, tracking_uri)
    if parsed.name is not None and parsed.version is not None and callable(download):
        return local_path(str(download(parsed.name, parsed.version)), tracking_uri)
    raise invalid(f"cannot register from '{source}': {LOCAL_HINT}")


def logged_model_run(source: str, model_id: str | None, tracking_uri: str | None) -> str | None:
    """The run that logged the model ``source`` (``models:/m-...``) or ``model_id`` names, as
    MLflow records it for a version registered from a logged model."""
    from mlflow.store.artifact.utils.models import _parse_model_uri  # noqa: PLC0415 (start-up)
    from mlflow.tracking.client import MlflowClient  # noqa: PLC0415 (start-up)

    if model_id is None and isinstance(source, str) and source.startswith("models:/"):
        try:
            model_id = _parse_model_uri(source).model_id
        except MlflowException:
            return None
    if model_id is None:
        return None
    try:
        return MlflowClient(tracking_uri=tracking_uri).get_logged_model(model_id).source_run_id  # type: ignore[no-any-return]
    except MlflowException:
        return None
