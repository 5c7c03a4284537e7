"""Running git: small typed functions over ``git`` argv lists.

Parsing uses NUL separators; failures become one human sentence (:class:`OperationFailed`).
Ref changes go through :func:`update_refs`, one ``git update-ref --stdin`` transaction; the
ref listings (one ``for-each-ref`` each) are in :mod:`llmgit.infra.gitrefs`.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from llmgit.core.ident import Ident, parse_ident
from llmgit.core.plan import RefUpdate
from llmgit.errors import LlmgitError, NotARepository, OperationFailed, UsageError
from llmgit.infra import packrefs


def run(
    root: Path | str,
    args: Sequence[str],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    full_env = None
    if env:
        full_env = {**os.environ, **env}
    try:
        proc = subprocess.run(["git", *args], cwd=root, input=input, env=full_env, capture_output=True, check=False)
    except OSError as e:
        raise _not_run(root, e) from None
    if check and proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        msg = detail[-1] if detail else f"exit {proc.returncode}"
        raise OperationFailed(f"git {args[0]} failed: {msg.removeprefix('fatal: ')}")
    return proc


def _not_run(root: Path | str, e: OSError) -> LlmgitError:
    """Why git could not start: its directory (a missing or unreadable ``-C``) or git itself."""
    where = Path(root)
    if not where.exists():
        return UsageError(f"'{where}' does not exist")
    if not where.is_dir():
        return UsageError(f"'{where}' is not a directory")
    if isinstance(e, PermissionError) and not os.access(where, os.X_OK):
        return UsageError(f"'{where}' cannot be entered: permission denied")
    if shutil.which("git") is None:
        return OperationFailed("git is not installed or not on PATH")
    return OperationFailed(f"git could not be started in '{where}': {e.strerror or e}")


def out(root: Path | str, args: Sequence[str], **kw: object) -> str:
    """git's output as text; bytes that are not UTF-8 (a forged tag message, a ref name) become
    U+FFFD, which every parser then refuses or shows, instead of failing the whole listing."""
    return run(root, args, **kw).stdout.decode(errors="replace")  # type: ignore[arg-type]


def toplevel(path: Path | str) -> Path:
    """The root of the work tree containing ``path``."""
    if not Path(path).exists():
        raise NotARepository(f"'{path}' does not exist")
    if not Path(path).is_dir():
        raise NotARepository(f"'{path}' is not a directory")
    proc = run(path, ["rev-parse", "--show-toplevel"], check=False)
    if proc.returncode != 0:
        raise NotARepository(
            f"'{Path(path).resolve()}' is not inside a git repository",
            hint="run llmgit inside a git work tree ('git init' creates one)",
        )
    return Path(proc.stdout.decode().strip())


@functools.lru_cache(maxsize=8)
def common_dir(root: Path) -> Path:
    """The repository's git directory shared by all work trees (``.git`` usually)."""
    path = Path(out(root, ["rev-parse", "--git-common-dir"]).strip())
    return path if path.is_absolute() else (root / path).resolve()


def is_shallow(root: Path) -> bool:
    return out(root, ["rev-parse", "--is-shallow-repository"]).strip() == "true"


