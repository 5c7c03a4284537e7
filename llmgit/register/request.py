"""What ``register`` is asked to do: the CLI and the Python API both build one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from llmgit.core import versions


@dataclass(frozen=True)
class RegisterRequest:
    """Everything ``register`` needs; the CLI and the Python API both build one."""

    name: str
    weights: Path
    version: str | None = None
    bump: versions.Bump | Literal["auto"] = versions.Bump.patch  # auto: see llmgit.register.advice
    metrics_file: Path | None = None
    metric_pairs: Sequence[str] = ()
    metrics: Mapping[str, float | int] = field(default_factory=dict)
    params_file: Path | None = None
    param_pairs: Sequence[str] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    dataset: str | None = None
    dataset_version: str | None = None
    base_model: str | None = None
    base_model_relation: str | None = None  # finetune | adapter | quantized | merge (default: from the weights)
    description: str | None = None
    message: str = ""
    resources: Mapping[str, Any] = field(default_factory=dict)  # these keys replace the card's resources
    copy: bool = False
    push: bool = False  # then upload the weights (verified) and push the tag
    # the training environment: a training interpreter to ask, or a lock/requirements file;
    # without either, this process's (``training_process``: the API's caller is the training
    # process; the CLI says False: it is llmgit's own, and register warns)
    python: Path | None = None
    env_file: Path | None = None
    training_process: bool = True
    require_clean: bool = False  # refuse uncommitted changes to tracked files
