"""Hostile stage files, ledgers and Prometheus answers: read within bounds at one boundary.

Each stage file is built the way someone who can push a stage branch or open a pull request
would build it (a commit written with ``git mktree``/``git commit-tree``); bombs run the real
CLI in a child process under RLIMIT_AS 512 MB (:func:`hostilekit.run_bounded`). A bad file is
one ``error:`` line naming ``BRANCH:stage.yaml`` and exit 2; a bad entry is one ``warning:``
line and the rest lists as usual (``--strict``: an error); nothing changes on a refusal.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import git, run_cli
from hostilekit import changed_outside, commit, run_bounded, sandbox_state, tree_of

from llmgit import errors
from llmgit.core import ledgerfile, stagefile
from llmgit.infra import prometheus
from llmgit.store import branches, ledger
from llmgit.store.store import Store

M, N = "m", "n"
PROD = "stage/production"
PROMOTION = "llmgit/promote/m-v1.1.0-to-production"
HINT_PROD = f"hint: repair it with a commit on '{PROD}' (for example 'git revert' of the bad commit)"
ALIAS_BOMB = "llmgit: 1\nstage: production\nmodels:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
)  # 10^9 strings once expanded
NODE_BOMB = "llmgit: 1\nstage: production\nmodels: {" + ",".join(f"k{i}" for i in range(400_000)) + "}\n"


def _entry(repo: Path, name: str, at: str, **changes: object) -> dict[str, object]:
    head = git(repo, "rev-parse", "HEAD").strip()
    data: dict[str, object] = {
        "version": at,
        "tag": f"{name}@v{at}",
        "commit": head,
        "weights_md5": "",
        "since": "2027-01-01T00:00:00+00:00",
        "by": "Ada Lovelace <ada@example.com>",
        "action": "promote",
        "reason": "",
    }
    data.update(changes)
    return data


def _stage_text(models: dict[str, object], stage: str = "production") -> str:
    return json.dumps({"llmgit": 1, "stage": stage, "models": models})  # JSON is YAML


def _put(repo: Path, branch: str, text: str, parent: str | None = None) -> str:
    """A commit holding only ``stage.yaml`` = ``text`` on ``branch`` (after ``parent``)."""
    tip = commit(repo, tree_of(repo, {"stage.yaml": text}), "forged", parent)
    git(repo, "update-ref", f"refs/heads/{branch}", tip)
    return tip


@pytest.fixture
def registry(registry_repo: Path) -> Path:
    """A registry whose clone has the version tags stage files name (tags only: no weights)."""
    for tag in (f"{M}@v1.0.0", f"{M}@v1.1.0", f"{N}@v1.0.0", f"{N}@v2.0.0"):
        git(registry_repo, "tag", "-a", "-m", f"{tag}\n", tag)
    return registry_repo


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ALIAS_BOMB, "is not valid YAML: YAML aliases (*name) are not accepted"),
        (NODE_BOMB, "holds more than 400000 values"),
        ("llmgit: 1\nmodels: " + "[" * 5000 + "]" * 5000 + "\n", "is not valid YAML: "),
    ],
    ids=["alias-bomb", "node-bomb", "deep"],
)
def test_review_of_a_forged_promotion_branch_is_refused_within_bounds(
    registry: Path, tmp_path: Path, text: str, problem: str
) -> None:
    repo = registry
    _put(repo, PROMOTION, text)
    before = sandbox_state(tmp_path)
    result = run_bounded(repo, "review", "--stage", "production")
    assert not result.timed_out and result.code == 2, result.err[-2000:]
    error, hint = _lines(result.err)
    assert error.startswith(f"error: {PROMOTION}:stage.yaml ") and problem in error
    assert hint == f"hint: repair it with a commit on '{PROMOTION}' (for example 'git revert' of the bad commit)"
    assert changed_outside(before, sandbox_state(tmp_path), ["repo/.git/llmgit"]) == []


@pytest.mark.parametrize(
    "command", [["stages"], ["history", M], ["stages", "--json"]], ids=["stages", "history", "json"]
)
def test_an_alias_bomb_on_a_stage_branch_is_one_error(registry: Path, tmp_path: Path, command: list[str]) -> None:
    repo = registry
    _put(repo, PROD, ALIAS_BOMB)
    before = sandbox_state(tmp_path)
    result = run_bounded(repo, *command)
    assert not result.timed_out and result.code == 2, result.err[-2000:]
    assert _lines(result.err) == [
        f"error: {PROD}:stage.yaml is not valid YAML: YAML aliases (*name) are not accepted",
        HINT_PROD,
    ]
    assert result.out == "" and changed_outside(before, sandbox_state(tmp_path), []) == []


@pytest.mark.parametrize(("branch", "command"), [(PROD, ["stages"]), (PROMOTION, ["review", "--stage", "production"])])
def test_a_stage_file_above_the_size_cap_is_refused_before_it_is_read(
    registry: Path, branch: str, command: list[str]
) -> None:
    repo = registry
    _put(repo, branch, "# " + "x" * stagefile.MAX_BYTES + "\n")
    result = run_bounded(repo, *command)
    assert result.code == 2 and _lines(result.err) == [
        f"error: {branch}:stage.yaml is {stagefile.MAX_BYTES + 3} bytes, above the limit of {stagefile.MAX_BYTES}",
        f"hint: repair it with a commit on '{branch}' (for example 'git revert' of the bad commit)",
    ]


BAD_ENTRIES = [
    ({"version": "1.x"}, "version '1.x' is not a semantic version"),
    ({"tag": "n@v1.0.0"}, "tag 'n@v1.0.0' is not m@v1.0.0"),
    ({"commit": "abc"}, "commit 'abc' is not a full commit id"),
    ({"weights_md5": "../../etc/passwd"}, "weights_md5 '../../etc/passwd' is not 32 hexadecimal digits"),
    ({"by": "Eve \x1b]0;owned\x07"}, "by holds a control character"),
    ({"since": "x" * 100}, "since is longer than 64 characters"),
    ({"action": "delete-everything"}, "unknown action 'delete-everything'"),
    ({"canary": {"version": "1.1.0", "percent": 150}}, "canary: missing 'tag'"),
    ({"canary": "yes"}, "canary: it is not a mapping ('yes')"),
]


@pytest.mark.parametrize(("changes", "problem"), BAD_ENTRIES, ids=[p.split(" ")[0] for _, p in BAD_ENTRIES])
def test_a_malformed_entry_is_skipped_with_one_warning_and_strict_refuses_it(
    registry: Path, changes: dict[str, object], problem: str
) -> None:
    repo = registry
    _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.0.0", **changes), N: _entry(repo, N, "1.0.0")}))
    result = run_cli(repo, "stages", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {N: {"production": ["1.0.0"]}}
    warning, hint = _lines(result.err)
    assert warning.startswith(f"warning: skipped {PROD}:stage.yaml entry '{M}': ") and problem in warning
    assert hint == "hint: llmgit fsck lists malformed records"
    strict = run_cli(repo, "stages", "--strict")
    assert strict.code == 2 and strict.out == ""
    assert _lines(strict.err)[0] == warning.replace("warning: skipped ", "error: ")
    assert [
        p.startswith(f"{PROD}:stage.yaml entry '{M}': ") for p in branches.problems(repo, Store(repo).settings)
    ] == [True]


def test_a_bad_model_name_is_skipped_and_the_rest_lists(registry: Path) -> None:
    repo = registry
    _put(repo, PROD, _stage_text({"../../x": _entry(repo, M, "1.0.0"), N: _entry(repo, N, "1.0.0")}))
    result = run_cli(repo, "stages")
    assert result.code == 0 and N in result.out
    assert _lines(result.err)[0] == f"warning: skipped {PROD}:stage.yaml entry '../../x': invalid model name '../../x'"


def test_many_malformed_entries_are_ten_warnings_and_a_count(registry: Path) -> None:
    repo = registry
    models = {f"m{i:02d}": {"version": "x"} for i in range(15)} | {N: _entry(repo, N, "1.0.0")}
    _put(repo, PROD, _stage_text(models))
    result = run_cli(repo, "stages", "--json")
    assert result.code == 0 and json.loads(result.out) == {N: {"production": ["1.0.0"]}}
    warnings = [line for line in _lines(result.err) if line.startswith("warning: ")]
    assert len(warnings) == 11 and warnings[-1] == f"warning: skipped 5 more malformed entries of {PROD}:stage.yaml"


def test_a_stage_file_with_a_skipped_entry_is_not_rewritten(registry: Path) -> None:
    """Promoting another model would rewrite stage.yaml without the entry llmgit could not
    read: refused, nothing changed; promoting the model itself replaces the bad entry."""
    repo = registry
    bad = _stage_text({M: _entry(repo, M, "1.0.0", version="1.x")})
    tip = _put(repo, PROD, bad)
    refused = run_cli(repo, "promote", f"{N}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    assert refused.code == 2
    assert _lines(refused.err)[-2:] == [
        f"error: {PROD}:stage.yaml entry '{M}' is malformed (version '1.x' is not a semantic version): "
        "llmgit will not rewrite stage.yaml and drop it",
        f"{HINT_PROD}, or replace the entry: llmgit promote {M}@vX.Y.Z --to production",
    ]
    assert git(repo, "rev-parse", PROD).strip() == tip
    assert git(repo, "tag", "-l", f"{N}#production").strip() == ""


def test_history_skips_a_bad_commit_in_the_middle_and_shows_the_rest(registry: Path) -> None:
    repo = registry
    first = _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.0.0")}))
    bomb = _put(repo, PROD, ALIAS_BOMB, parent=first)
    bad_entry = _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.1.0", by="x" * 5000)}), parent=bomb)
    _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.1.0", reason="fixed")}), parent=bad_entry)
    result = run_bounded(repo, "history", M, "--json")
    assert result.code == 0, result.err
    events = json.loads(result.out)
    assert [(e["action"], e["previous"], e["version"]) for e in events] == [
        ("promote", None, "1.0.0"),
        ("promote", "1.0.0", "1.1.0"),  # the broken entry in between is no change, not a removal
    ]
    assert events[1]["reason"] == "fixed"
    assert _lines(result.err) == [
        f"warning: skipped commit {bomb[:12]} of {PROD}: {bomb[:12]}:stage.yaml is not valid YAML: "
        "YAML aliases (*name) are not accepted",
        f"warning: skipped {bad_entry[:12]}:stage.yaml entry '{M}': by is longer than 1024 characters",
        "hint: llmgit fsck lists malformed records",
    ]
    strict = run_cli(repo, "history", M, "--strict")
    assert strict.code == 2 and _lines(strict.err)[0] == (
        f"error: commit {bomb[:12]} of {PROD}: {bomb[:12]}:stage.yaml is not valid YAML: "
        "YAML aliases (*name) are not accepted"
    )


def test_a_tampered_cache_of_a_stage_file_is_not_trusted(registry: Path) -> None:
    repo = registry
    _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.0.0")}))
    assert run_cli(repo, "stages").code == 0
    blob = git(repo, "rev-parse", f"{PROD}:stage.yaml").strip()
    cached = repo / ".git" / "llmgit" / "cache" / "stage-files" / f"{blob}.json"
    doc = json.loads(cached.read_text())
    doc["models"][M]["tag"] = "../../../etc/passwd"
    cached.write_text(json.dumps(doc))
    result = run_cli(repo, "stages", "--json")
    assert result.code == 0 and json.loads(result.out) == {M: {"production": ["1.0.0"]}}
    cached.unlink()
    import os

    os.mkfifo(cached)  # a FIFO is never opened (opening it would wait for a writer)
    result = run_bounded(repo, "stages", "--json", timeout=30)
    assert not result.timed_out and result.code == 0 and json.loads(result.out) == {M: {"production": ["1.0.0"]}}


# -- the ledger ----------------------------------------------------------------------------


def _put_ledger(repo: Path, text: str) -> str:
    tip = commit(repo, tree_of(repo, {"lifecycle.yaml": text}), "forged")
    git(repo, "update-ref", "refs/heads/llmgit/lifecycle", tip)
    return tip


def test_a_malformed_ledger_record_is_skipped_and_the_ledger_is_not_rewritten(registry: Path) -> None:
    repo = registry
    tip = _put_ledger(
        repo,
        "llmgit: 1\npins:\n  m:\n    1.0.0: {by: ada, since: '2027-01-01', reason: keep}\n"
        "    1.x: {by: eve}\n  n:\n    1.0.0: {by: eve, objects: -1}\n"
        "published:\n  n:\n    2.0.0: {by: eve}\n",
    )
    with pytest.warns(errors.SkippedRecord) as caught:
        led = ledger.read(repo, "origin")
    assert led.versions(ledgerfile.PINS) == {(M, "1.0.0")}
    assert [str(w.message) for w in caught] == [
        "skipped llmgit/lifecycle:lifecycle.yaml pins entry 'm' version '1.x': version '1.x' is not a semantic version",
        "skipped llmgit/lifecycle:lifecycle.yaml pins entry 'n' version '1.0.0': "
        "objects is not a whole number of at least 0 (-1)",
        "skipped llmgit/lifecycle:lifecycle.yaml published entry 'n' version '2.0.0': missing 'uri'",
    ]
    assert len(ledger.problems(repo, "origin")) == 3
    with pytest.raises(errors.BadRecord):
        ledger.read(repo, "origin", strict=True)
    result = run_cli(repo, "pin", f"{N}@v2.0.0")
    assert result.code == 2, result.err
    assert (
        "error: llmgit/lifecycle:lifecycle.yaml pins entry 'm' version '1.x' is malformed "
        "(version '1.x' is not a semantic version): llmgit will not rewrite lifecycle.yaml and drop it"
    ) in result.err
    assert git(repo, "rev-parse", "llmgit/lifecycle").strip() == tip


def test_an_alias_bomb_in_the_ledger_is_one_error(registry: Path) -> None:
    repo = registry
    _put_ledger(repo, ALIAS_BOMB.replace("stage: production\nmodels:", "pins:"))
    result = run_bounded(repo, "pin", f"{M}@v1.0.0")
    assert not result.timed_out and result.code == 2, result.err[-2000:]
    assert _lines(result.err)[0] == (
        "error: llmgit/lifecycle:lifecycle.yaml is not valid YAML: YAML aliases (*name) are not accepted"
    )


# -- Prometheus answers --------------------------------------------------------------------


class _Hostile(http.server.BaseHTTPRequestHandler):
    bodies: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.bodies[self.server.kind]  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


SAMPLE = {"metric": {"version": "1.0.0"}, "value": [1.0, "3"]}
ANSWERS = {
    "huge": (b'{"status":"success","data":{"resultType":"vector","result":[' + b"0," * (9 << 20) + b"0]}}"),
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "garbage": b"\x00\xff<html>not json",
    "many": b"[" + b"[]," * 1_000_000 + b"[]]",
    "data-list": json.dumps({"status": "success", "data": []}).encode(),
    "result-dict": json.dumps({"status": "success", "data": {"resultType": "vector", "result": {"a": 1}}}).encode(),
    "sample-str": json.dumps({"status": "success", "data": {"resultType": "vector", "result": ["x"]}}).encode(),
    "value-list": json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [{**SAMPLE, "value": [1, [2]]}]}}
    ).encode(),
    "label-escape": json.dumps(
        {
            "status": "success",
            "data": {"resultType": "vector", "result": [{**SAMPLE, "metric": {"version": "1.0.0\x1b[2J"}}]},
        }
    ).encode(),
    "inf": json.dumps(
        {"status": "success", "data": {"resultType": "vector", "result": [{**SAMPLE, "value": [1, "+Inf"]}]}}
    ).encode(),
}
_Hostile.bodies = ANSWERS


@pytest.fixture
def hostile_prometheus() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("kind", "error", "message"),
    [
        ("huge", errors.PrometheusError, f"answered more than {prometheus.MAX_BODY} bytes"),
        ("deep", errors.PrometheusError, "did not answer with Prometheus JSON: "),
        ("garbage", errors.PrometheusError, "did not answer with Prometheus JSON: "),
        ("many", errors.PrometheusError, "holds more than 1000000 values"),
        ("data-list", errors.PrometheusError, "expected an instant vector from "),
        ("result-dict", errors.PrometheusError, "with a result that is not a list"),
        ("sample-str", errors.PrometheusError, "with a sample that is not a metric and a value"),
        ("value-list", errors.BadValue, "Prometheus returned a non-numeric value [2] for "),
        ("label-escape", errors.PrometheusError, "with a label llmgit will not use: "),
        ("inf", errors.BadValue, "llmgit_eval_total for model 'm' version '1.0.0' over 5m is inf"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else "",
)
def test_a_hostile_prometheus_answer_is_one_prometheus_error(
    hostile_prometheus: http.server.ThreadingHTTPServer, kind: str, error: type[Exception], message: str
) -> None:
    hostile_prometheus.kind = kind  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{hostile_prometheus.server_address[1]}"
    with pytest.raises(error) as e:
        prometheus.eval_counts(url, M, "5m", timeout=5)
    assert message in str(e.value) and "\n" not in str(e.value) and "\x1b" not in str(e.value)


def test_fsck_lists_malformed_stage_entries_and_ledger_records(registry: Path) -> None:
    repo = registry
    _put(repo, PROD, _stage_text({M: _entry(repo, M, "1.0.0", version="1.x"), N: _entry(repo, N, "1.0.0")}))
    _put_ledger(repo, "llmgit: 1\npins:\n  m:\n    1.x: {by: eve}\n")
    result = run_cli(repo, "fsck")
    assert result.code == 1, result.err
    assert f"malformed: {PROD}:stage.yaml entry '{M}': version '1.x' is not a semantic version" in result.out
    assert (
        "malformed: llmgit/lifecycle:lifecycle.yaml pins entry 'm' version '1.x': version '1.x' is not a semantic version"
    ) in result.out
    assert "error: 2 stage or ledger record(s) are malformed and left out of every listing" in result.err
    data = json.loads(run_cli(repo, "fsck", "--json").out)
    assert len(data["malformed_records"]) == 2 and data["ok"] is False


def test_llmgit_records_only_what_it_reads_back(registry_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An identity with escape sequences is recorded escaped; a reason with one is refused."""
    from stagekit import register_versions  # noqa: PLC0415 (the registry kit, only here)

    repo = registry_repo
    register_versions(repo, M, [0.7])
    tip = git(repo, "rev-parse", "--verify", "-q", "stage/staging", check=False).strip()
    refused = run_cli(repo, "promote", f"{M}@v1.0.0", "--to", "staging", "--reason", "ok\x1b]0;owned\x07")
    assert refused.code == 2 and _lines(refused.err)[0].startswith("error: the reason holds a control character")
    assert git(repo, "rev-parse", "--verify", "-q", "stage/staging", check=False).strip() == tip
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Eve \x1b[2J")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Eve \x1b[2J")
    assert run_cli(repo, "promote", f"{M}@v1.0.0", "--to", "staging", "--reason", "first").code == 0
    assert 'by: "Eve \\\\x1b[2J <ada@example.com>"' in git(repo, "show", "stage/staging:stage.yaml")  # JSON-quoted
    listed = run_cli(repo, "history", M)
    assert listed.code == 0 and "warning" not in listed.err and "\x1b" not in listed.out
