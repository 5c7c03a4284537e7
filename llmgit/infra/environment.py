"""What register records about where a version came from: the training environment."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
import sys
from typing import Any

ML_PACKAGES = ("torch", "transformers", "peft", "accelerate", "datasets", "vllm")


def package_versions(names: tuple[str, ...] = ML_PACKAGES) -> dict[str, str]:
    """Installed versions of the ML packages, read from metadata (nothing is imported)."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def visible_gpus() -> list[str]:
    """GPU names from ``nvidia-smi`` when it is on PATH; empty otherwise."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        proc = subprocess.run(
            [exe, "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()]


def environment() -> dict[str, Any]:
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
    }
    gpus = visible_gpus()
    if gpus:
        env["gpu"] = gpus
    return env
