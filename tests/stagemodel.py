"""A reference model of one model's stages (docs/stages.md, invariants I1-I5), for the
stateful test: per stage the holder, the ordered transitions, the excluded set and the
running canary; and the archive. Pure: it predicts, the test compares with the repository.

A prediction is ``"ok"`` (the command changes the state as modelled), ``"noop"`` (succeeds,
changes nothing), ``"error"`` (an LlmgitError, nothing changed) or ``"either"`` (the
documented rules leave it open: success as modelled, or an LlmgitError changing nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOLDING = ("staging", "production")
HOLDER_KINDS = ("promote", "rollback", "guard", "canary-promote", "archive")
RESTORING = ("rollback", "guard")  # I2: the version they leave becomes excluded
EXPLICIT = ("promote", "canary-promote")  # I2: clears the exclusion of the version they install
CANARY_KINDS = ("canary-start", "canary-abort")


@dataclass(frozen=True)
class Transition:
    kind: str
    version: str | None  # the holder after it (the candidate for canary events); None: emptied
    previous: str | None  # the holder before it
    reason: str
    at: int  # the clock (epoch seconds) of the step that made it


@dataclass
class Stage:
    holder: str | None = None
    canary: tuple[str, int] | None = None  # (version, percent)
    transitions: list[Transition] = field(default_factory=list)

    @property
    def excluded(self) -> set[str]:
        """I2: rolled back from (rollback or guard) after its last explicit promote here."""
        out: set[str] = set()
        for t in self.transitions:
            if t.kind in RESTORING and t.previous:
                out.add(t.previous)
            elif t.kind in EXPLICIT and t.version:
                out.discard(t.version)
        return out

    def holder_changes(self) -> list[Transition]:
        return [t for t in self.transitions if t.kind in HOLDER_KINDS]

    def arrived_by_restore(self) -> bool:
        """The current holder got there by a rollback or the guard (I3 idempotence)."""
        changes = self.holder_changes()
        return bool(changes) and self.holder is not None and changes[-1].kind in RESTORING

    def ever_held(self, version: str) -> bool:
        return self.holder == version or any(t.version == version for t in self.holder_changes())

    def rollback_target(self) -> str | None:
        """I3: the most recent earlier holder that is not excluded and not the holder."""
        excluded = self.excluded
        for t in reversed(self.holder_changes()):
            v = t.version
            if v is not None and v != self.holder and v not in excluded:
                return v
        return None


@dataclass
class Model:
    name: str
    accuracy: dict[str, float]  # version -> registered accuracy, in registration order
    stages: dict[str, Stage] = field(default_factory=lambda: {s: Stage() for s in HOLDING})
    archived: set[str] = field(default_factory=set)

    @property
    def versions(self) -> list[str]:
        return list(self.accuracy)

    def held(self) -> set[str]:
        return {s.holder for s in self.stages.values() if s.holder is not None}

    # -- changes (applied after the repository did them) --

    def change_holder(self, stage: str, kind: str, to: str | None, reason: str, at: int) -> None:
        """I4: a holder change by rollback, guard or promote first ends a running canary."""
        s = self.stages[stage]
        if s.canary is not None and kind != "canary-promote":
            s.transitions.append(Transition("canary-abort", s.canary[0], s.holder, f"ended by {kind}", at))
        s.canary = None
        before = s.holder
        s.transitions.append(Transition(kind, to, before, reason, at))
        s.holder = to
        if before is not None and before not in self.held():
            self.archived.add(before)
        if to is not None:
            self.archived.discard(to)

    def start_canary(self, stage: str, version: str, percent: int, reason: str, at: int) -> None:
        s = self.stages[stage]
        if s.canary is None or s.canary[0] != version:
            s.transitions.append(Transition("canary-start", version, s.holder, reason, at))
        s.canary = (version, percent)

    def abort_canary(self, stage: str, reason: str, at: int) -> None:
        s = self.stages[stage]
        assert s.canary is not None
        s.transitions.append(Transition("canary-abort", s.canary[0], s.holder, reason, at))
        s.canary = None

    def archive(self, version: str, at: int) -> None:
        """``Registry.transition(name, version, "archived")``: the version leaves every stage it holds, into the archive."""
        for stage, s in self.stages.items():
            if s.holder == version:
                self.change_holder(stage, "archive", None, "", at)
        self.archived.add(version)

    # -- predictions --

    def predict_promote(self, stage: str, version: str, skip_previous: bool) -> str:
        s = self.stages[stage]
        if s.holder == version:
            return "noop"
        if stage == "production" and not skip_previous and not self.stages["staging"].ever_held(version):
            return "error"  # the previous-stage rule holds for an excluded version too
        if version in s.excluded:
            return "ok"  # I2: an explicit promote brings an excluded version back
        if version in self.archived:
            return "either"  # archived, not excluded here: the rules do not say
        return "ok"

    def predict_ab_abort(self, stage: str) -> str:
        """A running canary ends; run again right after an abort, it changes nothing (I7)."""
        s = self.stages[stage]
        if s.canary is not None:
            return "ok"
        if s.holder is not None and s.transitions and s.transitions[-1].kind == "canary-abort":
            return "noop"
        return "error"

    def predict_rollback(self, stage: str, to: str | None) -> tuple[str, str | None]:
        """(outcome, the version it installs)."""
        s = self.stages[stage]
        if s.holder is None:
            return "error", None
        if to is None:
            if s.arrived_by_restore():
                return "noop", None
            target = s.rollback_target()
            return ("ok", target) if target is not None else ("error", None)
        if to == s.holder:
            return "noop", None
        if to in s.excluded:
            return "error", None
        return "ok", to

    def predict_guard(self, stage: str, observed: dict[str, float], threshold: float) -> tuple[str, str | None]:
        """I5: compare with the I3 target; restore it only when degraded; never an excluded one."""
        s = self.stages[stage]
        if s.holder is None:
            return "error", None
        target = s.rollback_target()
        if target is None:
            return "noop", None
        degraded = observed[s.holder] < observed[target] - threshold
        if not degraded:
            return "noop", None
        return ("either-noop" if s.arrived_by_restore() else "ok"), target

    def predict_ab_start(self, stage: str, version: str, percent: int) -> str:
        s = self.stages[stage]
        if s.holder is None or version == s.holder or version in self.archived:
            return "error"
        if s.canary is not None and s.canary[0] != version:
            return "error"
        if s.canary == (version, percent):
            return "noop"
        return "ok"

    def predict_archive(self, version: str) -> str:
        if any(s.canary is not None and version in (s.holder, s.canary[0]) for s in self.stages.values()):
            return "either"
        if version in self.archived and version not in self.held():
            return "either"
        return "ok"
