"""register records the training environment from where it is: a named interpreter, a lock or
requirements file (named, or the repository's own), the calling process (the Python API), and
says so when all it has is llmgit's own."""

from __future__ import annotations

import os
import platform
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, make_weights, run_cli, snapshot

from llmgit import RegisterRequest, Registry
from llmgit.errors import InputError
from llmgit.infra import environment

UV_LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "Safetensors"
version = "0.4.3"

[[package]]
name = "transformers"
version = "4.44.2"
dependencies = [{ name = "numpy" }, { name = "safetensors" }]
"""
POETRY_LOCK = """\
[[package]]
name = "numpy"
version = "1.26.4"
description = "Fundamental package for array computing in Python"
optional = false
python-versions = ">=3.9"

[[package]]
name = "transformers"
version = "4.44.2"

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "abc"
"""
REQUIREMENTS = """\
# pinned by pip-compile
--index-url https://pypi.org/simple
numpy==1.26.4 \\
    --hash=sha256:00
safetensors[torch]==0.4.3  # via transformers
transformers>=4.44,<5 ; python_version >= "3.9"
-e ./local-package
./wheels/foo-1.0-py3-none-any.whl
git+https://example.com/repo.git#egg=bar
"""
CONDA = """\
name: train
channels: [conda-forge]
dependencies:
  - python=3.11.7
  - conda-forge::numpy=1.26.4=py311h64a7726_0
  - pytorch==2.3.1
  - pip
  - pip:
      - transformers==4.44.2
