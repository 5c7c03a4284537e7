"""What stage commands are asked to do: the CLI and the Python API both build these (a cheap
module: the CLI imports it at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PromoteRequest:
    reference: str
    stage: str
    reason: str = ""
    mode: str | None = None  # "direct" | "pr" | None (the stage's configured mode)
    skip_previous_stage: bool = False
    push: bool = False
    open_pr: bool = False
    body_file: Path | None = None
    revive: bool = False  # an archived version may take the stage (MLflow's transition out of Archived)


@dataclass(frozen=True)
class GuardRequest:
    """What to guard and on which evidence: ``card`` (registered metrics), ``file`` (observed
    metrics per version) or ``prometheus`` (live evaluation counts, or a counts file)."""

    name: str
    source: str | None = None  # default: file with a metrics file, else card
    metric: str | None = None
    threshold: float | None = None  # prometheus: the accuracy margin
    relative: bool = False
    stage: str = "production"
    metrics_file: Path | None = None
    prometheus_url: str | None = None
    window: str = "1h"
    counts_file: Path | None = None
    apply: bool = False
    push: bool = False
