"""Setting a registry up and registering versions (and importing them from GTO). (Methods of
:class:`~llmgit.api.registry.Registry`.)"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from llmgit.api.facade import Facade
from llmgit.core.model import ModelVersion
from llmgit.errors import MissingBucket, OperationFailed

if TYPE_CHECKING:
    from llmgit.register.plan import RegisterPlan
    from llmgit.register.request import RegisterRequest
    from llmgit.setup.ci import CiFiles
    from llmgit.setup.gto_import import GtoImport
    from llmgit.setup.init import InitResult


def init(
    reg: Facade,
    remote: str | None = None,
    endpoint_url: str | None = None,
    cache_type: str | None = None,
    create_bucket: bool = False,
) -> InitResult:
    """Set the registry up in this repository: DVC, the cache type (default ``reflink,copy``),
    a storage remote and ``llmgit.yaml``; ``create_bucket``: an S3 remote's bucket too, when
    it does not exist yet."""
    from llmgit.setup.init import init  # noqa: PLC0415 (start-up)

    return init(reg.store, remote=remote, endpoint_url=endpoint_url, cache_type=cache_type, create_bucket=create_bucket)


def plan_register(reg: Facade, request: RegisterRequest) -> RegisterPlan:
    """What ``register`` would do (the version, and with ``bump="auto"`` why); changes nothing."""
    from llmgit.register.plan import plan  # noqa: PLC0415 (start-up)

    return plan(reg.store, request)


def register(reg: Facade, request: RegisterRequest, plan: RegisterPlan | None = None) -> ModelVersion:
    """Register a version (``bump="auto"``: the advised version, from ``plan`` when given);
    with ``request.push``, publish it: weights first, then its tag."""
    from llmgit.register.register import register  # noqa: PLC0415 (start-up)
    from llmgit.storage.pushpull import push  # noqa: PLC0415 (start-up)

    if request.version is None and request.bump == "auto":
        request = dataclasses.replace(request, version=(plan or plan_register(reg, request)).version)
    v = register(reg.store, request)
    if request.push:
        try:
            push(reg.store, [v.tag])
        except OperationFailed as e:
            finish = f"finish it with: llmgit push {v.tag}"
            raise OperationFailed(
                f"{v.tag} is registered here but not published: {e.message}",
                hint=f"{e.hint}; then {finish}" if isinstance(e, MissingBucket) else finish,
            ) from None
    return v


def import_gto(reg: Facade, *, apply: bool = False, stage_map: dict[str, str] | None = None) -> GtoImport:
    """Stage branches and pointers from GTO's tags; a report only unless ``apply``."""
    from llmgit.setup.gto_import import import_gto  # noqa: PLC0415 (start-up)

    return import_gto(reg.store, apply=apply, stage_map=stage_map)


def ci_init(
    reg: Facade, *, install: str | None = None, deploy_command: str | None = None, force: bool = False
) -> CiFiles:
    """The review and sync workflows for GitHub Actions."""
    from llmgit.setup.ci import init_github  # noqa: PLC0415 (start-up)

    return init_github(reg.store, install=install, deploy_command=deploy_command, force=force)
