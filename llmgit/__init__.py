"""llmgit: a git-native version manager for large-language-model weights.

The public names below are imported on first use, so ``import llmgit`` (and the CLI's
start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "LlmgitError": "llmgit.errors",
    "ModelSummary": "llmgit.model",
    "ModelVersion": "llmgit.model",
    "WeightsInfo": "llmgit.model",
    "VersionDetails": "llmgit.mlflow_api",
    "RegisterRequest": "llmgit.registration",
    "Registry": "llmgit.registry",
    "Query": "llmgit.search",
    "Run": "llmgit.tracking",
    "start_run": "llmgit.tracking",
}

__all__ = [
    "LlmgitError", "ModelSummary", "ModelVersion", "Query", "RegisterRequest", "Registry", "Run",
    "VersionDetails", "WeightsInfo", "__version__", "start_run",
]

if TYPE_CHECKING:
    from llmgit.errors import LlmgitError
    from llmgit.mlflow_api import VersionDetails
    from llmgit.model import ModelSummary, ModelVersion, WeightsInfo
    from llmgit.registration import RegisterRequest
    from llmgit.registry import Registry
    from llmgit.search import Query
    from llmgit.tracking import Run, start_run


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'llmgit' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
