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
    description: str | None = None
    message: str = ""
    copy: bool = False
    push: bool = False  # then upload the weights (verified) and push the tag
