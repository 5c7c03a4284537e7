"""``llmgit.start_run``: a training run's params and metrics, ending in a registered version.

A :class:`Run` collects params and metrics in memory; :meth:`Run.log_model` registers the
weights as a new version carrying them (the tag summary and the model card). Nothing is
written before ``log_model``; there is no tracking server, no run id and no artifact store
(MLflow's own ``mlflow.start_run`` works with the MLflow plugin: ``docs/migration-mlflow.md``).

```python
with llmgit.start_run(reg, experiment="llama2-finetuning") as run:
    run.log_params({"learning_rate": 3e-4, "lora_r": 8})
    run.log_metrics({"val_accuracy": 0.92})
    mv = run.log_model("out/llama2-7b-alpaca", registered_model_name="llama2-7b-alpaca")
```
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from llmgit.core import versions
from llmgit.errors import InputError, UsageError
from llmgit.register.request import RegisterRequest

if TYPE_CHECKING:
    from llmgit.api.reading import VersionDetails
    from llmgit.api.registry import Registry

# params that name a run best, in this order; then the others in the order they were logged
KEY_PARAMS = ("model", "base_model", "learning_rate", "lr", "lora_r", "epochs", "num_train_epochs", "batch_size")
NAME_PARAMS = 3


def _short(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return re.sub(r"[^A-Za-z0-9._=+-]+", "-", text).strip("-")


def default_run_name(started: dt.datetime, params: Mapping[str, Any]) -> str:
    """The date plus up to three key params: ``2026-09-21_model=llama-2-7b_learning_rate=0.0003_lora_r=8``."""
    keys = [k for k in KEY_PARAMS if k in params] + [k for k in params if k not in KEY_PARAMS]
    parts = [f"{_short(k)}={_short(params[k])}" for k in keys[:NAME_PARAMS]]
    return "_".join([started.strftime("%Y-%m-%d"), *parts])


class Run:
    """One training run: params and metrics to record with the versions it registers."""

    def __init__(self, registry: Registry, *, experiment: str = "default", run_name: str | None = None) -> None:
        self.registry = registry
        self.experiment = experiment
        self._run_name = run_name
        self.params: dict[str, Any] = {}
        self.metrics: dict[str, float | int] = {}
        self.started = dt.datetime.now(dt.timezone.utc)
        self.status: Literal["RUNNING", "FINISHED", "FAILED"] = "RUNNING"
        self.registered: list[VersionDetails] = []

    @property
    def run_name(self) -> str:
        """The given name, else the start date plus key params (see :func:`default_run_name`)."""
        return self._run_name or default_run_name(self.started, self.params)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.status = "FAILED" if kind is not None else "FINISHED"

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record params (a later value for the same key replaces the earlier one)."""
        for key, value in params.items():
            if not isinstance(key, str) or not key.strip():
                raise InputError(f"param name {key!r} is not a non-empty string")
            self.params[key] = value

    def log_metric(self, key: str, value: float | int, step: int | None = None) -> None:
        self.log_metrics({key: value}, step=step)

    def log_metrics(self, metrics: Mapping[str, float | int], step: int | None = None) -> None:
        """Record metrics; the registry keeps the last value logged for each (``step`` is
        accepted and not stored: there is no metric history)."""
        for key, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"metric '{key}' is not a finite number: {value!r}")
            self.metrics[key] = value

    def log_model(
        self,
        path: str | Path,
        registered_model_name: str,
        *,
        bump: versions.Bump | Literal["major", "minor", "patch", "auto"] = "patch",
        version: str | None = None,
        message: str | None = None,
        dataset: str | None = None,
        base_model: str | None = None,
        description: str | None = None,
        copy: bool = False,
    ) -> VersionDetails:
        """Register the weights at ``path`` as the next version of ``registered_model_name``,
        with this run's params and metrics so far. ``bump`` picks the version unless
        ``version`` names one; ``"auto"`` proposes it from what changed."""
        if self.status != "RUNNING":
            raise UsageError("this run has ended; log models inside the 'with start_run(...)' block")
        chosen: versions.Bump | Literal["auto"] = "auto" if bump == "auto" else versions.Bump(bump)
        request = RegisterRequest(
            name=registered_model_name,
            weights=Path(path),
            version=version,
            bump=chosen,
            metrics=dict(self.metrics),
            params=dict(self.params),
            dataset=dataset,
            base_model=base_model,
            description=description,
            copy=copy,
            message=message if message is not None else f"run {self.run_name} in {self.experiment}",
        )
        v = self.registry.register(request)
        details = self.registry.details(v.tag)
        self.registered.append(details)
        return details


def start_run(registry: Registry, *, experiment: str = "default", run_name: str | None = None) -> Run:
    """Start a run; use it as a context manager (``with llmgit.start_run(reg, ...) as run:``)."""
    return Run(registry, experiment=experiment, run_name=run_name)
