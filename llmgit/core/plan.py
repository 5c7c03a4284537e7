"""A plan of ref changes: local ref updates (one ``update-ref`` transaction) and the matching
pushes (one atomic ``git push``), with what they mean for stages. Pure values; the store's
writer applies them."""

from __future__ import annotations

from dataclasses import dataclass

ZERO = "0" * 40  # the object id git uses for "no such ref"


@dataclass(frozen=True)
class RefUpdate:
    """One line of an update-ref transaction. ``new`` None deletes; ``old`` None = don't care."""

    ref: str
    new: str | None
    old: str | None = None


@dataclass(frozen=True)
class PushSpec:
    """Set ``ref`` on the remote to ``new`` (None deletes). ``lease``: what the remote must
    hold now ('' = absent); None pushes as a plain fast-forward."""

    ref: str
    new: str | None
    lease: str | None = None


@dataclass(frozen=True)
class Change:
    """A version entering or leaving the archive, and why."""

    model: str
    version: str
    stage: str
    reason: str


@dataclass(frozen=True)
class Plan:
    """Local ref updates (one transaction) and the matching pushes."""

    updates: tuple[RefUpdate, ...] = ()
    pushes: tuple[PushSpec, ...] = ()
    archived: tuple[Change, ...] = ()
    unarchived: tuple[Change, ...] = ()
    tags: tuple[str, ...] = ()  # stage tags created, moved or deleted

    def __add__(self, other: Plan) -> Plan:
        return Plan(
            self.updates + other.updates,
            self.pushes + other.pushes,
            self.archived + other.archived,
            self.unarchived + other.unarchived,
            self.tags + other.tags,
        )

    @property
    def empty(self) -> bool:
        return not self.updates

    @classmethod
    def move(cls, ref: str, new: str, old: str | None) -> Plan:
        """Move one ref (here and on the remote) from ``old`` (None: it does not exist yet)."""
        return cls((RefUpdate(ref, new, old or ZERO),), (PushSpec(ref, new),))
