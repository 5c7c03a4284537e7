"""Where a version comes from, as its card records it: the training environment (from the
source the request names), the working tree it was registered from (dirty or clean), the
base model relation its weights show, and whether GTO can see its name."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import refs
from llmgit.core.card import RELATIONS
from llmgit.core.envfiles import Environment
from llmgit.errors import InputError, LlmgitWarning, UsageError
from llmgit.infra import environment, git, worktree
from llmgit.infra.gitrefs import list_refnames
from llmgit.infra.worktree import TreeState
from llmgit.register.request import RegisterRequest
from llmgit.store.store import Store

ENV_HINT = "name the training environment: --python PATH/TO/bin/python, or --env-file uv.lock (or requirements.txt, poetry.lock, environment.yml)"
# tags only GTO writes: NAME#STAGE#N, NAME#STAGE!#N, NAME@vX.Y.Z!, NAME@deprecated, NAME@created
GTO_TAGS = ("refs/tags/*#*#*", "refs/tags/*@v*!", "refs/tags/*@deprecated*", "refs/tags/*@created*")
GTO_CONFIG = ".gto"
# looked for at the repository's top, in this order, when nothing names the environment
ENV_FILES = ("uv.lock", "poetry.lock", "requirements.txt", "environment.yml", "environment.yaml")
_GTO_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?$")  # GTO's name grammar


@dataclass(frozen=True)
class Provenance:
    environment: Environment
    tree: TreeState


def training_environment(reg: Store, req: RegisterRequest) -> Environment:
    """The training environment from the source the request names (one at most); else,
    from the CLI, the repository's own lock or requirements file; else this process's."""
    if req.python is not None and req.env_file is not None:
        raise UsageError("give the training environment once: --python or --env-file, not both")
    if req.python is not None:
        return environment.interpreter(_interpreter(reg, req.python))
    if req.env_file is not None:
        path = req.env_file if req.env_file.is_absolute() else reg.cwd / req.env_file
        try:
            shown = path.resolve().relative_to(reg.root).as_posix()
        except ValueError:
            shown = path.name
        return environment.from_file(path, shown)
    if req.training_process:
        return environment.this_process(training=True)
    for name in ENV_FILES:  # the training repository's own lock or requirements file
        path = reg.root / name
        if path.is_file() and not path.is_symlink():
            try:
                return environment.from_file(path, name)
            except InputError as e:
                own = environment.this_process(training=False)
                return dataclasses.replace(own, details={**own.details, "note": f"{name} was not read: {e.message}"})
    return environment.this_process(training=False)


def _interpreter(reg: Store, python: Path) -> Path:
    """The named interpreter: a path (relative to where llmgit runs), or a bare name on PATH."""
    path = python if python.is_absolute() else reg.cwd / python
    if not path.exists() and len(python.parts) == 1:
        found = shutil.which(str(python))
        if found:
            return Path(found)
    return path


def tree_state(reg: Store, req: RegisterRequest, weights: str) -> TreeState:
    """The working tree's uncommitted changes to tracked files, but for the files register
    writes itself (the card, the weights' pointer and ``.gitignore``); refused with
    ``require_clean``."""
    root = reg.root
    ignore = (Path(weights).parent / ".gitignore").as_posix().removeprefix("./")
    head = git.rev_parse(root, "HEAD")
    state = worktree.state(root, head, (refs.card_path(req.name), f"{weights}.dvc", weights, ignore))
    if state.dirty and req.require_clean:
        shown = ", ".join(state.changed[:5]) + (", ..." if state.changed_count > 5 else "")
        raise UsageError(
            f"the working tree has uncommitted changes to {state.changed_count} tracked file(s): {shown}",
            hint="commit or stash them first, or register without --require-clean (the card then records the diff's hash)",
        )
    return state


def collect(reg: Store, req: RegisterRequest, weights: str) -> Provenance:
    return Provenance(training_environment(reg, req), tree_state(reg, req, weights))


def relation(req: RegisterRequest, weights: Path) -> str | None:
    """How the weights relate to the base model: given, else what the files show (an
    ``adapter_config.json``: adapter; ``.gguf`` files: quantized; else finetune)."""
    if req.base_model_relation is not None:
        if req.base_model_relation not in RELATIONS:
            raise UsageError(
                f"unknown base model relation '{req.base_model_relation}'", hint=f"use {', '.join(RELATIONS)}"
            )
        return req.base_model_relation
    names = {e.name for e in os.scandir(weights)} if weights.is_dir() else {weights.name}
    if "adapter_config.json" in names:
        return "adapter"
    if any(n.endswith(".gguf") for n in names):
        return "quantized"
    return "finetune"


def gto_warning(reg: Store, name: str) -> LlmgitWarning | None:
    """A name GTO cannot see, in a repository that GTO also reads (its tags or config), or
    whose settings ask for GTO compatibility."""
    if _GTO_NAME.match(name):
        return None
    if reg.settings.gto_compatible:
        why = "the settings ask for GTO compatibility (gto_compatible: true)"
    elif (reg.root / GTO_CONFIG).is_file():
        why = f"this repository has a GTO config ({GTO_CONFIG})"
    elif list_refnames(reg.root, ["--count=1", *GTO_TAGS]):
        why = "this repository also holds GTO tags"
    else:
        return None
    return LlmgitWarning(
        f"'{name}' has a dot, which GTO's name grammar does not allow, and {why}: GTO will not see "
        f"this model's version or stage tags ('gto show' does not list it; 'gto check-ref' prints nothing for them)",
        hint=f"register under a name without a dot (for example '{name.replace('.', '-')}') to keep it visible to GTO",
    )
