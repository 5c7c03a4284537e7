"""``deploy render`` and ``deploy validate``: a stage's KServe InferenceService and
PrometheusRule for what it serves now, and offline checks of manifest files."""

from __future__ import annotations

from pathlib import Path

from llmgit.core import refs
from llmgit.errors import OperationFailed, UsageError
from llmgit.infra import manifest_checks, manifests
from llmgit.infra.promtool import promtool_path
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
    rendering = serving.for_entry(store, sb, name, holder, canary, mode)
    served = [store.get(holder.tag), *([store.get(canary.tag)] if canary else [])]
    serving.warn_unpublished(store, *served)
    return rendering


def write(rendering: Rendering, out_dir: Path) -> list[Path]:
    """Write the manifests into the directory ``out_dir`` (created if missing); nothing is
    written unless every file can be."""
    check_out_dir(out_dir, [f.filename for f in rendering.manifests.files])
    try:
        return manifests.write(rendering.manifests, out_dir)
    except OSError as e:
        raise OperationFailed(f"cannot write the manifests into '{out_dir}': {e.strerror or e}") from None


def check_out_dir(out_dir: Path, filenames: list[str]) -> None:
    """``--out`` must be a directory (or not exist yet, under a directory), and the files it
    will hold must be regular files or missing."""
    hint = "give a directory: the manifests are written into it (it is created if missing)"
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"'--out' names a file, not a directory: '{out_dir}'", hint=hint)
    for parent in out_dir.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"'--out' is under '{parent}', which is a file, not a directory", hint=hint)
            break
    for name in filenames:
        target = out_dir / name
        if target.exists() and not target.is_file():
            raise UsageError(f"'{target}' exists and is not a regular file, so the manifest cannot replace it")


def validate(path: Path, *, use_promtool: bool = True) -> manifest_checks.Report:
    """Offline checks of a manifest file or directory (plus ``promtool`` when on PATH)."""
    promtool = promtool_path() if use_promtool else None
    return manifest_checks.Report(path, promtool, tuple(manifest_checks.validate_path(path, use_promtool=use_promtool)))
