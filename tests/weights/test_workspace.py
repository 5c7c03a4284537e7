"""Versions out of the local cache: exports and in-place checkouts write files of their own
(never links, unless asked), byte-exact, from checked objects; an export never loads DVC;
the cache can live outside ``.dvc/cache``."""

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
from llmgit.weights import cache, fetch, workspace
from llmgit.weights.integrity import signatures

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
    listed = sorted(extra.iterdir())
    sums.update({f"extra/{p.name}": md5 for p, md5 in zip(listed, _md5s(listed), strict=True)})
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


def _inodes(paths: list[Path]) -> set[tuple[int, int]]:
    return {(p.stat().st_dev, p.stat().st_ino) for p in paths}


def test_register_leaves_the_working_tree_files_its_own(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    data = repo / "out" / "m"
    assert tree_md5(data) == sums
    files = [p for p in data.rglob("*") if p.is_file()]
    assert not _inodes(files) & _inodes(_objects(repo / ".dvc" / "cache"))
    for p in files:  # ordinary writable files: the user's modes are untouched
        assert p.stat().st_nlink == 1 and p.stat().st_mode & stat.S_IWUSR
    assert os.access(data / "extra" / "convert.sh", os.X_OK)
    assert "reflink,copy" in (repo / ".dvc" / "config").read_text()


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


@pytest.mark.parametrize("link", [False, True], ids=["copies", "link"])
@pytest.mark.parametrize("where", ["same-filesystem", "tmpfs"])
def test_export_is_byte_exact(registered: tuple[Path, dict[str, str]], tmp_path: Path, where: str, link: bool) -> None:
    repo, sums = registered
    if where == "tmpfs":
        if not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("no tmpfs on another file system here")
        base = Path("/dev/shm") / f"llmgit-test-{os.getpid()}-{tmp_path.name}"
    else:
        base = tmp_path / "export"
    before = snapshot(repo)
    try:
        result = run_cli(repo, "checkout", REF, "--to", str(base), *(["--link"] if link else []))
        assert result.code == 0, result.err
        assert tree_md5(base) == sums
        objects = _inodes(_objects(repo / ".dvc" / "cache"))
        written = [p for p in base.rglob("*") if p.is_file()]
        for path in written:
            st = path.stat()
            if link and where == "same-filesystem":  # hard links to the read-only objects
                assert (st.st_dev, st.st_ino) in objects and not st.st_mode & 0o222
            else:  # files of their own, writable, with the umask's mode (plus x where the manifest says)
                assert (st.st_dev, st.st_ino) not in objects
                assert stat.S_IMODE(st.st_mode) & 0o666 == 0o666 & ~_umask()
        assert not [p for p in base.rglob("*") if "llmgit-tmp" in p.name]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert snapshot(repo) == before


def test_writing_into_an_export_never_reaches_the_cache(
    registered: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, sums = registered
    dest = tmp_path / "serve"
    assert run_cli(repo, "checkout", REF, "--to", str(dest)).code == 0
    for p in dest.rglob("*.safetensors"):
        with open(p, "wb") as fh:  # a server or a fine-tuning job writing in place
            fh.write(b"fine-tuned")
    again = tmp_path / "again"
    assert run_cli(repo, "checkout", REF, "--to", str(again)).code == 0
    assert tree_md5(again) == sums


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


def test_export_fetches_an_object_the_cache_lacks(registered: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, sums = registered
    assert run_cli(repo, "push", REF).code == 0
    missing = _objects(repo / ".dvc" / "cache")[0]
    missing.chmod(0o644)
    missing.unlink()
    assert cache.cached_files(repo, _pointer(repo)) is None
    result = run_cli(repo, "checkout", REF, "--to", str(tmp_path / "exp"))
    assert result.code == 0, result.err
    assert tree_md5(tmp_path / "exp") == sums
    assert missing.is_file()  # fetched back into the cache


def test_in_place_checkout_swaps_whole_copies(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    first = dict(sums)
    second = make_weights(repo / "out" / "m", seed=8, shards=2, size=300_000)
    assert run_cli(repo, "register", "m", "-w", "out/m", "-m", "second").code == 0
    result = run_cli(repo, "checkout", REF)
    assert result.code == 0, result.err
    data = repo / "out" / "m"
    assert tree_md5(data) == first
    assert not _inodes([p for p in data.rglob("*") if p.is_file()]) & _inodes(_objects(repo / ".dvc" / "cache"))
    assert not [p for p in data.parent.iterdir() if "llmgit-" in p.name]
    assert git(repo, "show", f"{REF}:out/m.dvc") == (repo / "out" / "m.dvc").read_text()
    assert workspace.matches(repo, _pointer(repo), signatures(repo))
    # DVC agrees the working tree is what the pointer says
    assert json.loads(_dvc(repo, "status", "--json")) == {}
    again = run_cli(repo, "checkout", "m@v1.0.1")
    assert again.code == 0, again.err
    assert {k: v for k, v in tree_md5(data).items() if not k.startswith("extra/")} == second


def test_in_place_checkout_of_a_single_file(registry_repo: Path) -> None:
    repo = registry_repo
    (repo / "w.bin").write_bytes(b"one" * 1000)
    assert run_cli(repo, "register", "f", "-w", "w.bin").code == 0
    (repo / "w.bin").write_bytes(b"two" * 1000)
    assert run_cli(repo, "register", "f", "-w", "w.bin").code == 0
    assert run_cli(repo, "checkout", "f@v1.0.0").code == 0
    assert (repo / "w.bin").read_bytes() == b"one" * 1000
    assert not [p.name for p in repo.iterdir() if "llmgit-" in p.name]


def test_checkout_refuses_link_without_to(registered: tuple[Path, dict[str, str]]) -> None:
    repo, _ = registered
    before = snapshot(repo)
    result = run_cli(repo, "checkout", REF, "--link")
    assert result.code == 2 and result.err.startswith("error: --link applies to an export")
    assert snapshot(repo) == before


def test_copies_take_the_mode_read_before_the_umask_changes(tmp_path: Path) -> None:
    """DVC sets the umask to 0 for a moment while it loads; copies use the mode read before."""
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
    written = fetch.export(repo, _pointer(repo), tmp_path / "exp", REF)
    assert len(written) == len(sums) and tree_md5(tmp_path / "exp") == sums


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


def test_manifest_dump_is_what_dvc_writes(registered: tuple[Path, dict[str, str]]) -> None:
    repo, sums = registered
    pointer = _pointer(repo)
    on_disk = cache.object_path(repo / ".dvc" / "cache", pointer.md5, is_dir=True).read_bytes()
    assert dirmanifest.dump(sorted(sums.items())) == on_disk
    # and DVC's own add of the same bytes gives the same pointer
    shutil.copytree(repo / "out" / "m", repo / "again")
    _dvc(repo, "add", "again")
    assert pointer_file.parse((repo / "again.dvc").read_text(), "again").md5 == pointer.md5
