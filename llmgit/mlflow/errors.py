"""llmgit's errors as ``MlflowException`` with MLflow's error codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)

from llmgit.errors import LlmgitError, OperationFailed, UnknownReference, VersionExists

F = TypeVar("F", bound=Callable[..., Any])


def code_of(e: LlmgitError) -> int:
    if isinstance(e, UnknownReference):
        return RESOURCE_DOES_NOT_EXIST
    if isinstance(e, VersionExists):
        return RESOURCE_ALREADY_EXISTS
    if isinstance(e, OperationFailed):
        return INTERNAL_ERROR
    return INVALID_PARAMETER_VALUE


def as_mlflow(e: LlmgitError) -> MlflowException:
    text = e.message + (f" (hint: {e.hint})" if e.hint else "")
    return MlflowException(text, code_of(e))


def translated(fn: F) -> F:
    """``fn`` raising ``MlflowException`` for every llmgit error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LlmgitError as e:
            raise as_mlflow(e) from e

    return wrapper  # type: ignore[return-value]


def missing_model(name: str) -> MlflowException:
    return MlflowException(f"Registered Model with name={name} not found", RESOURCE_DOES_NOT_EXIST)


def missing_version(name: str, version: object) -> MlflowException:
    return MlflowException(f"Model Version (name={name}, version={version}) not found", RESOURCE_DOES_NOT_EXIST)


def missing(message: str) -> MlflowException:
    return MlflowException(message, RESOURCE_DOES_NOT_EXIST)


def invalid(message: str) -> MlflowException:
    return MlflowException(message, INVALID_PARAMETER_VALUE)


def exists(message: str) -> MlflowException:
    return MlflowException(message, RESOURCE_ALREADY_EXISTS)
