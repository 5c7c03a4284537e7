"""A hostile version tag never knocks out a listing, never reaches the terminal raw, and
versions or directories that cannot exist get one clear ``error:`` line.

The registry holds two honest versions of ``m``; each attack forges ``m@v1.0.2`` (on the
commit of ``m@v1.0.1``) the way anyone who can push a tag would. A malformed tag is left out of
every listing with one ``warning:`` line (``--strict``: exit 2), ``fsck`` lists it, and
resolving exactly that tag is its ``error:``. Bombs run in a child process under an
address-space and a time limit.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import git, make_weights, run_cli
from hostilekit import commit, forge_tag, run_bounded, summary_message

BAD = "m@v1.0.2"
HINT = "hint: llmgit fsck lists malformed records"
ESC = "\x1b"
TITLE = "\x1b]0;pwned\x07"  # retitles the terminal
CLEAR = "\x1b[2J"  # clears the screen


@pytest.fixture
def reg(registry_repo: Path) -> Path:
    """Two honest versions of ``m`` (metrics ``acc``), nothing forged yet."""
    for seed, acc in enumerate(["0.5", "0.6"]):
        make_weights(registry_repo / "w" / "m", seed=seed)
        result = run_cli(registry_repo, "register", "m", "-w", "w/m", "-M", f"acc={acc}", "-m", f"run {seed}")
        assert result.code == 0, result.err
    return registry_repo


def _honest_summary(repo: Path) -> dict[str, Any]:
    """``m@v1.0.1``'s summary, to be spoiled one field at a time."""
    contents = git(repo, "for-each-ref", "--format=%(contents)", "refs/tags/m@v1.0.1")
    doc = json.loads(contents.partition("\n\n")[2])
    doc.pop("llmgit")
    doc["version"] = "1.0.2"
    return dict(doc)


def _forge(repo: Path, message: str, tag: str = BAD) -> None:
    forge_tag(repo, tag, git(repo, "rev-parse", "m@v1.0.1^{commit}").strip(), message)


def _forge_summary(repo: Path, **fields: Any) -> None:
    _forge(repo, summary_message("m", "1.0.2", {**_honest_summary(repo), **fields}))


def _listed(out: str) -> list[str]:
    """The VERSION column of a ``versions`` table."""
    return [line.split()[0] for line in out.splitlines()[2:]]


def _weights(repo: Path, **changes: Any) -> dict[str, Any]:
    return {**_honest_summary(repo)["weights"], **changes}


# -- 1. one malformed field: skipped with one warning, an error under --strict -------------


