"""llmgit: a git-native version manager for large-language-model weights.

The public names below are imported on first use, so ``import llmgit`` (and the CLI's
start-up) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from llmgit.core.release import VERSION as __version__

_PUBLIC = {
    "LlmgitError": "llmgit.errors",
    "ModelSummary": "llmgit.core.model",
    "ModelVersion": "llmgit.core.model",
    "WeightsInfo": "llmgit.core.model",
    "VersionDetails": "llmgit.api.reading",
    "RegisterRequest": "llmgit.register.request",
    "Registry": "llmgit.api.registry",
    "Query": "llmgit.inspect.query",
    "Run": "llmgit.api.tracking",
    "start_run": "llmgit.api.tracking",
}

_MODULES = {"progress": "llmgit.infra.progress"}  # progress.reporting(...) for API users

__all__ = [
    "LlmgitError",
    "ModelSummary",
    "ModelVersion",
    "Query",
    "RegisterRequest",
    "Registry",
    "Run",
    "VersionDetails",
    "WeightsInfo",
    "__version__",
    "progress",
    "start_run",
]

if TYPE_CHECKING:
    from llmgit.api.reading import VersionDetails
    from llmgit.api.registry import Registry
    from llmgit.api.tracking import Run, start_run
    from llmgit.core.model import ModelSummary, ModelVersion, WeightsInfo
    from llmgit.errors import LlmgitError
    from llmgit.inspect.query import Query
    from llmgit.register.request import RegisterRequest


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = import_module(_MODULES[name])
        globals()[name] = value
        return value
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'llmgit' has no attribute '{name}'")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
