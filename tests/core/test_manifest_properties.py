"""The parsers of what the storage remote and a version's commit hold: DVC ``.dir`` manifests
(llmgit.core.dirmanifest) and ``.dvc`` pointers (llmgit.core.pointer). Any bytes are entries or
the domain error (ManifestError, InputError), never another exception; every entry is a path
inside its directory; what llmgit writes reads back as it was."""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import PurePosixPath
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmgit.core import dirmanifest, paths
from llmgit.core import pointer as pointer_file
from llmgit.core.pointer import Pointer
from llmgit.errors import InputError, ManifestError

md5s = st.text("0123456789abcdef", min_size=32, max_size=32)
# path parts with the hard cases close at hand: dots, slashes, backslashes, NUL, escapes, '.git'
parts = st.one_of(
    st.sampled_from(["..", ".", "", ".git", ".GIT", "a\\b", "\0", "\x1b[2J", " ", "~"]),
    st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=12),
)
relpaths = st.lists(parts, min_size=1, max_size=5).map("/".join) | st.text(max_size=40)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
)
entries = st.fixed_dictionaries(
    {"relpath": relpaths | json_values, "md5": md5s | json_values},
    optional={"size": st.integers(min_value=-2, max_value=2**70) | json_values, "isexec": json_values},
)


def _check_manifest(data: bytes | str) -> None:
    try:
        found = dirmanifest.parse(data, "x.dir")
    except ManifestError as e:
        assert e.exit_code == 1 and "x.dir" in e.message
        return
    assert [e.relpath for e in found] == sorted({e.relpath for e in found})  # sorted, each once
    for e in found:
        assert paths.safe_relpath(e.relpath) == e.relpath and not paths.in_git_dir(e.relpath)
        assert ".." not in PurePosixPath(e.relpath).parts and not e.relpath.startswith("/")
        assert paths.is_md5(e.md5)
        assert e.size is None or (isinstance(e.size, int) and e.size >= 0)
        assert not any(PurePosixPath(e.relpath).is_relative_to(other.relpath) for other in found if other != e)


@given(st.binary(max_size=300))
def test_any_bytes_are_a_manifest_or_a_manifest_error(data: bytes) -> None:
    _check_manifest(data)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries, max_size=6) | json_values)
def test_any_json_is_a_manifest_or_a_manifest_error(doc: Any) -> None:
    _check_manifest(json.dumps(doc))


@given(st.integers(min_value=1, max_value=5000))
def test_deep_nesting_is_a_manifest_error(depth: int) -> None:
    _check_manifest("[" * depth + "]" * depth)


safe_parts = st.text(string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=10)
safe_relpaths = st.lists(safe_parts, min_size=1, max_size=4).map("/".join)


@given(st.dictionaries(safe_relpaths, md5s, max_size=8))
def test_dump_then_parse_round_trips(files: dict[str, str]) -> None:
    relpaths = set(files)
    files = {
        r: m for r, m in files.items() if not any(PurePosixPath(r).is_relative_to(o) for o in relpaths if o != r)
    }  # a file is never also a folder
    data = dirmanifest.dump(list(files.items()))
    found = dirmanifest.parse(data, "x.dir")
    assert {(e.relpath, e.md5) for e in found} == set(files.items())
    assert hashlib.md5(dirmanifest.dump([(e.relpath, e.md5) for e in found])).digest() == hashlib.md5(data).digest()


# -- .dvc pointers --


def _check_pointer(text: str | bytes) -> None:
    try:
        found = pointer_file.parse(text, "w")
    except InputError as e:
        assert e.exit_code == 2 and "w.dvc" in e.message
        return
    assert paths.is_md5(found.md5) and found.path == "w"
    assert found.size >= 0 and found.nfiles >= 0


@given(st.binary(max_size=300))
def test_any_bytes_are_a_pointer_or_an_input_error(data: bytes) -> None:
    _check_pointer(data)


@given(st.text(max_size=300))
def test_any_text_is_a_pointer_or_an_input_error(text: str) -> None:
    _check_pointer(text)


out_keys = st.sampled_from(["md5", "size", "nfiles", "path", "hash", "cache"])


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(out_keys, md5s.map(lambda m: m + ".dir") | md5s | relpaths | json_values, max_size=6))
def test_any_out_is_a_pointer_or_an_input_error(out: dict[str, Any]) -> None:
    _check_pointer(json.dumps({"outs": [out]}))  # JSON is YAML


names = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=20).filter(
    lambda n: paths.safe_relpath(n) == n
)


@given(names, md5s, st.booleans(), st.integers(min_value=0, max_value=2**62), st.integers(min_value=0, max_value=10**6))
@example(".0", "0" * 32, False, 0, 0)  # YAML reads a plain .0 as the float 0.0
@example("on", "0" * 32, False, 0, 1)  # and a plain on as True
def test_dump_then_parse_round_trips_a_pointer(name: str, md5: str, is_dir: bool, size: int, nfiles: int) -> None:
    pointer = Pointer(f"models/{name}", md5, is_dir, size, nfiles if is_dir else 1)
    text = pointer_file.dump(pointer)
    assert pointer_file.parse(text, pointer.path) == pointer
    assert pointer_file.is_plain(text, pointer)
