"""A stateful property test of the stage invariants (docs/stages.md I1-I5, I8): hypothesis
drives the Python API on a real repository with a bare origin (register, promote directly
and by a pull request merged in the origin then ``sync``, rollback with and without ``to``,
the guard on generated metrics, canaries, ``transition`` to ``archived``, lifecycle apply
under a pinned clock) and after every step compares the repository, read with raw git where
it can, with the reference model in ``tests/stagemodel.py``.

Bounded for CI: 30 examples of up to 15 steps; ``LLMGIT_STATE_EXAMPLES`` and
``LLMGIT_STATE_STEPS`` raise them. A failure prints the shrunk steps and a reproduction blob.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import yaml
from conftest import Clock, git, make_weights
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from stagekit import merge_in_origin
from stagemodel import HOLDER_KINDS, HOLDING, Model, Stage

from llmgit.api.registry import Registry
from llmgit.core import history as core_history
from llmgit.errors import LlmgitError
from llmgit.register.request import RegisterRequest
from llmgit.stages.requests import PromoteRequest

M = "chat"
ACCURACY = (0.70, 0.74, 0.78)  # the template's versions 1.0.0, 1.0.1, 1.0.2
GRID = st.integers(50, 95).map(lambda k: k / 100)  # metric values: a grid, so no ties at the threshold
THRESHOLD = 0.025
STAGE = st.sampled_from(HOLDING)
INDEX = st.integers(0, 30)  # a registered version, modulo how many there are


def _template(base: Path) -> Path:
    """A registry with three versions and a bare origin, copied for every example."""
    root = base / "repo"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("# experiments\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    reg = Registry(root)
    reg.init(remote=str(base / "remote"))
    for i, acc in enumerate(ACCURACY):
        make_weights(root / "out" / M, seed=i, shards=1, size=256)
        reg.register(RegisterRequest(M, root / "out" / M, metrics={"accuracy": acc}, message=f"run {i}"))
    git(base, "init", "-q", "--bare", str(base / "origin.git"))
    git(root, "remote", "add", "origin", str(base / "origin.git"))
    git(root, "push", "-q", "origin", "main", "--tags")
    return base


class StageMachine(RuleBasedStateMachine):
    template: Path
    clock: Clock
    rendered: dict[tuple[object, ...], None] = {}  # I8 keys already checked (renderings are pure)

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="llmgit-state-"))
        shutil.copytree(self.template, self.base, dirs_exist_ok=True, symlinks=True)
        self.root = self.base / "repo"
        self.origin = self.base / "origin.git"
        git(self.root, "remote", "set-url", "origin", str(self.origin))
        (self.root / ".dvc" / "config.local").write_text(f"['remote \"storage\"']\n    url = {self.base / 'remote'}\n")
        self.model = Model(M, dict(zip(("1.0.0", "1.0.1", "1.0.2"), ACCURACY, strict=True)))
        self.steps: list[tuple[int, tuple[tuple[str, str | None], ...]]] = []  # (time, holders) after each step
        self.n = 0

    def teardown(self) -> None:
        try:
            self.check_holders_at()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- helpers --

    def reg(self) -> Registry:
        return Registry(self.root)

    def version(self, i: int) -> str:
        return self.model.versions[i % len(self.model.versions)]

    def tick(self, seconds: int = 60) -> int:
        return self.clock.tick(seconds)

    def reason(self, what: str) -> str:
        self.n += 1
        return f"{what} {self.n}"

    def state(self) -> tuple[str, str]:
        """Everything a failed command must leave as it was: refs, and each stage file."""
        files = "".join(git(self.root, "show", f"stage/{s}:stage.yaml", check=False) for s in (*HOLDING, "archived"))
        return git(self.root, "for-each-ref", "--format=%(refname) %(objectname)"), files

    def expect_failure(self, call, what: str) -> None:  # type: ignore[no-untyped-def]
        before = self.state()
        try:
            call()
        except LlmgitError as e:
            note(f"  refused as predicted: {e.message}")
        else:
            raise AssertionError(f"{what}: predicted to fail, but it succeeded")
        assert self.state() == before, f"{what}: failed but changed refs or a stage file"

    def attempt(self, call, what: str, outcome: str) -> object | None:  # type: ignore[no-untyped-def]
        """Run ``call``; ``either``: an LlmgitError that changes nothing is accepted too.
        Returns the result, or None when it was (acceptably) refused."""
        event(f"{what.split(' ')[0]} {what.split(' ')[1]}: {outcome}")
        if outcome == "error":
            self.expect_failure(call, what)
            return None
        before = self.state()
        try:
            result: object = call()
            return result
        except LlmgitError as e:
            if outcome.startswith("either"):
                note(f"  refused (allowed): {e.message}")
                assert self.state() == before, f"{what}: failed but changed refs or a stage file"
                return None
            raise AssertionError(f"{what}: predicted {outcome}, refused: {e.message} (hint: {e.hint})") from e

    def unchanged(self, what: str, before: tuple[str, str]) -> None:
        after = self.state()
        assert after[1] == before[1], f"{what}: predicted to change nothing, but a stage file changed"

    # -- rules --

    @initialize(seeded=st.booleans())
    def start(self, seeded: bool) -> None:
        """An empty registry, or one where v1.0.0 then v1.0.1 served (through staging)."""
        self.tick()
        if seeded:
            for i in (0, 1):
                self.promote("staging", i, False)
                self.promote("production", i, False)

    @rule(acc=GRID)
    def register(self, acc: float) -> None:
        self.tick()
        seed = 100 + len(self.model.versions)
        make_weights(self.root / "out" / M, seed=seed, shards=1, size=256)
        v = self.reg().register(RegisterRequest(M, self.root / "out" / M, metrics={"accuracy": acc}))
        note(f"register {v.tag} accuracy={acc}")
        self.model.accuracy[v.version] = acc

    @rule(stage=STAGE, i=INDEX, skip=st.booleans())
    def promote(self, stage: str, i: int, skip: bool) -> None:
        at, v, why = self.tick(), self.version(i), self.reason("ship")
        outcome = self.model.predict_promote(stage, v, skip)
        note(f"promote {M}@v{v} --to {stage} (skip previous: {skip}) -> predicted {outcome}")
        request = PromoteRequest(f"{M}@v{v}", stage, reason=why, mode="direct", skip_previous_stage=skip)
        before = self.state()
        done = self.attempt(lambda: self.reg().promote(request), f"promote v{v} to {stage}", outcome)
        if outcome == "noop":
            self.unchanged(f"promote v{v} to {stage}", before)
        elif done is not None:
            self.model.change_holder(stage, "promote", v, why, at)

    @rule(stage=STAGE, i=INDEX, skip=st.booleans(), how=st.sampled_from(("merge", "squash", "rebase")))
    def promote_by_pull_request(self, stage: str, i: int, skip: bool, how: str) -> None:
        s = self.model.stages[stage]
        if not s.transitions or s.canary is not None:
            return  # the proposal starts from an existing stage branch with no canary
        at, v, why = self.tick(), self.version(i), self.reason("reviewed")
        outcome = self.model.predict_promote(stage, v, skip)
        note(f"promote {M}@v{v} --to {stage} --pr (skip previous: {skip}), merged by {how} -> predicted {outcome}")
        git(self.root, "push", "-q", "-f", "origin", "refs/heads/stage/*:refs/heads/stage/*", "refs/tags/*:refs/tags/*")
        request = PromoteRequest(f"{M}@v{v}", stage, reason=why, mode="pr", skip_previous_stage=skip)
        before = self.state()
        done = self.attempt(lambda: self.reg().promote(request), f"propose v{v} to {stage}", outcome)
        if outcome == "noop" or done is None:
            self.unchanged(f"propose v{v} to {stage}", before)
            return
        branch = done.branch  # type: ignore[attr-defined]
        git(self.root, "push", "-q", "origin", f"refs/heads/{branch}")
        merge_in_origin(self.base, self.origin, branch, f"stage/{stage}", how)
        reg = self.reg()
        reg.fetch()
        reg.sync()
        git(self.root, "branch", "-q", "-D", branch)
        self.model.change_holder(stage, "promote", v, why, at)

    @rule(stage=STAGE, to=st.none() | INDEX, repeat=st.integers(1, 2))
    def rollback(self, stage: str, to: int | None, repeat: int) -> None:
        for _ in range(repeat):
            at, why = self.tick(), self.reason("roll back")
            target = None if to is None else self.version(to)
            outcome, installs = self.model.predict_rollback(stage, target)
            note(f"rollback {M} --stage {stage} --to {target} -> predicted {outcome} {installs or ''}")
            before = self.state()
            done = self.attempt(
                lambda target=target, why=why: self.reg().rollback(M, stage=stage, to=target, reason=why),
                f"rollback in {stage}",
                outcome,
            )
            if outcome == "noop":
                self.unchanged(f"rollback {M} --stage {stage} --to {target} (repeated)", before)
            elif done is not None:
                self.check_restored(stage, installs)
                self.model.change_holder(stage, "rollback", installs, why, at)
            if repeat > 1:
                self.check_all()

    @rule(stage=STAGE, values=st.lists(GRID, min_size=40, max_size=40), card=st.booleans(), short=st.booleans())
    def guard(self, stage: str, values: list[float], card: bool, short: bool) -> None:
        self.tick()
        observed = dict(self.model.accuracy) if card else dict(zip(self.model.versions, values, strict=False))
        outcome, installs = (
            self.model.predict_guard(stage, observed, THRESHOLD) if self.model.stages[stage].holder else ("error", None)
        )
        path = None
        if not card:
            path = self.base / "observed.json"
            path.write_text(json.dumps({v: {"accuracy": a} for v, a in observed.items()}))
        note(
            f"guard {M} --stage {stage} observed={observed} (card: {card}, auto_rollback_if_degraded: {short}) -> {outcome} {installs}"
        )
        before = self.state()

        def run() -> object:
            if short:
                return self.reg().auto_rollback_if_degraded(
                    M, metric="accuracy", threshold=THRESHOLD, stage=stage, metrics_file=path
                )
            return self.reg().guard(
                M, metric="accuracy", threshold=THRESHOLD, stage=stage, metrics_file=path, apply=True
            )

        at = self.clock.now
        self.attempt(run, f"guard in {stage}", "error" if outcome == "error" else "ok")
        if outcome == "error":
            return
        holder = self.holder_in_repo(stage)
        if holder == self.model.stages[stage].holder:
            assert outcome in ("noop", "either-noop"), f"guard in {stage}: predicted a restore of v{installs}"
            self.unchanged(f"guard in {stage}", before)
            return
        assert outcome != "noop", f"guard in {stage} restored v{holder}; predicted no change (I5)"
        self.check_restored(stage, holder)
        assert holder == installs, f"guard in {stage} restored v{holder}, not the I3 target v{installs} (I5)"
        self.model.change_holder(stage, "guard", installs, "", at)

    @rule(stage=STAGE, i=INDEX, percent=st.sampled_from((10, 25)))
    def ab_start(self, stage: str, i: int, percent: int) -> None:
        at, v, why = self.tick(), self.version(i), self.reason("try")
        outcome = self.model.predict_ab_start(stage, v, percent)
        note(f"ab start {M} v{v} {percent}% in {stage} -> predicted {outcome}")
        before = self.state()
        done = self.attempt(
            lambda: self.reg().ab_start(M, v, percent, stage=stage, reason=why, skip_previous_stage=True),
            f"ab start v{v} in {stage}",
            outcome,
        )
        if outcome == "noop":
            self.unchanged(f"ab start v{v} in {stage}", before)
        elif done is not None:
            self.model.start_canary(stage, v, percent, why, at)

    @rule(stage=STAGE)
    def ab_promote(self, stage: str) -> None:
        at, why = self.tick(), self.reason("canary won")
        s = self.model.stages[stage]
        outcome = "ok" if s.canary is not None else "error"
        note(f"ab promote {M} in {stage} -> predicted {outcome}")
        if self.attempt(lambda: self.reg().ab_promote(M, stage=stage, reason=why), "ab promote", outcome) is None:
            return
        assert s.canary is not None
        self.model.change_holder(stage, "canary-promote", s.canary[0], why, at)

    @rule(stage=STAGE)
    def ab_abort(self, stage: str) -> None:
        at, why = self.tick(), self.reason("canary lost")
        outcome = self.model.predict_ab_abort(stage)
        note(f"ab abort {M} in {stage} --reason {why!r} -> predicted {outcome}")
        before = self.state()
        if self.attempt(lambda: self.reg().ab_abort(M, stage=stage, reason=why), "ab abort", outcome) is None:
            return
        if outcome == "noop":
            self.unchanged("ab abort", before)
            return
        self.model.abort_canary(stage, why, at)

    @rule(i=INDEX, spelling=st.sampled_from(("Archived", "archived", "ARCHIVED")))
    def archive(self, i: int, spelling: str) -> None:
        at, v = self.tick(), self.version(i)
        outcome = self.model.predict_archive(v)
        note(f"transition({M!r}, {v!r}, {spelling!r}) -> predicted {outcome}")
        call = lambda: self.reg().transition(M, v, spelling, reason="retired")  # noqa: E731
        if self.attempt(call, f"archive v{v}", outcome) is not None:
            self.model.archive(v, at)

    @rule(days=st.sampled_from((1, 40, 400)))
    def lifecycle_apply(self, days: int) -> None:
        self.tick(days * 86400)  # the pinned clock jumps: rules count days from the stage history
        note(f"lifecycle apply, {days} days later")
        before = self.state()
        try:
            self.reg().lifecycle_apply()
        except LlmgitError as e:
            note(f"  refused: {e.message}")
        assert self.state()[1] == before[1], "lifecycle apply changed a stage file"

    # -- checks --

    def holder_in_repo(self, stage: str) -> str | None:
        data = self.stage_yaml(stage)
        entry = (data.get("models") or {}).get(M) if data else None
        return str(entry["version"]) if entry else None

    def stage_yaml(self, stage: str) -> dict | None:  # type: ignore[type-arg]
        text = git(self.root, "show", f"stage/{stage}:stage.yaml", check=False)
        return yaml.safe_load(text) if text else None

    def check_restored(self, stage: str, version: str | None) -> None:
        """I2/I5: a rollback or the guard never installs an excluded version."""
        excluded = self.model.stages[stage].excluded
        installed = self.holder_in_repo(stage)
        assert installed not in excluded, (
            f"I2: v{installed} was rolled back from in {stage} (excluded: {sorted(excluded)}) and was restored"
        )
        if version is not None:
            assert installed == version, f"I3: the rollback in {stage} installed v{installed}, not v{version}"

    @invariant()
    def check_all(self) -> None:
        for stage in HOLDING:
            self.check_stage(stage, self.model.stages[stage])
        data = self.stage_yaml("archived")
        archived = {str(e["version"]) for e in ((data or {}).get("models") or {}).get(M, [])}
        assert archived == self.model.archived, f"archive holds {sorted(archived)}, model {sorted(self.model.archived)}"
        held = self.model.held()
        assert not (archived & held), f"a version holding a stage is archived: {sorted(archived & held)}"
        self.steps.append((self.clock.now, tuple((s, self.model.stages[s].holder) for s in HOLDING)))
        self.check_history()
        self.check_manifests()

    def check_stage(self, stage: str, s: Stage) -> None:
        data = self.stage_yaml(stage)
        entry = ((data or {}).get("models") or {}).get(M)
        holder = str(entry["version"]) if entry else None
        assert holder == s.holder, f"{stage}: the repository holds v{holder}, the model v{s.holder}"
        canary = entry.get("canary") if entry else None
        got = (str(canary["version"]), int(canary["percent"])) if isinstance(canary, dict) else None
        assert got == s.canary, f"{stage}: canary {got} in stage.yaml, the model {s.canary} (I4)"
        tag = git(self.root, "rev-parse", "-q", "--verify", f"refs/tags/{M}#{stage}^{{commit}}", check=False).strip()
        if holder is None:
            assert not tag, f"{M}#{stage} exists but no version holds {stage}"
        else:
            want = git(self.root, "rev-parse", f"refs/tags/{M}@v{holder}^{{commit}}").strip()
            assert tag == want, f"{M}#{stage} does not point at v{holder}"

    def check_history(self) -> None:
        """I1: every change recorded once, in order, with its kind, time and reason; I4: a
        canary ended by a holder change is recorded as canary-abort in the same update;
        ``history`` reconstructs the holder at every earlier step's time."""
        reg = self.reg()
        events = reg.history(M)
        for stage in HOLDING:
            got = [e for e in events if e.stage == stage and e.action not in ("canary-percent",)]
            want = self.model.stages[stage].transitions
            shown = [(e.action, e.version, e.previous) for e in got]
            expect = [(t.kind, t.version, t.previous) for t in want]
            norm = [("archive", None, p or v) if a in ("archive", "remove") else (a, v, p) for a, v, p in shown]
            assert norm == expect, f"I1: history of {stage} is {shown}, expected {expect}"
            for e, t in zip(got, want, strict=True):
                when = int(dt.datetime.fromisoformat(e.when).timestamp())
                assert when == t.at, f"I1: {e.action} v{e.version} in {stage} recorded at {e.when}, made at {t.at}"
                if t.kind in ("promote", "rollback", "canary-promote") or (
                    t.kind == "canary-abort" and t.reason.startswith("canary lost")
                ):
                    assert e.reason == t.reason, (
                        f"I1: {t.kind} in {stage} shows reason {e.reason!r}, given {t.reason!r}"
                    )
                if t.kind == "canary-abort" and t.reason.startswith("ended by"):
                    assert e.reason.startswith(t.reason), (
                        f"I4: the canary-abort reads {e.reason!r}, not '{t.reason}: ...'"
                    )
            for a, b in zip(got, got[1:], strict=False):
                if a.action == "canary-abort" and b.action in HOLDER_KINDS and a.when == b.when:
                    parent = git(self.root, "rev-parse", f"{b.commit}^").strip()
                    assert parent == a.commit, "I4: the canary-abort and the holder change are not consecutive commits"
        for when, holders in self.steps:
            at = core_history.holders_at(events, dt.datetime.fromtimestamp(when, dt.timezone.utc))
            for stage in HOLDING:
                made = at.get((M, stage))
                held = made.version if made and made.action in HOLDER_KINDS and made.action != "archive" else None
                assert held == dict(holders)[stage], (
                    f"I1: history says v{held} held {stage} at {when} ({made.action if made else 'nothing'}), "
                    f"it was v{dict(holders)[stage]}"
                )

    def check_holders_at(self) -> None:
        """I1 through the API: ``holders_at`` at the first, middle and last step's time."""
        reg = self.reg()
        for when, holders in {self.steps[k] for k in (0, len(self.steps) // 2, -1)} if self.steps else ():
            at = reg.holders_at(M, dt.datetime.fromtimestamp(when, dt.timezone.utc).isoformat())
            for stage in HOLDING:
                e = at.get(stage)
                shown = e.version if e is not None and e.action in HOLDER_KINDS and e.action != "archive" else None
                assert shown == dict(holders)[stage], f"I1: holders_at({when}) says v{shown} in {stage}"

    def check_manifests(self) -> None:
        """I8: staging's and production's manifests share no (kind, namespace, name)."""
        holders = [(s, self.model.stages[s].holder, self.model.stages[s].canary) for s in HOLDING]
        if any(h is None for _, h, _ in holders):
            return
        key = tuple(holders)
        if key in self.rendered:
            return
        reg = self.reg()
        seen: dict[tuple[str, str, str], str] = {}
        for stage in HOLDING:
            for r in reg.deploy_render(M, stage=stage).manifests.files:
                doc = r.document
                ident = (str(doc["kind"]), str(doc["metadata"].get("namespace", "")), str(doc["metadata"]["name"]))
                assert ident not in seen, f"I8: {stage} and {seen[ident]} both render {ident}"
                seen[ident] = stage
        self.rendered[key] = None


def test_stage_invariants_hold_under_random_operations(clock: Clock, tmp_path: Path) -> None:
    StageMachine.template = _template(tmp_path / "template")
    StageMachine.clock = clock
    StageMachine.rendered = {}
    run_state_machine_as_test(
        StageMachine,
        settings=settings(
            max_examples=int(os.environ.get("LLMGIT_STATE_EXAMPLES", "30")),
            stateful_step_count=int(os.environ.get("LLMGIT_STATE_STEPS", "15")),
            deadline=None,
            derandomize=False,
            print_blob=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
