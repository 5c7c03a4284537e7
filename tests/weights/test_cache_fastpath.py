"""Checkouts straight from the local DVC cache: exports that never load DVC, copies that are
byte-exact, the fall back to DVC's fetch, a cache outside ``.dvc/cache``, and in-place
copies that leave DVC's view as ``dvc checkout`` would."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, make_weights, run_cli, snapshot, tree_md5

from llmgit.core import dirmanifest
from llmgit.core import pointer as pointer_file
from llmgit.errors import ManifestError
from llmgit.weights import cache, workspace
from llmgit.weights import dvc as storage

REF = "m@v1.0.0"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture
def registered(registry_repo: Path) -> tuple[Path, dict[str, str]]:
    """``m@v1.0.0``: six files, two of them in a subdirectory, one with mode 0755."""
    repo = registry_repo
    sums = make_weights(repo / "out" / "m", seed=7, shards=2, size=300_000)
    extra = repo / "out" / "m" / "extra"
    extra.mkdir()
    (extra / "notes.txt").write_bytes(b"trained on the usual data\n")
    (extra / "convert.sh").write_bytes(b"#!/bin/sh\nexit 0\n")
    (extra / "convert.sh").chmod(0o755)
    sums.update(
        {f"extra/{p.name}": md5 for p, md5 in zip(sorted(extra.iterdir()), _md5s(sorted(extra.iterdir())), strict=True)}
    )
    result = run_cli(repo, "register", "m", "-w", "out/m", "-m", "first")
    assert result.code == 0, result.err
    return repo, sums


def _md5s(paths: list[Path]) -> list[str]:
    import hashlib

    return [hashlib.md5(p.read_bytes()).hexdigest() for p in paths]


def _pointer(repo: Path) -> pointer_file.Pointer:
    return pointer_file.parse((repo / "out" / "m.dvc").read_text(), "out/m")


def _dvc(repo: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _objects(cache_root: Path) -> list[Path]:
    return sorted(p for p in (cache_root / "files" / "md5").rglob("*") if p.is_file() and not p.name.endswith(".dir"))


def test_export_from_the_cache_never_imports_dvc(registered: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, sums = registered
    dest = tmp_path / "export"
    code = (
        "import sys\n"
        "from llmgit.cli.main import main\n"
        f"code = main(['-C', {str(repo)!r}, 'checkout', {REF!r}, '--to', {str(dest)!r}])\n"
        "print('CODE', code, 'DVC', sorted(m for m in sys.modules if m.split('.')[0] in ('dvc', 'dvc_data')),"
        " file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "CODE 0 DVC []" in proc.stderr, proc.stderr
    assert tree_md5(dest) == sums


@pytest.mark.parametrize("where", ["same-filesystem", "tmpfs"])
def test_export_is_byte_exact_links_or_copies(
    registered: tuple[Path, dict[str, str]], tmp_path: Path, where: str
) -> None:
    repo, sums = registered
    if where == "tmpfs":
        if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("no tmpfs on another file system here")
        base = Path("/dev/shm") / f"llmgit-test-{os.getpid()}-{tmp_path.name}"
    else:
        base = tmp_path / "export"
    before = snapshot(repo)
    try:
        written = cache.export_cached(repo, _pointer(repo), base)
        assert written is not None and sorted(p.relative_to(base).as_posix() for p in written) == sorted(sums)
        assert tree_md5(base) == sums
        objects = {p.stat().st_ino for p in _objects(repo / ".dvc" / "cache")}
        for path in written:
            st = path.stat()
            if where == "tmpfs":  # copies: new, writable files, no temporary names left over
                assert st.st_ino not in objects and stat.S_IMODE(st.st_mode) == 0o666 & ~_umask()
            else:  # hard links to the read-only cache objects
                assert st.st_ino in objects and not st.st_mode & 0o222
        assert not [p for p in base.rglob("*") if "llmgit-tmp" in p.name]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert snapshot(repo) == before


def test_copies_replace_what_was_there(tmp_path: Path) -> None:
    from llmgit.weights import linking

    sources = []
    for i in range(5):
        src = tmp_path / f"src{i}"
        src.write_bytes(os.urandom(70_000 * (i + 1)))
        sources.append(src)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    (out / "t0").write_bytes(b"stale contents, longer than nothing" * 10_000)
    (out / "t1").symlink_to(sources[4])
    pairs = [(s, out / f"t{i}") for i, s in enumerate([*sources, empty])]
    linking.copy_files(pairs)
    for src, dst in pairs:
        assert not dst.is_symlink() and dst.read_bytes() == src.read_bytes()
    assert sources[4].read_bytes() != b"" and sorted(p.name for p in out.iterdir()) == [f"t{i}" for i in range(6)]


def test_falls_back_to_fetching_when_the_cache_lacks_an_object(
    registered: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, sums = registered
    assert run_cli(repo, "push", REF).code == 0
    objects = _objects(repo / ".dvc" / "cache")
    missing = objects[0]
    missing.chmod(0o644)
    missing.unlink()
    assert cache.cached_files(repo, _pointer(repo)) is None
    assert cache.export_cached(repo, _pointer(repo), tmp_path / "direct") is None
    assert not (tmp_path / "direct").exists()  # nothing written when anything is missing
    result = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "exp"))
    assert result.code == 0, result.err
    assert tree_md5(tmp_path / "exp") == sums
    assert missing.is_file()  # fetched back into the cache


def _move_cache(repo: Path, new: Path) -> None:
    shutil.move(str(repo / ".dvc" / "cache"), str(new))


@pytest.mark.parametrize("level", ["repo-relative", "local-absolute", "global"])
def test_cache_outside_dot_dvc(registered: tuple[Path, dict[str, str]], tmp_path: Path, level: str) -> None:
    repo, sums = registered
    elsewhere = tmp_path / "shared-cache"
    _move_cache(repo, elsewhere)
    if level == "repo-relative":
        _dvc(repo, "cache", "dir", "../shared-cache")  # relative to the cwd, stored relative to .dvc/
        assert "dir = ../../shared-cache" in (repo / ".dvc" / "config").read_text()
    elif level == "local-absolute":
        _dvc(repo, "config", "--local", "cache.dir", str(elsewhere))
    else:
        _dvc(repo, "config", "--global", "cache.dir", str(elsewhere))
        assert Path(os.environ["XDG_CONFIG_HOME"], "dvc", "config").is_file()
    assert cache.cache_dir(repo) == elsewhere
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:  # DVC agrees on where its cache is
        assert Path(dvc_repo.cache.local.path) == elsewhere / "files" / "md5"
    written = cache.export_cached(repo, _pointer(repo), tmp_path / "exp")
    assert written is not None and tree_md5(tmp_path / "exp") == sums


@pytest.mark.parametrize(
    ("config", "found"),
    [
        pytest.param("", ".dvc/cache", id="default"),
        pytest.param("[cache]\n    type = copy\n", ".dvc/cache", id="type-only"),
        pytest.param("[cache]\n    dir = ~/dvc-cache\n", "~/dvc-cache", id="home"),
        pytest.param("[cache]\n    local = myremote\n", None, id="legacy-remote-cache"),
        pytest.param("[cache]\n    dir = s3://bucket/cache\n", None, id="url"),
        pytest.param("[cache\n", None, id="unparsable"),
    ],
)
def test_cache_dir_from_config(tmp_path: Path, config: str, found: str | None) -> None:
    root = tmp_path / "r"
    (root / ".dvc").mkdir(parents=True)
    (root / ".dvc" / "config").write_text(config)
    expected = None if found is None else Path(os.path.expanduser(found)) if found.startswith("~") else root / found
    assert cache.cache_dir(root) == expected


@pytest.mark.parametrize(
    "entry",
    [{"relpath": "../escape", "md5": "0" * 32}, {"relpath": "/abs", "md5": "0" * 32}, {"relpath": "a", "md5": "zz"}],
    ids=["parent", "absolute", "bad-md5"],
)
def test_manifests_naming_paths_outside_are_refused(tmp_path: Path, entry: dict[str, str]) -> None:
    manifest = tmp_path / "x.dir"
    manifest.write_text(json.dumps([{"relpath": "ok", "md5": "1" * 32}, entry]))
    with pytest.raises(ManifestError):
        dirmanifest.parse(manifest.read_bytes(), manifest.name)


def _state_hashes(repo: Path, files: list[Path]) -> dict[str, str | None]:
    """What DVC's state database answers for each file, without hashing anything."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc_repo:
        answers = {}
        for path in files:
            _, hash_info = dvc_repo.state.get(str(path), dvc_repo.fs)
            answers[path.name] = None if hash_info is None else hash_info.value
        return answers


