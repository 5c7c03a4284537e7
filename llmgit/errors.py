"""The llmgit error hierarchy.

Every expected failure is an :class:`LlmgitError`; the class owns its exit code and the
message carries one human sentence, optionally with a hint. Only ``llmgit.cli`` turns them
into ``error:``/``hint:`` lines and an exit status. The exit-code table lives in
``docs/exit-codes.md``.
"""

from __future__ import annotations


class LlmgitError(Exception):
    """An expected failure: one sentence for the user, maybe a hint, and an exit code."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class OperationFailed(LlmgitError):
    """A git, DVC or storage operation failed; nothing was changed. Exit 1."""

    exit_code = 1


class MissingBucket(OperationFailed):
    """The S3 bucket of the storage remote does not exist: trying again cannot help, so a
    command that wraps this error keeps its hint (how to create the bucket). Exit 1."""


class CorruptObject(OperationFailed):
    """An object's bytes do not hash to its name (a download, an upload or the local cache).
    Exit 1; nothing was placed or uploaded."""

    def __init__(self, oid: str, actual: str, where: str, hint: str | None = None) -> None:
        super().__init__(f"object {oid} from {where} has md5 {actual}: its bytes are not the registered ones", hint)
        self.oid = oid
        self.actual = actual
        self.where = where


class ManifestError(OperationFailed):
    """A DVC directory manifest llmgit will not use (a path outside its directory, no md5)."""


class UsageError(LlmgitError):
    """Bad input or a precondition the user must fix first. Exit 2."""

    exit_code = 2


class NotARepository(UsageError):
    """The directory is not inside a git work tree."""


class NotInitialized(UsageError):
    """The repository has no llmgit.yaml yet."""


class InvalidName(UsageError):
    """A model, stage or path name that llmgit refuses."""


class InvalidVersion(UsageError):
    """A version string that is not SemVer 2.0."""


class UnknownReference(UsageError):
    """A reference that names no registered version."""


class VersionExists(UsageError):
    """The version tag already exists; version tags are immutable."""


class ConfigError(UsageError):
    """llmgit.yaml has an unknown key or a bad value."""


class InputError(UsageError):
    """A metrics, params or card file that cannot be used."""


class FilterSyntaxError(UsageError):
    """A ``--filter`` / ``search`` expression that does not parse; names the 1-based column."""

    def __init__(self, message: str, hint: str | None = None, *, column: int = 0) -> None:
        super().__init__(message, hint)
        self.column = column


class BadRecord(UsageError):
    """A record from outside (a version tag, a stage entry, a ledger entry) that llmgit will
    not use. Listings skip it with a ``warning:`` line; with ``--strict`` it is this error."""


class StageFileError(UsageError):
    """A stage branch whose stage.yaml is missing or not valid."""


class CanaryRecordError(UsageError):
    """A ``canary:`` mapping in stage.yaml that llmgit cannot use."""


class PrometheusError(OperationFailed):
    """Prometheus could not answer a query usefully. Exit 1."""


class PrometheusUnreachable(PrometheusError):
    """No HTTP answer at all: connection refused, DNS failure or timeout."""


class BadQuery(PrometheusError):
    """Prometheus rejected the query (HTTP 400 or 422); the message carries its error text."""


class NoData(PrometheusError):
    """The query matched no series: nothing was scraped for that model in that window."""


class BadValue(PrometheusError):
    """A sample value is NaN, infinite or not a number."""


class WouldLoseWork(LlmgitError):
    """Refused because it would overwrite unsaved work. Exit 4."""

    exit_code = 4


class ArchivedWeights(LlmgitError):
    """Weights sit in an archive storage class and must be restored first. Exit 6."""

    exit_code = 6


class Degraded(LlmgitError):
    """``guard``: the watched metric degraded (with ``--apply``: rolled back). Exit 5."""

    exit_code = 5


class InternalError(LlmgitError):
    """A bug in llmgit. Exit 3."""

    exit_code = 3


class Interrupted(LlmgitError):
    """Interrupted (Ctrl-C). Exit 130."""

    exit_code = 130


class LlmgitWarning(UserWarning):
    """Something the user should know (the CLI prints ``warning:`` and maybe ``hint:``)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class SkippedRecord(LlmgitWarning):
    """A record left out of a listing because it is malformed (``--strict`` makes it an error)."""


class LinkedCacheWarning(LlmgitWarning):
    """The DVC cache type links the working tree to the cache (hardlink, symlink)."""