def _cases(repo: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """id -> (summary fields, the reason the warning names)."""
    many = {f"m{i}": 0.5 for i in range(10_001)}
    return {
        "size-text": (
            {"weights": _weights(repo, size="abc")},
            "its summary's weights.size is not a whole number ('abc')",
        ),
        "size-negative": ({"weights": _weights(repo, size=-1)}, "its summary's weights.size is out of range (-1)"),
        "files-float": (
            {"weights": _weights(repo, files=1.5)},
            "its summary's weights.files is not a whole number (1.5)",
        ),
        "md5-path": (
            {"weights": _weights(repo, md5="../../etc/passwd")},
            "its summary's weights.md5 is not 32 hexadecimal digits ('../../etc/passwd')",
        ),
        "path-up": (
            {"weights": _weights(repo, path="../outside")},
            "its summary's weights.path is not a relative path inside the repository ('../outside')",
        ),
        "path-absolute": (
            {"weights": _weights(repo, path="/etc")},
            "its summary's weights.path is not a relative path inside the repository ('/etc')",
        ),
        "path-git": (
            {"weights": _weights(repo, path=".git/hooks")},
            "its summary's weights.path is inside .git ('.git/hooks')",
        ),
        "dir-text": ({"weights": _weights(repo, dir="yes")}, "its summary's weights.dir is not true or false ('yes')"),
        "weights-list": ({"weights": [1, 2]}, "its summary's weights is not a mapping ([1, 2])"),
        "metric-text": (
            {"metrics": {"acc": "high"}},
            "its summary's metrics.acc is not a finite number in range ('high')",
        ),
        "metric-newline": (
            {"metrics": {"acc\nv2.0.0  forged": 1}},
            "its summary's metrics has a name longer than 256 characters or with a control character "
            "('acc\\nv2.0.0  forged')",
        ),
        "metric-huge": (
            {"metrics": {"acc": 10**30}},
            "its summary's metrics.acc is not a finite number in range (1000000…",
        ),
        "metrics-many": ({"metrics": many}, "its summary's metrics holds more than 10000 entries"),
        "param-binary-ish": (
            {"params": {"lr": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}},
            "its summary's params.lr is nested more than 16 levels deep",
        ),
        "author-number": ({"author": 42}, "its summary's author is not text (42)"),
        "author-long": ({"author": "a" * 2000}, "its summary's author is longer than 1024 characters"),
        "created-escape": (
            {"created": f"2026-01-01{CLEAR}"},
            "its summary's created is not a date ('2026-01-01\\x1b[2J')",
        ),
        "message-list": ({"message": ["a"]}, "its summary's message is not text (['a'])"),
    }


CASES = [
    "size-text",
    "size-negative",
    "files-float",
    "md5-path",
    "path-up",
    "path-absolute",
    "path-git",
    "dir-text",
    "weights-list",
    "metric-text",
    "metric-newline",
    "metric-huge",
    "metrics-many",
    "param-binary-ish",
    "author-number",
    "author-long",
    "created-escape",
    "message-list",
]


@pytest.mark.parametrize("case", CASES)
def test_versions_skips_a_malformed_tag_with_one_warning(case: str, reg: Path) -> None:
    fields, reason = _cases(reg)[case]
    _forge_summary(reg, **fields)
    result = run_cli(reg, "versions", "m")
    assert result.code == 0, result.err
    assert _listed(result.out) == ["v1.0.1", "v1.0.0"]
    warning, hint = result.err.splitlines()
    assert warning.startswith(f"warning: skipped {BAD}: ") and hint == HINT, result.err
    assert warning.removeprefix(f"warning: skipped {BAD}: ").startswith(reason.removesuffix("…")), warning
    strict = run_cli(reg, "versions", "m", "--strict")
    assert strict.code == 2 and strict.out == ""
    assert strict.err.splitlines()[0] == f"error: version tag {BAD} is malformed: " + warning.split(": ", 2)[2]


def test_a_size_that_is_not_a_number_knocks_out_no_command(reg: Path, tmp_path: Path) -> None:
    """The reported case: one tag with ``size: "abc"`` made every listing exit 3."""
    assert run_cli(reg, "push").code == 0
    _forge_summary(reg, weights=_weights(reg, size="abc"))
    warning = f"warning: skipped {BAD}: its summary's weights.size is not a whole number ('abc')"
    for args in (
        ["versions", "m"],
        ["models"],
        ["show", "m"],
        ["search", "metrics.acc > 0"],
        ["verify", "--all"],
        ["report", "--out", str(tmp_path / "site"), "--no-manifests"],
    ):
        result = run_cli(reg, *args)
        assert result.code == 0, (args, result.err)
        assert result.err.splitlines()[:2] == [warning, HINT], (args, result.err)
        assert result.err.count("warning:") == 1, (args, result.err)
        strict = run_cli(reg, *args, "--strict")
        assert strict.code == 2, (args, strict.err)
        assert strict.err.startswith(f"error: version tag {BAD} is malformed: its summary's weights.size"), strict.err
    shown = run_cli(reg, "show", "m", "--json")
    assert json.loads(shown.out)["tag"] == "m@v1.0.1"
    assert "v1.0.1" in run_cli(reg, "models").out
    assert "1.0.2" not in run_cli(reg, "search", "metrics.acc > 0").out


def test_resolving_exactly_the_malformed_tag_is_an_error(reg: Path) -> None:
    _forge_summary(reg, weights=_weights(reg, size="abc"))
    for ref in (BAD, "m@1.0.2"):
        result = run_cli(reg, "show", ref)
        assert result.code == 2 and result.out == ""
        assert result.err.splitlines() == [
            f"error: version tag {BAD} is malformed: its summary's weights.size is not a whole number ('abc')",
            f"hint: whoever pushed it must replace it ('git tag -d {BAD}' drops this clone's copy); "
            "llmgit fsck lists malformed records",
        ]


def test_a_stage_held_by_a_malformed_tag_is_its_error(reg: Path) -> None:
    target = commit(reg, git(reg, "rev-parse", "HEAD^{tree}").strip())  # a commit no honest version is on
    forge_tag(reg, "m@v2.0.0", target, summary_message("m", "2.0.0", {"weights": {"md5": "x"}}))
    forge_tag(reg, "m#staging", target, "m staging")
    result = run_cli(reg, "show", "m#staging")
    assert result.code == 2
    assert "error: version tag m@v2.0.0 is malformed: its summary's weights.md5" in result.err


def test_fsck_lists_malformed_tags(reg: Path) -> None:
    _forge_summary(reg, weights=_weights(reg, size="abc"))
    result = run_cli(reg, "fsck")
    assert result.code == 1
    assert f"{BAD}: malformed (its summary's weights.size is not a whole number ('abc'))" in result.out.splitlines()
    assert "m@v1.0.1: ok (4 file(s))" in result.out.splitlines()
    assert "warning:" not in result.err
    assert f"error: 1 version tag(s) are malformed and left out of every listing: {BAD}" in result.err
    data = json.loads(run_cli(reg, "fsck", "--json").out)
    assert data["ok"] is False
    assert data["malformed"] == [{"tag": BAD, "reason": "its summary's weights.size is not a whole number ('abc')"}]


def test_a_tag_without_a_summary_stays_a_version(reg: Path) -> None:
    """Tags written by other tools: prose, even prose YAML cannot read, is no summary."""
    _forge(reg, "Release 1.0.2\n\nFixed: the tokenizer\nand this line is prose, not YAML\n")
    result = run_cli(reg, "versions", "m", "--json")
    assert result.code == 0 and result.err == ""
    v = json.loads(result.out)[0]
    assert (v["version"], v["weights"], v["message"]) == ("1.0.2", None, "Release 1.0.2")
    assert v["author"] == "Ada Lovelace <ada@example.com>"


def test_a_hand_written_yaml_summary_still_parses(reg: Path) -> None:
    w = _weights(reg)
    _forge(
        reg,
        "m v1.0.2\n\n"
        f"weights:\n  path: {w['path']}\n  md5: {w['md5']}\n  size: 10\n  files: 4\n  dir: true\n"
        "metrics:\n  eval:\n    acc: 0.9\nparams:\n  layers: [1, 2]\n  date: 2026-01-02\n"
        "created: 2026-01-02T03:04:05+00:00\nmessage: |\n  hand written\n  two lines\n",
    )
    result = run_cli(reg, "versions", "m", "--json")
    assert result.code == 0 and result.err == ""
    v = json.loads(result.out)[0]
    assert v["metrics"] == {"eval.acc": 0.9}
    assert v["params"] == {"layers": [1, 2], "date": "2026-01-02"}
    assert v["created"] == "2026-01-02T03:04:05+00:00" and v["message"] == "hand written\ntwo lines"
    assert v["weights"]["size"] == 10


def test_a_tag_message_that_is_not_utf8_is_read(reg: Path) -> None:
    target = git(reg, "rev-parse", "m@v1.0.1^{commit}").strip()
    message = b'm v1.0.2\n\n{"author": "Mall\xffory", "message": "\xfe"}\n'
    proc = subprocess.run(["git", "tag", "-a", "-F", "-", BAD, target], cwd=reg, input=message, check=False)
    assert proc.returncode == 0
    result = run_cli(reg, "versions", "m", "--json")
    assert result.code == 0 and result.err == ""
    assert json.loads(result.out)[0]["author"] == "Mall\ufffdory"


# -- 2. bombs: bounded time and memory, the tag skipped -----------------------------------


def test_a_yaml_alias_bomb_is_skipped_within_bounds(reg: Path) -> None:
    bomb = (  # 9^13 items once the message is read as text
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(12))
        + "message: *m\n"
    )
    _forge(reg, f"m v1.0.2\n\n{bomb}")
    for args in (["versions", "m"], ["show", "m"]):
        result = run_bounded(reg, *args)
        assert not result.timed_out and result.code == 0, result.err
        assert result.err.startswith(f"warning: skipped {BAD}: its summary is not valid JSON or YAML: "), result.err
        assert "alias" in result.err.splitlines()[0]


