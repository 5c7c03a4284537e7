"""A hostile tag, manifest or bucket never writes outside the registry or the export directory.

Each attack is built the way someone with push access to the tags or write access to the
storage would build it (forged tags with ``git mktree``/``git tag``, objects placed in the
directory remote or the S3 bucket); each test asserts the refusal (exit code and the one
``error:`` or ``warning:`` line) and that nothing changed outside the allowed roots.

Where the tag's summary is already refused when it is read (:mod:`llmgit.core.summary`), the
same raw value is also handed straight to the code that turns it into a path, which must
refuse it on its own."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping
from pathlib import Path

import pytest
from conftest import S3Target, make_weights, run_cli
from hostilekit import FileState, changed_outside, commit, forge_tag, sandbox_state, summary_message, tree_of

from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.core.pointer import Pointer
from llmgit.errors import BadRecord, SkippedRecord
from llmgit.inspect import checkout as checkout_feature
from llmgit.storage import pushpull
from llmgit.store.store import Store
from llmgit.weights import cache, fetch, workspace
from llmgit.weights.cache import CachedFile
from llmgit.weights.localmover import LocalMover
from llmgit.weights.remote import StorageRemote
from llmgit.weights.s3transfer import S3Mover

REF = "m@v1.0.0"
ALLOWED = ("repo/.dvc/cache", "repo/.dvc/tmp", "repo/.git")  # DVC's and llmgit's own state
EVIL = b"attacker's bytes\n"
VICTIM = b"the victim's file\n"
TRAVERSAL = "../../../../../victim.txt"  # as files/md5/<2>/<rest> under the cache: the repo's parent


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _place(base: Path, oid: str, data: bytes) -> None:
    """An object at DVC's layout under ``base`` (a cache or a directory remote)."""
    path = base / "files" / "md5" / oid[:2] / oid[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _registry_in_use(repo: Path) -> None:
    """One honest version, so the cache and its layout exist as in any registry."""
    make_weights(repo / "good", seed=1)
    result = run_cli(repo, "register", "good", "-w", "good")
    assert result.code == 0, result.err


def _pointer_text(oid: str, path: str) -> str:
    return f"outs:\n- md5: {oid}\n  size: {len(EVIL)}\n  hash: md5\n  path: {path}\n"


def _forge(repo: Path, files: Mapping[str, bytes | str], weights: Mapping[str, object]) -> None:
    """``REF`` on a commit holding ``files``, its summary naming ``weights``."""
    forge_tag(repo, REF, commit(repo, tree_of(repo, files)), summary_message("m", "1.0.0", {"weights": weights}))


def _forge_directory_version(repo: Path, entries: list[dict[str, object]], where: list[Path]) -> str:
    """``REF`` naming a forged ``.dir`` manifest of ``entries`` (placed, with EVIL as every
    file's object, under each base in ``where``); returns the manifest's md5."""
    manifest = json.dumps(entries, sort_keys=True).encode()
    md5 = _md5(manifest)
    for base in where:
        _place(base, md5 + ".dir", manifest)
        _place(base, _md5(EVIL), EVIL)
    _forge(
        repo,
        {"w.dvc": _pointer_text(md5 + ".dir", "w")},
        {"path": "w", "md5": md5, "dir": True, "size": len(EVIL), "files": len(entries)},
    )
    return md5


def _raw_version(path: str, md5: str, *, is_dir: bool = False) -> ModelVersion:
    """A version whose summary values reach llmgit unchecked (as if no parser stood before)."""
    return ModelVersion("m", "1.0.0", REF, "0" * 40, WeightsInfo(path, md5, len(EVIL), 1, is_dir))


class _RawStore(Store):
    """A registry whose ``REF`` resolves to a raw version, for checks behind the summary's."""

    def __init__(self, root: Path, raw: ModelVersion) -> None:
        super().__init__(root)
        self.raw = raw

    def get(self, reference: str) -> ModelVersion:
        return self.raw


def _outside_changes(tmp_path: Path, before: Mapping[str, FileState], allowed: tuple[str, ...] = ALLOWED) -> list[str]:
    """Paths changed outside ``allowed``, leaving out the mtime of the folders holding them."""
    after = sandbox_state(tmp_path)
    holders = {"repo", "repo/.dvc"}
    return [p for p in changed_outside(before, after, allowed) if not (p in holders and p in before and p in after)]


def _one_line(err: str, kind: str = "error") -> str:
    lines = [line for line in err.splitlines() if line.startswith(f"{kind}:")]
    assert len(lines) == 1, err
    return lines[0]


# -- 1. an md5 that is a path: pull, through the directory remote and S3 --


def _init(repo: Path, tmp_path: Path, remote: str, request: pytest.FixtureRequest) -> S3Target | None:
    if remote == "s3":
        s3: S3Target = request.getfixturevalue("s3")
        args = ["init", "--remote", s3.url] + (["--endpoint-url", s3.endpoint] if s3.endpoint else [])
        assert run_cli(repo, *args).code == 0
        return s3
    assert run_cli(repo, "init", "--remote", str(tmp_path / "a" / "b" / "c" / "remote")).code == 0
    return None


def _plant_traversal(repo: Path, tmp_path: Path, s3: S3Target | None) -> None:
    """The attacker's bytes where the remote reads the traversal "md5", and the victim's file
    where the cache would put it."""
    if s3 is not None:
        key = f"{s3.prefix}/files/md5/{TRAVERSAL[:2]}/{TRAVERSAL[2:]}"
        s3.client().put_object(Bucket=s3.bucket, Key=key, Body=EVIL)
    else:  # the remote sits one folder deeper than the cache: it reads a/victim.txt
        (tmp_path / "a" / "b" / "c" / "remote" / "files" / "md5").mkdir(parents=True, exist_ok=True)
        (tmp_path / "a" / "victim.txt").write_bytes(EVIL)
    (tmp_path / "victim.txt").write_bytes(VICTIM)


@pytest.mark.parametrize("remote", ["directory", "s3"])
def test_pull_refuses_a_version_whose_md5_is_a_path(
    remote: str, repo: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    s3 = _init(repo, tmp_path, remote, request)
    _registry_in_use(repo)
    _plant_traversal(repo, tmp_path, s3)
    _forge(repo, {"w.dvc": _pointer_text("0" * 32, "w")}, {"path": "w", "md5": TRAVERSAL, "size": 17, "files": 1})
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "pull", REF)
    assert result.code == 2, result.err
    line = _one_line(result.err)
    assert REF in line and "md5" in line and repr(TRAVERSAL) in line, line
    assert _outside_changes(tmp_path, before) == []
    assert (tmp_path / "victim.txt").read_bytes() == VICTIM


@pytest.mark.parametrize("remote", ["directory", "s3"])
def test_pull_refuses_a_raw_md5_that_is_a_path(
    remote: str, repo: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    s3 = _init(repo, tmp_path, remote, request)
    _registry_in_use(repo)
    _plant_traversal(repo, tmp_path, s3)
    before = sandbox_state(tmp_path)
    with pytest.raises(BadRecord) as refused:
        pushpull.pull(_RawStore(repo, _raw_version("w", TRAVERSAL)), REF)
    assert refused.value.message == f"{REF} names weights by {TRAVERSAL!r}, which is not an md5 hash"
    with pytest.raises(BadRecord):  # and below it: the fetch itself
        fetch.fetch_version(repo, _raw_version("w", TRAVERSAL))
    assert _outside_changes(tmp_path, before) == []
    assert (tmp_path / "victim.txt").read_bytes() == VICTIM


@pytest.mark.parametrize("oid", [TRAVERSAL, "abc/../../x", "/etc/passwd", "A" * 32, "0" * 31, "0" * 32 + ".dir/..", ""])
def test_no_object_id_but_an_md5_becomes_a_path_or_a_key(oid: str, tmp_path: Path) -> None:
    settings = {"url": "s3://bucket/prefix", "endpointurl": "http://127.0.0.1:9"}
    for where in (
        lambda: cache.object_path(tmp_path, oid),
        lambda: cache.relative_path(oid),
        lambda: LocalMover({"url": str(tmp_path)}, None).path(oid),
        lambda: S3Mover(settings, None).key(oid),
        lambda: StorageRemote(tmp_path, {"url": str(tmp_path)}).path(oid),
        lambda: StorageRemote(tmp_path, settings).key(oid),
    ):
        with pytest.raises(BadRecord, match="is not a DVC object id"):
            where()


# -- 2. manifest relpaths and links inside DIR: checkout --to, publish --to --


@pytest.mark.parametrize("placed", ["cache", "remote"])
def test_checkout_to_refuses_a_manifest_path_out_of_dir(placed: str, registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    base = repo / ".dvc" / "cache" if placed == "cache" else tmp_path / "remote"
    (tmp_path / "victim.txt").write_bytes(VICTIM)
    md5 = _forge_directory_version(repo, [{"md5": _md5(EVIL), "relpath": "../victim.txt"}], [base])
    dest = tmp_path / "export"
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF, "--to", str(dest))
    assert result.code == 1, result.err
    assert _one_line(result.err) == (
        f"error: the DVC manifest {md5}.dir names a path outside its directory: '../victim.txt'"
    )
    assert _outside_changes(tmp_path, before) == []
    assert (tmp_path / "victim.txt").read_bytes() == VICTIM


def test_checkout_to_refuses_a_manifest_path_into_a_git_folder(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    hook = {"md5": _md5(EVIL), "relpath": ".git/hooks/post-checkout", "isexec": True}
    md5 = _forge_directory_version(repo, [hook], [repo / ".dvc" / "cache"])
    dest = tmp_path / "export"
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF, "--to", str(dest))
    assert result.code == 1, result.err
    assert _one_line(result.err) == (
        f"error: the DVC manifest {md5}.dir names a path inside a .git folder: '.git/hooks/post-checkout'"
    )
    assert _outside_changes(tmp_path, before) == []


def test_checkout_to_never_writes_through_a_link_out_of_dir(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    _forge_directory_version(repo, [{"md5": _md5(EVIL), "relpath": "sub/victim.txt"}], [repo / ".dvc" / "cache"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(VICTIM)
    dest = tmp_path / "export"
    dest.mkdir()
    (dest / "sub").symlink_to(outside)
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF, "--to", str(dest), "--force")
    assert result.code == 2, result.err
    assert _one_line(result.err) == (
        f"error: '{dest}/sub' is a symbolic link out of '{dest}': llmgit writes sub/victim.txt of {REF} only inside it"
    )
    assert _outside_changes(tmp_path, before) == []
    assert (outside / "victim.txt").read_bytes() == VICTIM


def test_checkout_to_refuses_a_loop_of_links_in_dir(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    _forge_directory_version(repo, [{"md5": _md5(EVIL), "relpath": "sub/x.txt"}], [repo / ".dvc" / "cache"])
    dest = tmp_path / "export"
    dest.mkdir()
    (dest / "sub").symlink_to(dest / "sub")
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF, "--to", str(dest), "--force")
    assert result.code == 2, result.err
    assert _one_line(result.err) == (
        f"error: '{dest}/sub' is a symbolic link out of '{dest}': llmgit writes sub/x.txt of {REF} only inside it"
    )
    assert _outside_changes(tmp_path, before) == []


def test_checkout_to_writes_through_a_link_that_stays_inside_dir(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    _forge_directory_version(repo, [{"md5": _md5(EVIL), "relpath": "sub/file.txt"}], [repo / ".dvc" / "cache"])
    dest = tmp_path / "export"
    (dest / "real").mkdir(parents=True)
    (dest / "sub").symlink_to(dest / "real")
    result = run_cli(repo, "checkout", REF, "--to", str(dest), "--force")
    assert result.code == 0, result.err
    assert (dest / "real" / "file.txt").read_bytes() == EVIL


def test_an_export_refuses_a_raw_relpath_out_of_dir(registry_repo: Path, tmp_path: Path) -> None:
    obj = tmp_path / "object"
    obj.write_bytes(EVIL)
    dest = tmp_path / "export"
    before = sandbox_state(tmp_path)
    for relpath in ("../victim.txt", "/abs/victim.txt", "a/../../victim.txt", ".git/hooks/pre-commit", "a\\b"):
        with pytest.raises(BadRecord, match="which is not a path llmgit writes in"):
            workspace.export([CachedFile(relpath, _md5(EVIL), obj)], dest, REF)
    assert _outside_changes(tmp_path, before) == []


def test_publish_to_a_directory_refuses_a_manifest_path_out_of_it(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    (tmp_path / "victim.txt").write_bytes(VICTIM)
    md5 = _forge_directory_version(
        repo, [{"md5": _md5(EVIL), "relpath": "../../../victim.txt"}], [tmp_path / "remote", repo / ".dvc" / "cache"]
    )
    dest = tmp_path / "published"
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "publish", REF, "--to", str(dest))
    assert result.code == 1, result.err
    assert _one_line(result.err) == (
        f"error: the DVC manifest {md5}.dir names a path outside its directory: '../../../victim.txt'"
    )
    assert _outside_changes(tmp_path, before) == []


def test_publish_to_a_directory_never_writes_through_a_link_out_of_it(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    _forge_directory_version(repo, [{"md5": _md5(EVIL), "relpath": "sub/victim.txt"}], [tmp_path / "remote"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(VICTIM)
    dest = tmp_path / "published"
    (dest / "m" / "v1.0.0").mkdir(parents=True)
    (dest / "m" / "v1.0.0" / "sub").symlink_to(outside)
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "publish", REF, "--to", str(dest))
    assert result.code == 2, result.err
    assert _one_line(result.err) == (
        f"error: '{dest}/m/v1.0.0/sub' is a symbolic link out of '{dest}': "
        f"llmgit writes m/v1.0.0/sub/victim.txt of {REF} only inside it"
    )
    assert _outside_changes(tmp_path, before) == []
    assert (outside / "victim.txt").read_bytes() == VICTIM


# -- 3. in-place checkout: the weights path, its .dvc file and .gitignore stay in the repository --


def _forge_file_version(repo: Path, path: str) -> None:
    _forge(
        repo,
        {f"{path}.dvc": _pointer_text(_md5(EVIL), path.rsplit("/", 1)[-1])},
        {"path": path, "md5": _md5(EVIL), "size": len(EVIL), "files": 1},
    )
    _place(repo / ".dvc" / "cache", _md5(EVIL), EVIL)


def test_checkout_in_place_never_writes_through_a_linked_folder(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "wdir").symlink_to(outside)  # a branch the user checked out carried this link
    _forge_file_version(repo, "wdir/w")
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF)
    assert result.code == 2, result.err
    assert _one_line(result.err) == (
        f"error: '{repo}/wdir' is a symbolic link out of '{repo}': llmgit writes wdir/w of {REF} only inside it"
    )
    assert _outside_changes(tmp_path, before) == []
    assert list(outside.iterdir()) == []


def test_checkout_in_place_never_replaces_a_gitignore_linked_out(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    (tmp_path / "secret").write_text("a file outside the repository\n")
    (repo / "wdir").mkdir()
    (repo / "wdir" / ".gitignore").symlink_to(tmp_path / "secret")
    _forge_file_version(repo, "wdir/w")
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF)
    assert result.code == 2, result.err
    assert _one_line(result.err) == (
        f"error: '{repo}/wdir/.gitignore' is a symbolic link out of the repository: "
        f"llmgit writes wdir/.gitignore of {REF} only inside it"
    )
    assert _outside_changes(tmp_path, before) == []


def test_checkout_in_place_refuses_a_weights_path_out_of_the_repository(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    (tmp_path / "up").mkdir()
    (repo / "wdir").mkdir()
    _forge_file_version(repo, "wdir/../../up/w")  # git takes '..' as a tree entry's name
    before = sandbox_state(tmp_path)
    result = run_cli(repo, "checkout", REF)
    assert result.code == 2, result.err
    assert REF in _one_line(result.err)
    assert _outside_changes(tmp_path, before) == []
    assert list((tmp_path / "up").iterdir()) == []


@pytest.mark.parametrize("path", ["wdir/../../up/w", "/abs/w", ".git/hooks", "sub/.GIT/w", "w\\..\\..\\x", ""])
def test_checkout_in_place_refuses_a_raw_weights_path(path: str, registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    (tmp_path / "up").mkdir()
    (repo / "wdir").mkdir()
    before = sandbox_state(tmp_path)
    with pytest.raises(BadRecord) as refused:
        checkout_feature.checkout(_RawStore(repo, _raw_version(path, _md5(EVIL))), REF, None, force=True)
    assert refused.value.message == (
        f"{REF} names its weights path {path!r}, which is not a relative path inside the repository"
    )
    pointer = Pointer(path, _md5(EVIL), False, len(EVIL), 1)  # and below it: the write itself
    with pytest.raises(BadRecord, match="which is not a path llmgit writes in"):
        fetch.checkout(repo, pointer, REF)
    assert _outside_changes(tmp_path, before) == []


# -- 4. S3 listings: a key that is not one of DVC's objects is skipped, named, never a path --


def test_a_listing_skips_keys_that_are_not_objects(s3_repo: Path, s3: S3Target, tmp_path: Path) -> None:
    repo = s3_repo
    _registry_in_use(repo)
    assert run_cli(repo, "push").code == 0, "push"
    real = set(s3.keys("files/md5"))
    base = f"{s3.prefix}/files/md5"
    bad = [f"{base}/../../../evil", f"{base}/zz/not-an-object", f"{base}/ab/cd/{'e' * 28}", f"{base}/\x1b[31m/x"]
    for key in bad:
        s3.client().put_object(Bucket=s3.bucket, Key=key, Body=EVIL)
    before = sandbox_state(tmp_path)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        found = StorageRemote(repo, {"url": s3.url, "endpointurl": s3.endpoint}).inventory()
    assert {f"{base}/{oid[:2]}/{oid[2:]}" for oid in found} == real
    skipped = [str(w.message) for w in seen if isinstance(w.message, SkippedRecord)]
    assert len(skipped) == len(bad), skipped
    for key in bad:
        assert sum(repr(key) in s for s in skipped) == 1, (key, skipped)
    assert _outside_changes(tmp_path, before, ()) == []


def test_cost_skips_a_key_that_climbs_out_of_the_prefix(s3_repo: Path, s3: S3Target) -> None:
    repo = s3_repo
    _registry_in_use(repo)
    assert run_cli(repo, "push").code == 0
    key = f"{s3.prefix}/files/md5/../../../evil"
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=EVIL)
    result = run_cli(repo, "cost")
    assert result.code == 0, result.err
    assert _one_line(result.err, "warning") == (
        f"warning: skipped the S3 object {key!r}: its key is not a plain path below the remote's prefix"
    )


def test_a_directory_remote_listing_skips_files_that_are_not_objects(registry_repo: Path, tmp_path: Path) -> None:
    repo = registry_repo
    _registry_in_use(repo)
    assert run_cli(repo, "push").code == 0
    store = tmp_path / "remote" / "files" / "md5"
    real = {p.parent.name + p.name for p in store.glob("*/*")}
    (store / "zz").mkdir()
    (store / "zz" / "not-an-object").write_bytes(EVIL)
    (store / "ab" / "cd").mkdir(parents=True)
    (store / "ab" / f".{'c' * 30}.llmgit-tmp-1-2-3").write_bytes(EVIL)  # an upload under way: not named
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        found = StorageRemote(repo, {"url": str(tmp_path / "remote")}).inventory()
    assert set(found) == real
    skipped = sorted(str(w.message) for w in seen if isinstance(w.message, SkippedRecord))
    assert len(skipped) == 2 and "zz/not-an-object" in skipped[1] and "ab/cd" in skipped[0], skipped


def test_a_pointer_tracks_only_a_path_inside_its_folder() -> None:
    from llmgit.core import pointer as pointer_file
    from llmgit.errors import InputError

    for tracked in ("../../x", "/etc/passwd", "a/../../b", "a\\b"):
        text = f"outs:\n- md5: {'a' * 32}\n  path: {json.dumps(tracked)}\n"
        with pytest.raises(InputError, match="which is not a path inside its folder"):
            pointer_file.parse(text, "w")
    assert pointer_file.parse(f"outs:\n- md5: {'a' * 32}\n  path: w\n", "w").path == "w"
