"""``ci init github``: the review and sync workflows, rendered from ``templates/ci/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmgit.core import yamlio
from llmgit.core.release import VERSION
from llmgit.errors import UsageError, WouldLoseWork
from llmgit.infra import templating
from llmgit.infra.files import write_atomic
from llmgit.store.store import Store

WORKFLOWS = ("llmgit-review.yml", "llmgit-sync.yml")
TARGET = Path(".github") / "workflows"


@dataclass(frozen=True)
class CiFiles:
    written: tuple[Path, ...]


def _check_line(value: str, option: str) -> None:
    """``value`` goes into a workflow's shell code: one line, and no ``${{ }}`` expression,
    which GitHub would expand into the script before the shell sees it (so a commit message
    or a branch name could run as code)."""
    if "\n" in value or "\r" in value:
        raise UsageError(f"{option} must be a single line")
    if "${{" in value:
        raise UsageError(
            f"{option} must not hold a GitHub expression '${{{{ ... }}}}'",
            hint="read such values from environment variables the command expands itself",
        )


def render_github(prefix: str, install: str, deploy_command: str | None, root: Path | None = None) -> dict[str, str]:
    """Workflow file name -> text; each is parsed back before it is returned."""
    _check_line(install, "--install")
    _check_line(deploy_command or "", "--deploy-command")
    deploy = (
        f"          {deploy_command}"
        if deploy_command
        else ('          # add your deploy command here, e.g.: llmgit deploy render MODEL --stage "$stage"')
    )
    out = {}
    for name in WORKFLOWS:
        text = templating.render(
            f"ci/github/{name}", {"prefix": prefix, "install": install, "deploy": deploy}, root, brackets=True
        )
        try:
            yamlio.load(text)
        except yamlio.YAMLError as e:
            raise UsageError(
                f"the rendered workflow {name} is not valid YAML: {str(e).splitlines()[0]}",
                hint=f"check {templating.OVERRIDE_DIR}/ci/github/{name} if you override it",
            ) from None
        out[name] = text
    return out


def init_github(
    reg: Store, *, install: str | None = None, deploy_command: str | None = None, force: bool = False
) -> CiFiles:
    settings = reg.require_initialized()
    texts = render_github(settings.stage_branch_prefix, install or f"llmgit=={VERSION}", deploy_command, reg.root)
    target = reg.root / TARGET
    existing = [target / n for n in texts if (target / n).exists()]
    if existing and not force:
        raise WouldLoseWork(f"{existing[0].relative_to(reg.root)} exists", hint="pass --force to overwrite it")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        write_atomic(target / name, text.encode())
    return CiFiles(tuple(target / n for n in texts))