def current_branch(root: Path) -> str | None:
    """The full ref HEAD points to (``refs/heads/x``), or None when detached."""
    proc = run(root, ["symbolic-ref", "-q", "HEAD"], check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def rev_parse(root: Path, rev: str) -> str | None:
    proc = run(root, ["rev-parse", "-q", "--verify", "--end-of-options", rev], check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def ident(root: Path) -> Ident:
    """The committer identity git would use now (honours GIT_COMMITTER_* variables)."""
    proc = run(root, ["var", "GIT_COMMITTER_IDENT"], check=False)
    if proc.returncode != 0:
        raise UsageError(
            "git does not know who you are",
            hint="set it with: git config user.name 'Your Name'; git config user.email you@example.com",
        )
    return parse_ident(proc.stdout.decode())


def read_blob(root: Path, rev: str, path: str) -> bytes | None:
    proc = run(root, ["cat-file", "blob", f"{rev}:{path}"], check=False)
    return proc.stdout if proc.returncode == 0 else None


def blob_sizes(root: Path, specs: Sequence[str]) -> dict[str, tuple[str, int] | None]:
    """``REV:PATH`` -> (blob id, size), None when missing, in one ``cat-file --batch-check``:
    sizes are known before any blob is read."""
    if not specs:
        return {}
    data = "".join(f"{s}\n" for s in specs).encode()
    proc = run(root, ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], input=data)
    result: dict[str, tuple[str, int] | None] = {}
    for spec, line in zip(specs, proc.stdout.decode().splitlines(), strict=True):
        parts = line.split(" ")
        result[spec] = (parts[0], int(parts[2])) if len(parts) == 3 and parts[1] == "blob" else None
    return result


def blob_ids(root: Path, specs: Sequence[str]) -> dict[str, str | None]:
    """``REV:PATH`` -> blob id (None when missing), in one ``cat-file --batch-check``."""
    return {spec: found[0] if found else None for spec, found in blob_sizes(root, specs).items()}


def hash_object(root: Path, data: bytes, *, write: bool = True) -> str:
    args = ["hash-object", "--stdin"] + (["-w"] if write else [])
    return out(root, args, input=data).strip()


def hash_file(root: Path, path: Path) -> str:
    return out(root, ["hash-object", "--", str(path)]).strip()


def index_entry(root: Path, path: str) -> tuple[str, str] | None:
    """(mode, blob) of ``path`` in the real index, or None."""
    line = out(root, ["ls-files", "-s", "-z", "--", path]).split("\0")[0]
    if not line:
        return None
    meta, _, _ = line.partition("\t")
    mode, oid, _stage = meta.split()
    return mode, oid


def is_tracked(root: Path, path: str) -> bool:
    return bool(out(root, ["ls-files", "-z", "--", path]).strip("\0"))


def tracked_files(root: Path, pathspecs: Sequence[str]) -> list[str]:
    """Files in the index matching ``pathspecs`` (glob patterns, such as ``models/*/x.yaml``)."""
    return [p for p in out(root, ["ls-files", "-z", "--", *pathspecs]).split("\0") if p]


def tree_with(root: Path, base: str | None, files: Mapping[str, str]) -> str:
    """A tree: ``base``'s tree plus ``files`` (path -> blob id, mode 100644).

    Uses a temporary index so the user's index and working tree are never touched.
    """
    with tempfile.TemporaryDirectory(prefix="llmgit-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if base:
            run(root, ["read-tree", base], env=env)
        info = "".join(f"100644 {oid}\t{path}\n" for path, oid in files.items())
        run(root, ["update-index", "--add", "--index-info"], input=info.encode(), env=env)
        return out(root, ["write-tree"], env=env).strip()


def set_index_entries(root: Path, files: Mapping[str, str], modes: Mapping[str, str] | None = None) -> None:
    """Point the real index at blobs (mode 100644 unless ``modes`` says otherwise)."""
    modes = modes or {}
    info = "".join(f"{modes.get(path, '100644')} {oid}\t{path}\n" for path, oid in files.items())
    run(root, ["update-index", "--add", "--index-info"], input=info.encode())


def remove_index_entries(root: Path, paths: Sequence[str]) -> None:
    """Drop ``paths`` from the real index (the working tree is not touched)."""
    run(root, ["update-index", "--force-remove", "--", *paths])


def commit_tree(root: Path, tree: str, parents: Sequence[str], message: str) -> str:
    args = ["commit-tree", tree]
    for p in parents:
        args += ["-p", p]
    return out(root, args, input=message.encode()).strip()


def make_tag(root: Path, target: str, name: str, message: str, tagger: Ident) -> str:
    """Write an annotated tag object (no ref yet) and return its id."""
    body = f"object {target}\ntype commit\ntag {name}\ntagger {tagger}\n\n{message}"
    if not body.endswith("\n"):
        body += "\n"
    return out(root, ["mktag"], input=body.encode()).strip()


def update_refs(root: Path, updates: Sequence[RefUpdate]) -> None:
    """Move refs in one transaction: all move or none do. Then, when many tags are loose
    files, pack them (:func:`pack_refs_if_loose`), so that no listing pays for them."""
    lines = ["start"]
    for u in updates:
        if u.new is None:
            lines.append(f"delete {u.ref}" + (f" {u.old}" if u.old else ""))
        elif u.old is None:
            lines.append(f"update {u.ref} {u.new}")
        else:
            lines.append(f"update {u.ref} {u.new} {u.old}")
    lines += ["prepare", "commit"]
    proc = run(root, ["update-ref", "--stdin"], input=("\n".join(lines) + "\n").encode(), check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise OperationFailed(
            "could not update refs: " + (msg[-1].removeprefix("fatal: ") if msg else "unknown error"),
            hint="another git command may be running; nothing was changed, try again",
        )
    pack_refs_if_loose(root)


def read_blobs(root: Path, specs: Sequence[str]) -> dict[str, bytes | None]:
    """``REV:PATH`` -> content (None when missing), in one ``cat-file --batch``."""
    if not specs:
        return {}
    data = "".join(f"{s}\n" for s in specs).encode()
    raw = run(root, ["cat-file", "--batch"], input=data).stdout
    result: dict[str, bytes | None] = {}
    pos = 0
    for spec in specs:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].decode()
        pos = end + 1
        parts = header.split()
        if len(parts) == 3 and parts[1] == "blob":
            size = int(parts[2])
            result[spec] = raw[pos : pos + size]
            pos += size + 1
        elif len(parts) == 3:  # another object type: skip its body
            pos += int(parts[2]) + 1
            result[spec] = None
        else:  # "<spec> missing"
            result[spec] = None
    return result


@dataclass(frozen=True)
class CommitInfo:
    commit: str
    parents: tuple[str, ...]
    date: str  # committer date, ISO 8601 strict
    committer: str
    subject: str


def first_parent_log(root: Path, tip: str) -> list[CommitInfo]:
    """The first-parent history of ``tip``, newest first."""
    fmt = "%H%x00%P%x00%cI%x00%cn <%ce>%x00%s%x00"
    raw = out(root, ["log", "--first-parent", f"--format={fmt}", "-z", tip, "--"])
    fields = raw.split("\0")
    commits = []
    for i in range(0, len(fields) - 5, 6):
        c, parents, date, who, subject = (f.lstrip("\n") for f in fields[i : i + 5])
        commits.append(CommitInfo(c, tuple(parents.split()), date, who, subject))
    return commits


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    proc = run(root, ["merge-base", "--is-ancestor", ancestor, descendant], check=False)
    return proc.returncode == 0


def remote_url(root: Path, remote: str) -> str | None:
    proc = run(root, ["remote", "get-url", "--", remote], check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def tree_names(root: Path, tree: str) -> list[str]:
    """The names of the entries of ``tree`` (``REV:FOLDER``), in one ``ls-tree``; [] when it
    does not exist."""
    proc = run(root, ["ls-tree", "-z", "--name-only", "--end-of-options", tree], check=False)
    if proc.returncode != 0:
        return []
    return [n.decode("utf-8", "surrogateescape") for n in proc.stdout.split(b"\0") if n]


LOOSE_TAGS_LIMIT = 1000


def pack_refs_if_loose(root: Path, limit: int = LOOSE_TAGS_LIMIT) -> bool:
    """Pack the refs when more than ``limit`` tags are loose files (as fast-import or many
    single registrations leave them until ``git gc``): every ref listing reads each loose
    file, so 10,000 of them cost a listing 0.2-2 s. Returns whether it packed. Packing is only
    an optimisation: when another git command holds the refs (``packed-refs.lock``), the
    tags stay loose until the next write.

    ``git pack-refs --all`` would prune the loose files itself, one ref transaction each
    (a new lock file per ref: a minute for 100,000 tags); instead git packs them without
    pruning (``--no-prune``, seconds) and :func:`packrefs.prune_loose_tags` removes each loose tag
    whose value the packed file now holds, under git's own per-ref lock."""
    common = common_dir(root)
    folder = common / "refs" / "tags"
    try:
        with os.scandir(folder) as entries:
            loose = sum(1 for _ in itertools.islice(entries, limit + 1))
    except OSError:
        return False
    if loose <= limit:
        return False
    if run(root, ["pack-refs", "--all", "--no-prune"], check=False).returncode != 0:
        return False
    packrefs.prune_loose_tags(common)
    return True