"""

CASES = {
    "uv.lock": (UV_LOCK, ">=3.11", {"numpy": "1.26.4", "safetensors": "0.4.3", "transformers": "4.44.2"}),
    "poetry.lock": (POETRY_LOCK, "^3.11", {"numpy": "1.26.4", "transformers": "4.44.2"}),
    "requirements.txt": (REQUIREMENTS, None, {"numpy": "1.26.4", "safetensors": "0.4.3", "transformers": ">=4.44,<5"}),
    "environment.yml": (CONDA, "3.11.7", {"numpy": "1.26.4", "pytorch": "2.3.1", "pip": "*", "transformers": "4.44.2"}),
}


def card(repo: Path, tag: str = "m@v1.0.0") -> dict[str, Any]:
    data = yaml.safe_load(git(repo, "show", f"{tag}:models/m/model_card.yaml"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", list(CASES), ids=list(CASES))
def test_the_environment_from_a_named_file(registry_repo: Path, tmp_path: Path, name: str) -> None:
    repo = registry_repo
    text, python, packages = CASES[name]
    env_dir = tmp_path / "training"
    env_dir.mkdir()
    (env_dir / name).write_text(text)
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w", "--env-file", str(env_dir / name))
    assert result.code == 0, result.err
    assert "warning" not in result.err
    env = card(repo)["provenance"]["environment"]
    assert env["source"] == "lockfile" and env["from"] == name and env["format"] == name
    assert env["python"] == python
    assert env["packages"] == packages
    assert len(env["sha256"]) == 64
    readme = run_cli(repo, "card", "render", "m@v1.0.0").out
    assert f"environment**: from a lock or requirements file (`{name}`)" in readme


def test_the_repositorys_own_lock_file_is_found(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "uv.lock").write_text(UV_LOCK)
    (repo / "requirements.txt").write_text("torch==2.3.1\n")  # uv.lock comes first
    git(repo, "add", "uv.lock", "requirements.txt")
    git(repo, "commit", "-q", "-m", "lock")
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w")
    assert result.code == 0 and "warning" not in result.err, result.err
    env = card(repo)["provenance"]["environment"]
    assert env["from"] == "uv.lock" and env["packages"]["transformers"] == "4.44.2"


def test_only_llmgits_own_environment_is_said_so(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w")
    assert result.code == 0
    assert "warning: the card records llmgit's own environment, not the training environment" in result.err
    assert "hint: name the training environment: --python" in result.err
    env = card(repo)["provenance"]["environment"]
    assert env["source"] == "llmgit" and env["python"] == platform.python_version()
    readme = run_cli(repo, "card", "render", "m@v1.0.0").out
    assert "from llmgit's own process, Python" in readme and "the training environment was not recorded" in readme


def test_an_unreadable_lock_file_of_the_repository_falls_back_with_the_reason(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "uv.lock").write_text("[[package]\nname = ")
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w")
    assert result.code == 0
    assert "uv.lock was not read: environment file 'uv.lock' is not valid TOML" in result.err
    assert card(repo)["provenance"]["environment"]["source"] == "llmgit"


def test_the_environment_from_the_training_interpreter(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    result = run_cli(repo, "register", "m", "-w", "w", "--python", sys.executable)
    assert result.code == 0 and "warning" not in result.err, result.err
    env = card(repo)["provenance"]["environment"]
    assert env["source"] == "interpreter" and env["from"] == sys.executable
    assert env["python"] == platform.python_version() and env["implementation"] == sys.implementation.name
    assert env["packages"]["pyyaml"] == yaml.__version__  # every distribution, names normalized


def test_a_bare_interpreter_name_is_looked_up_on_path(
    registry_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "train-python").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    make_weights(registry_repo / "w", seed=1)
    result = run_cli(registry_repo, "register", "m", "-w", "w", "--python", "train-python")
    assert result.code == 0, result.err
    env = card(registry_repo)["provenance"]["environment"]
    assert env["source"] == "interpreter" and env["from"] == str(bin_dir / "train-python")


def test_the_python_api_records_the_calling_process(registry_repo: Path) -> None:
    make_weights(registry_repo / "w", seed=1)
    Registry(registry_repo).register(RegisterRequest(name="m", weights=Path("w")))
    env = card(registry_repo)["provenance"]["environment"]
    assert env["source"] == "process" and env["from"] == sys.executable
    assert "pytest" in env["packages"]  # the caller's whole environment, not llmgit's ML list


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("#!/bin/sh\necho not json\n", "is not valid JSON"),
        ("#!/bin/sh\necho broken >&2\nexit 3\n", "failed (exit 3): broken"),
        ("#!/bin/sh\necho '[1, 2]'\n", "is not a JSON object"),
    ],
    ids=["not-json", "fails", "not-an-object"],
)
def test_a_bad_interpreter_is_refused_and_nothing_changes(
    registry_repo: Path, tmp_path: Path, script: str, message: str
) -> None:
    repo = registry_repo
    make_weights(repo / "w", seed=1)
    fake = _script(tmp_path / "python", script)
    before = snapshot(repo)
    result = run_cli(repo, "register", "m", "-w", "w", "--python", str(fake))
    assert result.code == 2 and message in result.err, result.err
    assert snapshot(repo) == before


def test_an_interpreter_that_hangs_is_stopped(tmp_path: Path) -> None:
    fake = _script(tmp_path / "python", "#!/bin/sh\nexec sleep 30\n")
    with pytest.raises(InputError, match="did not report within 0.5 s"):
        environment.interpreter(fake, timeout=0.5)


def test_one_source_at_a_time(registry_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\n")
    make_weights(registry_repo / "w", seed=1)
    args = ("--python", sys.executable, "--env-file", str(tmp_path / "requirements.txt"))
    result = run_cli(registry_repo, "register", "m", "-w", "w", *args)
    assert result.code == 2 and "--python or --env-file, not both" in result.err


def test_an_unknown_file_format_is_refused(registry_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text("{}")
    make_weights(registry_repo / "w", seed=1)
    result = run_cli(registry_repo, "register", "m", "-w", "w", "--env-file", str(tmp_path / "Pipfile.lock"))
    assert result.code == 2 and "is not a format llmgit reads" in result.err