def test_in_place_copy_checkout_matches_dvc(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    _dvc(repo, "config", "cache.type", "copy")
    data = repo / "out" / "m"
    # what DVC itself leaves behind
    shutil.rmtree(data)
    _dvc(repo, "checkout", "out/m.dvc")
    by_dvc = {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in sorted(data.rglob("*"))}
    shutil.rmtree(data)

    before_status = git(repo, "status", "--porcelain")
    written = workspace.checkout_copies(repo, _pointer(repo))
    assert written is not None  # the copies were made here, not by DVC
    assert tree_md5(data) == sums
    assert {p.relative_to(data).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in sorted(data.rglob("*"))} == by_dvc
    objects = {p.stat().st_ino for p in _objects(repo / ".dvc" / "cache")}
    assert not objects & {p.stat().st_ino for p in written}  # copies, never links
    # DVC knows these files: every hash comes from its state database, and status is clean
    expected = {Path(rel).name: md5 for rel, md5 in sums.items()}
    assert _state_hashes(repo, written) == expected
    assert json.loads(_dvc(repo, "status", "--json")) == {}
    assert git(repo, "status", "--porcelain") == before_status
    assert storage.workspace_matches(repo, _pointer(repo))


def test_in_place_copy_checkout_through_the_cli(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    first = dict(sums)
    make_weights(repo / "out" / "m", seed=8, shards=2, size=300_000)
    assert run_cli(repo, "register", "m", "-w", "out/m", "-m", "second").code == 0
    _dvc(repo, "config", "cache.type", "copy")
    shutil.rmtree(repo / "out" / "m")
    result = run_cli(repo, "checkout", REF)
    assert result.code == 0, result.err
    assert tree_md5(repo / "out" / "m") == first
    assert json.loads(_dvc(repo, "status", "--json")) == {}
    # over existing weights DVC's own checkout runs (it replaces only what changed)
    assert workspace.checkout_copies(repo, _pointer(repo)) is None
    again = run_cli(repo, "checkout", "m@v1.0.1")
    assert again.code == 0, again.err
    assert json.loads(_dvc(repo, "status", "--json")) == {}
    assert (repo / "out" / "m.dvc").read_bytes() == git(repo, "show", "m@v1.0.1:out/m.dvc").encode()


@pytest.mark.parametrize("kind", ["hardlink", "symlink", "reflink,hardlink,symlink,copy"])
def test_link_cache_types_stay_with_dvc(registered: tuple[Path, dict[str, str]], kind: str) -> None:
    repo, sums = registered
    _dvc(repo, "config", "cache.type", kind)
    shutil.rmtree(repo / "out" / "m")
    assert workspace.checkout_copies(repo, _pointer(repo)) is None
    assert not (repo / "out" / "m").exists()
    result = run_cli(repo, "checkout", REF, "--force")
    assert result.code == 0, result.err
    assert tree_md5(repo / "out" / "m") == sums
    assert json.loads(_dvc(repo, "status", "--json")) == {}


def test_in_place_copy_with_an_object_missing_fetches_through_dvc(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    assert run_cli(repo, "push", REF).code == 0
    _dvc(repo, "config", "cache.type", "copy")
    shutil.rmtree(repo / "out" / "m")
    victim = _objects(repo / ".dvc" / "cache")[-1]
    victim.chmod(0o644)
    victim.unlink()
    assert workspace.checkout_copies(repo, _pointer(repo)) is None
    assert not (repo / "out" / "m").exists()
    result = run_cli(repo, "checkout", REF)
    assert result.code == 0, result.err
    assert tree_md5(repo / "out" / "m") == sums and victim.is_file()
    assert json.loads(_dvc(repo, "status", "--json")) == {}


def test_in_place_copy_leaves_executable_entries_to_dvc(registered: tuple[Path, dict[str, str]]) -> None:
    repo, _ = registered
    _dvc(repo, "config", "cache.type", "copy")
    shutil.rmtree(repo / "out" / "m")
    pointer = _pointer(repo)
    manifest = cache.object_path(repo / ".dvc" / "cache", pointer.md5, is_dir=True)
    entries = json.loads(manifest.read_text())
    entries[1]["isexec"] = True  # what DVC writes for a file it tracks as executable
    manifest.chmod(0o644)
    manifest.write_text(json.dumps(entries))
    files = cache.cached_files(repo, pointer)
    assert files is not None and [f.executable for f in files].count(True) == 1
    assert workspace.checkout_copies(repo, pointer) is None
    assert not (repo / "out" / "m").exists()


def test_copies_take_the_mode_read_before_the_umask_changes(tmp_path: Path) -> None:
    """DVC sets the umask to 0 for a moment while it loads, as the copies run beside it."""
    from llmgit.weights import linking

    src = tmp_path / "object"
    src.write_bytes(b"weights" * 1000)
    src.chmod(0o444)
    mode = linking.new_file_mode()
    assert mode == 0o666 & ~_umask()
    old = os.umask(0)
    try:
        linking.place([(src, tmp_path / "a"), (src, tmp_path / "b")], hardlink=False, mode=mode)
    finally:
        os.umask(old)
    for name in ("a", "b"):
        target = tmp_path / name
        assert stat.S_IMODE(target.stat().st_mode) == mode and target.read_bytes() == src.read_bytes()


def test_in_place_copies_are_undone_when_dvc_cannot_record_them(
    registered: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, sums = registered
    _dvc(repo, "config", "cache.type", "copy")
    shutil.rmtree(repo / "out" / "m")
    with monkeypatch.context() as patch:
        patch.setattr(sys, "executable", "/bin/false")  # the recording helper fails
        assert workspace.checkout_copies(repo, _pointer(repo)) is None
    assert not (repo / "out" / "m").exists()
    result = run_cli(repo, "checkout", REF)  # DVC's own checkout then does the work
    assert result.code == 0, result.err
    assert tree_md5(repo / "out" / "m") == sums
    assert json.loads(_dvc(repo, "status", "--json")) == {}
