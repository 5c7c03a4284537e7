"""Human-readable quantities, shared by the CLI and the report."""

from __future__ import annotations


def human_size(size: int | None, missing: str = "") -> str:
    """``1536`` -> ``1.5 KiB``; ``missing`` when the size is unknown."""
    if size is None:
        return missing
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
