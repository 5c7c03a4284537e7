"""Deployment manifests from the registry: what a stage serves for a model (its holder and
running canary), where the weights are, and render + validate. Stage-branch commits carry
the manifests under ``deploy/NAME/`` so Argo CD or Flux can watch the branch; every change
of a stage re-renders them (:func:`refreshed_files`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from llmgit.core import bounded, canaryfile, refs, stagefile
from llmgit.core.bounded import MIB, BoundError, Limits
from llmgit.core.canaryfile import Canary
from llmgit.core.deployspec import DeploySpec, ServingMode, resources_from_card
from llmgit.core.model import ModelVersion
from llmgit.core.stagefile import Entry, StageFile
from llmgit.errors import InputError, InternalError, LlmgitWarning, UsageError
from llmgit.infra import git, manifest_checks, manifests, templating
from llmgit.infra.manifests import Manifests
from llmgit.store import ledger
from llmgit.store.branches import StageBranch
from llmgit.store.store import Store

DEPLOY_DIR = "deploy"
PLAIN_NAMES_STAGE = "production"  # its resources keep the model's name; others get "-STAGE" (I8)
MANIFEST_LIMITS = Limits(max_bytes=MIB, max_depth=32, max_values=50_000)  # one InferenceService


def storage_uri(reg: Store, v: ModelVersion) -> str:
    """Where KServe reads the weights of ``v``: the copy ``llmgit publish`` made, else
    ``deploy.storage_uri`` in llmgit.yaml with ``{name}``, ``{version}``, ``{tag}`` and ``{md5}``
    (the DVC hash of the weights) filled in."""
    published = ledger.published_uri(reg.root, reg.settings.git_remote, v.name, v.version)
    if published:
        return published
    pattern = reg.settings.deploy.storage_uri
    md5 = v.weights.md5 if v.weights else ""
    return pattern.format(name=v.name, version=v.version, tag=v.tag, md5=md5)


def warn_unpublished(reg: Store, *served: ModelVersion) -> None:
    """A ``warning:`` for each served version that ``llmgit publish`` never copied: its
    storageUri is only ``deploy.storage_uri`` filled in, where nothing is unless someone put
    it there, so KServe would fail to load it."""
    for v in served:
        if ledger.published_uri(reg.root, reg.settings.git_remote, v.name, v.version) is None:
            warnings.warn(
                LlmgitWarning(
                    f"{v.tag} is not published: its storageUri {storage_uri(reg, v)} "
                    "(deploy.storage_uri in llmgit.yaml) holds nothing unless its weights were copied there",
                    hint=f"llmgit publish {v.tag} --to s3://BUCKET/PREFIX, then render the manifests again",
                ),
                stacklevel=2,
            )


def model_dir(name: str) -> str:
    """Where a stage branch carries a model's manifests."""
    return f"{DEPLOY_DIR}/{refs.validate_model_name(name)}"


@dataclass(frozen=True)
class Rendering:
    """Manifests for one model in one stage, and what they say."""

    model: str
    stage: str
    spec: DeploySpec
    manifests: Manifests

    @property
    def files(self) -> dict[str, bytes]:
        """Path on the stage branch -> content."""
        return {f"{model_dir(self.model)}/{r.filename}": r.text.encode() for r in self.manifests.files}


def spec(
    reg: Store, name: str, stable: ModelVersion, candidate: ModelVersion | None, percent: int, mode: ServingMode
) -> DeploySpec:
    """The DeploySpec for serving ``stable`` (and ``candidate`` at ``percent``), from llmgit.yaml's
    ``deploy`` settings; resources come from the served predictor's model card (the candidate's
    when there is one)."""
    d = reg.settings.deploy
    card = reg.card((candidate or stable).tag)
    resources = card.get("resources") if isinstance(card.get("resources"), dict) else None
    return DeploySpec(
        model=name,
        stable_version=stable.version,
        stable_uri=storage_uri(reg, stable),
        candidate_version=candidate.version if candidate else None,
        candidate_uri=storage_uri(reg, candidate) if candidate else None,
        canary_percent=percent,
        namespace=d.namespace,
        mode=mode,
        model_format=d.model_format,
        runtime_args=(f"--model_name={name}",),
        resources=resources_from_card(resources),
        service_account=d.service_account,
        alert_threshold=d.alert_threshold,
        alert_for=d.alert_for,
        rule_interval=d.rule_interval,
    )


