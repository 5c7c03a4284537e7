"""llmgit: a git-native version manager for large-language-model weights."""

from __future__ import annotations

__version__ = "0.1.0"

from llmgit.errors import LlmgitError  # noqa: E402
from llmgit.mlflow_api import VersionDetails  # noqa: E402
from llmgit.model import ModelSummary, ModelVersion, WeightsInfo  # noqa: E402
from llmgit.registration import RegisterRequest  # noqa: E402
from llmgit.registry import Registry  # noqa: E402
from llmgit.search import Query  # noqa: E402
from llmgit.tracking import Run, start_run  # noqa: E402

__all__ = [
    "__version__",
    "LlmgitError",
    "ModelSummary",
    "ModelVersion",
    "Query",
    "RegisterRequest",
    "Registry",
    "Run",
    "VersionDetails",
    "WeightsInfo",
    "start_run",
]