def test_a_tag_message_of_a_million_metrics_is_skipped_quickly(reg: Path) -> None:
    metrics = {f"metric_{i}": i for i in range(1_500_000)}
    _forge_summary(reg, metrics=metrics)
    result = run_bounded(reg, "versions", "m", timeout=60)
    assert not result.timed_out and result.code == 0, result.err
    first = result.err.splitlines()[0]
    assert first.startswith(f"warning: skipped {BAD}: its tag message is ") and first.endswith(
        "above the limit of 1048576"
    )
    assert _listed(result.out) == ["v1.0.1", "v1.0.0"]


def test_deep_nesting_is_skipped_within_bounds(reg: Path) -> None:
    _forge(reg, "m v1.0.2\n\n" + "[" * 200_000 + "]" * 200_000)
    result = run_bounded(reg, "versions", "m")
    assert not result.timed_out and result.code == 0, result.err
    assert result.err.startswith(f"warning: skipped {BAD}: its summary is not JSON, and a YAML summary is limited")


# -- 3. terminal escapes from a tag's author and message are shown escaped ----------------


def test_escapes_in_author_and_message_never_reach_the_terminal(reg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _forge_summary(reg, author=f"Mallory{TITLE} <m@example.com>", message=f"{CLEAR}looks fine\nsecond{TITLE}")
    monkeypatch.setenv("GIT_AUTHOR_NAME", f"Eve{TITLE}")
    monkeypatch.setenv("GIT_COMMITTER_NAME", f"Eve{CLEAR}")
    assert run_cli(reg, "promote", BAD, "--to", "staging", "-r", "ship it").code == 0
    outputs = {
        "versions": run_cli(reg, "versions", "m"),
        "show": run_cli(reg, "show", BAD),
        "search": run_cli(reg, "search", "author like 'Mallory%'"),
        "history": run_cli(reg, "history", "m"),
        "versions --json": run_cli(reg, "versions", "m", "--json"),
    }
    for what, result in outputs.items():
        assert result.code == 0, (what, result.err)
        assert ESC not in result.out and ESC not in result.err, (what, result.out)
        assert "\\x1b" in result.out + result.err or "\\u001b" in result.out, (what, result.out)
    assert "Mallory\\x1b]0;pwned\\x07" in outputs["versions"].out
    assert "message   \\x1b[2Jlooks fine\nsecond\\x1b]0;pwned\\x07" in outputs["show"].out
    assert "Mallory\\x1b]0;pwned\\x07" in outputs["search"].out


def test_a_newline_in_the_author_stays_in_its_cell(reg: Path) -> None:
    _forge_summary(reg, author="Mallory\nv9.9.9  forged row")
    out = run_cli(reg, "versions", "m").out
    assert _listed(out) == ["v1.0.2", "v1.0.1", "v1.0.0"]
    assert "Mallory\\x0av9.9.9" in out


# -- 4. versions too long for a tag name, directories that do not exist, clones without tags --


DIGITS_300 = "1" * 300


def _cut(text: str) -> str:
    """``text`` as a message shows it: 59 characters and an ellipsis."""
    return text[:59] + "\u2026"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["register", "m", "-w", "w/m", "--version", f"1.0.{DIGITS_300}"],
            f"error: '{_cut('1.0.' + DIGITS_300)}' is not a semantic version: it is longer than 128 characters",
        ),
        (
            ["register", "m", "-w", "w/m", "--version", f"1.0.{'1' * 21}"],
            f"error: '1.0.{'1' * 21}' is not a semantic version: it has a number of more than 20 digits",
        ),
        (
            ["show", f"m@v1.0.{DIGITS_300}"],
            f"error: '{_cut('m@v1.0.' + DIGITS_300)}' is not a valid reference: its version is longer than 128 characters",
        ),
        (
            ["show", "m@" + "1" * 5000],
            f"error: '{_cut('m@' + '1' * 5000)}' is not a valid reference: its version is longer than 128 characters",
        ),
        (
            ["show", "m@1." + "2" * 30],
            f"error: 'm@1.{'2' * 30}' is not a valid reference: its version has a number of more than 20 digits",
        ),
        (["versions", "n" * 5000], f"error: model name '{_cut('n' * 5000)}' is longer than 63 characters"),
    ],
    ids=[
        "register-300-digits",
        "register-21-digits",
        "show-300-digits",
        "show-5000-digits",
        "show-partial",
        "long-name",
    ],
)
def test_a_version_too_long_for_a_tag_is_a_usage_error(args: list[str], message: str, reg: Path) -> None:
    refs_before = git(reg, "for-each-ref")
    result = run_cli(reg, *args)
    assert result.code == 2, result.err
    assert result.err.splitlines()[0] == message
    assert git(reg, "for-each-ref") == refs_before


