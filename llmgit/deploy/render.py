"""``deploy render`` and ``deploy validate``: a stage's KServe InferenceService and
PrometheusRule for what it serves now, and offline checks of manifest files."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import refs
from llmgit.infra import manifest_checks, manifests
from llmgit.store import serving
from llmgit.store.branches import check_stage
from llmgit.store.serving import Rendering
from llmgit.store.store import Store


def for_stage(store: Store, name: str, *, stage: str = "production", mode: str | None = None) -> Rendering:
    """The manifests for what ``stage`` serves now: its holder, and its canary if one runs."""
    settings = store.require_initialized()
    refs.validate_model_name(name)
    stage = check_stage(settings, stage, holding=True)
    sb = store.stage_branches()[stage]
    holder, canary = serving.holder_of(sb, name)
    return serving.for_entry(store, sb, name, holder, canary, mode)


def write(rendering: Rendering, out_dir: Path) -> list[Path]:
    return manifests.write(rendering.manifests, out_dir)


def validate(path: Path, *, use_promtool: bool = True) -> manifest_checks.Report:
    """Offline checks of a manifest file or directory (plus ``promtool`` when on PATH)."""
    promtool = manifest_checks.promtool_path() if use_promtool else None
    return manifest_checks.Report(path, promtool, tuple(manifest_checks.validate_path(path, use_promtool=use_promtool)))
