"""``ci init github``: the review and sync workflows, rendered from ``templates/ci/``.

The workflows install llmgit from where the running llmgit came from, pinned: the PEP 610
``direct_url.json`` of its installed distribution names a git commit or an archive with its
sha256 (:mod:`llmgit.core.direct_url`). When it names neither (a local directory, an editable
install, a package index, which records nothing), ``ci init`` stops and asks for
``--install-spec``: a bare ``llmgit==X`` would install whatever first registers that name on
the index, in a job that may push.
"""

from __future__ import annotations

import importlib.metadata
import shlex
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import direct_url, yamlio
from llmgit.core.bounded import BoundError
from llmgit.errors import InputError, UsageError, WouldLoseWork
from llmgit.infra import templating
from llmgit.infra.files import read_input_bytes, write_atomic
from llmgit.store.store import Store

DISTRIBUTION = "llmgit"
OPTION = "--install-spec"

WORKFLOWS = ("llmgit-review.yml", "llmgit-sync.yml")
TARGET = Path(".github") / "workflows"


@dataclass(frozen=True)
class CiFiles:
    written: tuple[Path, ...]
    install: str  # what the workflows pass to pip install


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


def _refuse(why: str) -> UsageError:
    return UsageError(
        f"cannot tell where this llmgit was installed from in a form a CI runner can install: {why}",
        hint=f"pass what the workflows should pip-install (shell words), e.g. {OPTION} git+https://HOST/OWNER/llmgit@COMMIT",
    )


def _record(dist: importlib.metadata.Distribution) -> Path | None:
    """The ``direct_url.json`` of ``dist`` (as its RECORD lists it), None when it has none."""
    for f in dist.files or ():
        if f.name == direct_url.FILE and len(f.parts) == 2 and f.parts[0].endswith(".dist-info"):
            return Path(str(f.locate()))
    return None


def pinned_origin(dist: importlib.metadata.Distribution | None = None) -> direct_url.DirectUrl:
    """Where the installed llmgit (or ``dist``) came from, pinned; :class:`UsageError` naming
    ``--install-spec`` when that cannot be told."""
    if dist is None:
        try:
            dist = importlib.metadata.distribution(DISTRIBUTION)
        except importlib.metadata.PackageNotFoundError:
            raise _refuse("llmgit runs without an installed distribution") from None
    path = _record(dist)
    if path is None or not path.exists():
        raise _refuse(
            f"llmgit {dist.version} records no {direct_url.FILE} "
            "(installed from a package index, which records neither the index nor the file's hash)"
        )
    try:
        data = read_input_bytes(path, direct_url.FILE, max_bytes=direct_url.MAX_BYTES)
        return direct_url.parse(data, str(path))
    except direct_url.Unpinnable as e:
        raise _refuse(str(e)) from None
    except (BoundError, InputError) as e:
        raise _refuse(f"its {direct_url.FILE} cannot be used: {e}") from None


def install_spec(dist: importlib.metadata.Distribution | None = None) -> str:
    """What the workflows pass to ``pip install``: the pinned requirement, shell-quoted."""
    return shlex.quote(pinned_origin(dist).requirement(DISTRIBUTION))


def render_github(prefix: str, install: str, deploy_command: str | None, root: Path | None = None) -> dict[str, str]:
    """Workflow file name -> text; each is parsed back before it is returned."""
    _check_line(install, OPTION)
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
    reg: Store,
    *,
    install: str | None = None,
    deploy_command: str | None = None,
    force: bool = False,
    dist: importlib.metadata.Distribution | None = None,
) -> CiFiles:
    """Write the workflows; ``install`` (``--install-spec``) or else where the installed
    llmgit (``dist``) came from is what they pip-install. Nothing is written on an error."""
    settings = reg.require_initialized()
    if install is not None and not install.strip():
        raise UsageError(
            f"{OPTION} must not be empty",
            hint="give what pip should install, e.g. git+https://HOST/OWNER/llmgit@COMMIT",
        )
    _check_line(deploy_command or "", "--deploy-command")  # the user's own values first
    spec = install if install is not None else install_spec(dist)
    texts = render_github(settings.stage_branch_prefix, spec, deploy_command, reg.root)
    target = reg.root / TARGET
    existing = [target / n for n in texts if (target / n).exists()]
    if existing and not force:
        raise WouldLoseWork(f"{existing[0].relative_to(reg.root)} exists", hint="pass --force to overwrite it")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        write_atomic(target / name, text.encode())
    return CiFiles(tuple(target / n for n in texts), spec)