def test_a_missing_directory_is_named_as_missing(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "-C", str(tmp_path / "nonexistent"), "models")
    assert result.code == 2
    assert result.err == f"error: '{tmp_path / 'nonexistent'}' does not exist\n"


def test_git_missing_from_path_is_named_as_missing(reg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(reg / "no-bin"))
    result = run_cli(reg, "models")
    assert (result.code, result.err) == (1, "error: git is not installed or not on PATH\n")


def test_a_clone_without_tags_says_so(reg: Path, tmp_path: Path) -> None:
    tagless = tmp_path / "tagless"
    git(tmp_path, "clone", "-q", "--no-tags", f"file://{reg}", str(tagless))
    hint = "hint: fetch the tags: git fetch --force --tags origin (CI checkouts fetch no tags by default)"
    for args, what in ((["models"], ""), (["versions", "m"], " of 'm'"), (["show", "m"], " of 'm'")):
        result = run_cli(tagless, *args)
        assert result.code == 2, result.err
        assert result.err.splitlines() == [
            f"error: this clone has no version tags{what}, but models/m/model_card.yaml is committed: "
            "its tags were not fetched",
            hint,
        ]
    assert run_cli(reg, "promote", "m@v1.0.1", "--to", "staging", "-r", "ok").code == 0
    git(tagless, "fetch", "-q", "--no-tags", "origin", "stage/staging:refs/remotes/origin/stage/staging")
    result = run_cli(tagless, "models")
    assert result.code == 2
    assert result.err.splitlines() == ["error: stage/staging names m@v1.0.1, but this clone has no such tag", hint]


def test_a_shallow_clone_says_so(reg: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{reg}", str(shallow))
    hint = "hint: run 'git fetch --unshallow --tags' (in CI: actions/checkout with fetch-depth: 0)"
    result = run_cli(shallow, "models")
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: this is a shallow clone: stage history and versions are incomplete",
        hint,
    ]
    git(shallow, "fetch", "-q", "--depth", "1", "origin", "refs/tags/m@v1.0.1:refs/tags/m@v1.0.1")
    result = run_cli(shallow, "versions", "m")
    assert result.code == 0 and _listed(result.out) == ["v1.0.1"]
    assert result.err.splitlines() == [
        "warning: this is a shallow clone: versions whose tags were not fetched are missing",
        hint,
    ]
