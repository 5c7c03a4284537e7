"""What register records about where a version came from: the training environment, read
from where it is (:mod:`llmgit.core.envfiles` parses every outside value).

Sources, as a card names them in ``provenance.environment.source``:

- ``interpreter``: a training interpreter named by the user, run as ``PYTHON -I -c SCRIPT``
  (an argv list, isolated from the working directory, with a timeout); it prints its
  version, platform and installed distributions;
- ``lockfile``: a ``requirements.txt``, ``uv.lock``, ``poetry.lock`` or conda
  ``environment.yml`` named by the user;
- ``process``: the Python process that called the API (the training process);
- ``llmgit``: llmgit's own process, when nothing else was named (the CLI's fallback; it
  says nothing about the training, and register warns).
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from llmgit.core import envfiles
from llmgit.core.envfiles import EnvFileError, Environment
from llmgit.errors import InputError
from llmgit.infra.files import read_input_bytes

ML_PACKAGES = ("torch", "transformers", "peft", "accelerate", "datasets", "vllm")
INTERPRETER_TIMEOUT = 60.0  # seconds for the training interpreter to report


def package_versions(names: tuple[str, ...] = ML_PACKAGES) -> dict[str, str]:
    """Installed versions of the ML packages, read from metadata (nothing is imported)."""
    found: dict[str, str] = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def all_packages() -> dict[str, str]:
    """Every distribution installed for this process (read once per process)."""
    return dict(_distributions())


@functools.cache
def _distributions() -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[str(name)] = dist.version
    return tuple(found.items())


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
    return [line.strip() for line in proc.stdout.splitlines() if line.strip()][:64]


def _facts() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def _with_gpus(env: Environment) -> Environment:
    gpus = visible_gpus()
    if not gpus:
        return env
    return Environment(env.source, env.origin, env.python, env.packages, {**env.details, "gpu": gpus})


def this_process(*, training: bool) -> Environment:
    """This process's environment: the training process's (``training``), else llmgit's own
    (then only the ML packages: the rest are llmgit's dependencies)."""
    packages = all_packages() if training else package_versions()
    doc = {**_facts(), "packages": packages}
    source = "process" if training else "llmgit"
    return _with_gpus(envfiles.from_report(doc, sys.executable if training else "", source))


def interpreter(python: Path, timeout: float = INTERPRETER_TIMEOUT) -> Environment:
    """Run the named training interpreter and read what it reports."""
    exe = str(python)
    if not python.is_file():
        raise InputError(f"training interpreter '{python}' is not a file")
    try:
        proc = subprocess.run(
            [exe, "-I", "-c", envfiles.REPORT_SCRIPT],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"training interpreter '{python}' did not report within {timeout:g} s") from None
    except OSError as e:
        raise InputError(f"training interpreter '{python}' could not be run: {e.strerror or e}") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(
            f"training interpreter '{python}' failed (exit {proc.returncode})"
            + (f": {detail[-1][:200]}" if detail else ""),
            hint="name a Python 3.8+ interpreter: --python path/to/venv/bin/python",
        )
    try:
        env = envfiles.parse_report(proc.stdout, exe)
    except EnvFileError as e:
        raise InputError(str(e)) from None
    return _with_gpus(env)


def from_file(path: Path, shown: str) -> Environment:
    """A lock, requirements or conda file (``shown``: the name the card gives it)."""
    if envfiles.file_format(path.name) is None:
        raise InputError(
            f"environment file '{path}' is not a format llmgit reads",
            hint="name a requirements.txt, uv.lock, poetry.lock or conda environment.yml",
        )
    data = read_input_bytes(path, "environment", max_bytes=envfiles.MAX_FILE_BYTES)
    try:
        return envfiles.parse_file(data, shown)
    except EnvFileError as e:
        raise InputError(str(e)) from None