def render(reg: Store, stage: str, deploy_spec: DeploySpec) -> Rendering:
    """Render and check offline (schemas + semantics); a render that fails is an error."""
    rendered = manifests.render(deploy_spec, reg.root, stage=None if stage == PLAIN_NAMES_STAGE else stage)
    problems = manifest_checks.validate_documents(rendered.documents(), use_promtool=False)
    if problems:
        overrides = [
            r.template
            for r in rendered.files
            if templating.find(r.template, reg.root) == reg.root / templating.OVERRIDE_DIR / r.template
        ]
        error = InputError if overrides else InternalError
        where = f" (templates overridden in {templating.OVERRIDE_DIR}: {', '.join(overrides)})" if overrides else ""
        raise error(
            f"the rendered manifests do not validate{where}: {problems[0]}",
            hint="\n".join(str(p) for p in problems[1:]) or None,
        )
    return Rendering(deploy_spec.model, stage, deploy_spec, rendered)


def committed_mode(root: Path, tip: str | None, name: str) -> ServingMode | None:
    """The serving mode of the InferenceService committed on a stage branch, if there is one
    (read within bounds: the branch comes from outside; one that cannot be read has none)."""
    spec = f"{tip}:{model_dir(name)}/{manifests.ISVC_FILE}"
    found = git.blob_sizes(root, [spec])[spec] if tip else None
    if found is None or found[1] > MANIFEST_LIMITS.max_bytes:
        return None
    try:
        doc = bounded.load_yaml(git.read_blobs(root, [found[0]])[found[0]] or b"", MANIFEST_LIMITS, spec)
    except BoundError:
        return None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    mode = annotations.get(manifest_checks.MODE_ANNOTATION) if isinstance(annotations, dict) else None
    if not isinstance(mode, str):
        return None
    return ServingMode.standard if mode.lower() in ("standard", "rawdeployment") else ServingMode.knative


def serving_mode(reg: Store, explicit: str | None, canary: Canary | None, sb: StageBranch, name: str) -> ServingMode:
    """``--serving-mode``, else the running canary's, else the committed manifest's, else llmgit.yaml's."""
    if explicit is not None:
        if explicit not in canaryfile.MODES:
            raise UsageError(f"unknown serving mode '{explicit}'", hint="use knative or standard")
        return ServingMode(explicit)
    if canary is not None:
        return ServingMode(canary.mode)
    return committed_mode(reg.root, sb.tip, name) or ServingMode(reg.settings.deploy.serving_mode)


def holder_of(sb: StageBranch, name: str) -> tuple[Entry, Canary | None]:
    """The stage holder of ``name`` and its running canary; an error when nothing holds it."""
    holder = sb.file.holders.get(name)
    if holder is None:
        raise UsageError(
            f"no version of '{name}' holds {sb.stage}",
            hint=f"promote one first: llmgit promote {name}@vX.Y.Z --to {sb.stage}",
        )
    where = f"{sb.short}:{stagefile.FILE}: models.{name}"
    return holder, canaryfile.of(holder, where)


def for_entry(
    reg: Store, sb: StageBranch, name: str, holder: Entry, canary: Canary | None, mode: str | None = None
) -> Rendering:
    """What ``holder`` (and ``canary``) in ``sb``'s stage should serve."""
    stable = reg.get(holder.tag)
    candidate = reg.get(canary.tag) if canary else None
    chosen = serving_mode(reg, mode, canary, sb, name)
    return render(reg, sb.stage, spec(reg, name, stable, candidate, canary.percent if canary else 0, chosen))


def has_files(root: Path, sb: StageBranch, name: str) -> bool:
    """Whether the stage branch already carries manifests for ``name``."""
    spec = f"{sb.tip}:{model_dir(name)}/{manifests.ISVC_FILE}"
    return bool(sb.tip) and git.blob_sizes(root, [spec])[spec] is not None


def refreshed_files(reg: Store, sb: StageBranch, name: str, file: StageFile) -> dict[str, bytes]:
    """For a transition of ``name`` to ``file``: its re-rendered manifests when the branch
    already carries them (so a watcher deploys the change), else nothing."""
    if not has_files(reg.root, sb, name) or name not in file.holders:
        return {}
    holder = file.holders[name]
    where = f"{sb.short}:{stagefile.FILE}: models.{name}"
    return for_entry(reg, sb, name, holder, canaryfile.of(holder, where)).files
