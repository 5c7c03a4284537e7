"""The environment parsers take outside files: any bytes give an Environment or one
EnvFileError, within the caps; names are normalized and checked."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmgit.core import envfiles
from llmgit.core.envfiles import MAX_PACKAGES, EnvFileError

NAMES = ["requirements.txt", "uv.lock", "poetry.lock", "environment.yml"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NAMES), st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_parse_or_fail_with_one_error(name: str, data: bytes) -> None:
    try:
        env = envfiles.parse_file(data, name)
    except EnvFileError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert env.source == "lockfile" and env.details["format"] == name
    for pkg, version in env.packages.items():
        assert pkg == envfiles.normalize_name(pkg) and 0 < len(version) <= envfiles.MAX_VERSION


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(max_size=30), st.text(max_size=30) | st.integers(-(2**40), 2**40) | st.none(), max_size=20)
)
def test_an_interpreter_report_keeps_only_real_packages(packages: dict[str, object]) -> None:
    report = json.dumps({"python": "3.11.7", "packages": packages, "platform": "Linux\x1b]0;x\x07"}).encode()
    env = envfiles.parse_report(report, "/usr/bin/python3")
    assert env.python == "3.11.7" and "platform" not in env.details  # a control character: left out
    for pkg, version in env.packages.items():
        assert isinstance(version, str) and envfiles._NAME_RE.match(pkg)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("requirements.txt", "".join(f"pkg{i}==1.0\n" for i in range(MAX_PACKAGES + 1))),
        ("uv.lock", "".join(f'[[package]]\nname = "p{i}"\nversion = "1"\n' for i in range(MAX_PACKAGES + 1))),
    ],
    ids=["requirements", "uv-lock"],
)
def test_too_many_packages_are_refused(name: str, text: str) -> None:
    with pytest.raises(EnvFileError, match=f"more than {MAX_PACKAGES} packages"):
        envfiles.parse_file(text.encode(), name)


def test_an_oversized_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(EnvFileError, match="above the limit"):
        envfiles.parse_file(b"#" * (envfiles.MAX_FILE_BYTES + 1), "requirements.txt")
    with pytest.raises(EnvFileError, match="above the limit"):
        envfiles.parse_report(b" " * (envfiles.MAX_REPORT_BYTES + 1), "python")


def test_a_conda_file_with_an_alias_is_refused() -> None:
    text = b"dependencies: &d\n  - numpy=1.26\nother: *d\n"
    with pytest.raises(EnvFileError, match="alias"):
        envfiles.parse_file(text, "environment.yml")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Foo_Bar.baz==1.2.3", {"foo-bar-baz": "1.2.3"}),
        ("torch===2.3.1+cu121", {"torch": "2.3.1+cu121"}),
        ("numpy", {"numpy": "*"}),
        ("numpy ; python_version<'3.12'", {"numpy": "*"}),
        ("--extra-index-url https://download.pytorch.org/whl/cu121", {}),
        ("https://example.com/x.whl", {}),
        ("$(rm -rf /)==1", {}),
    ],
)
def test_requirement_lines(line: str, expected: dict[str, str]) -> None:
    assert dict(envfiles.parse_file(line.encode(), "requirements.txt").packages) == expected
