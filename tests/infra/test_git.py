"""llmgit.infra.git on real repositories: NUL-separated parsing of awkward names and messages,
batched reads, plumbing that never touches the index, and one sentence per failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import git

from llmgit.core.ident import Ident
from llmgit.core.plan import ZERO, RefUpdate
from llmgit.errors import NotARepository, OperationFailed
from llmgit.infra import git as g
from llmgit.infra import gitrefs

WHO = Ident("Ada Lovelace", "ada@example.com", 1_790_000_000, "+0200")


def test_toplevel_and_not_a_repository(repo: Path, tmp_path: Path) -> None:
    (repo / "sub").mkdir()
    assert g.toplevel(repo / "sub") == repo
    with pytest.raises(NotARepository, match="is not inside a git repository"):
        g.toplevel(tmp_path)
    with pytest.raises(NotARepository, match="does not exist"):
        g.toplevel(tmp_path / "missing")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(NotARepository, match="is not a directory"):
        g.toplevel(tmp_path / "a-file")


def test_tags_with_newlines_nul_free_messages_and_unicode_are_read_whole(repo: Path) -> None:
    head = g.rev_parse(repo, "HEAD")
    assert head is not None
    message = "subject: ü and \x1b[31m\n\nbody line 1\n\nbody line 2 with a trailing blank\n\n"
    tag = g.make_tag(repo, head, "m@v1.0.0", message, WHO)
    light = RefUpdate("refs/tags/light", head, ZERO)
    g.update_refs(repo, [RefUpdate("refs/tags/m@v1.0.0", tag, ZERO), light])
    records = {r.ref: r for r in gitrefs.list_tags(repo, ["refs/tags"])}
    annotated = records["refs/tags/m@v1.0.0"]
    assert annotated.commit == head and annotated.tag_object == tag
    assert annotated.contents == message
    assert annotated.tagger == "Ada Lovelace <ada@example.com>"
    assert annotated.date == "2026-09-21T16:13:20+02:00"
    assert records["refs/tags/light"] == gitrefs.TagRecord("refs/tags/light", "", head, "", "")


def test_update_refs_is_all_or_nothing(repo: Path) -> None:
    head = g.rev_parse(repo, "HEAD")
    assert head is not None
    before = git(repo, "for-each-ref")
    stale = "1" * 40
    with pytest.raises(OperationFailed, match="could not update refs"):
        g.update_refs(repo, [RefUpdate("refs/heads/new", head, ZERO), RefUpdate("refs/heads/main", head, stale)])
    assert git(repo, "for-each-ref") == before


def test_tree_with_and_commit_tree_leave_index_and_worktree_alone(repo: Path) -> None:
    (repo / "dirty.txt").write_text("not staged\n")
    index = git(repo, "ls-files", "-s")
    head = g.rev_parse(repo, "HEAD")
    blob = g.hash_object(repo, b"stage file\n")
    tree = g.tree_with(repo, head, {"stage.yaml": blob, "deep/er/x": blob})
    commit = g.commit_tree(repo, tree, [head] if head else [], "subject\n\nbody\n")
    assert git(repo, "ls-files", "-s") == index and (repo / "dirty.txt").read_text() == "not staged\n"
    assert git(repo, "show", f"{commit}:deep/er/x") == "stage file\n"
    assert g.read_blob(repo, commit, "README.md") == (repo / "README.md").read_bytes()
    assert g.read_blob(repo, commit, "missing") is None


def test_read_blobs_in_one_batch_with_missing_and_non_blob_specs(repo: Path) -> None:
    head = g.rev_parse(repo, "HEAD")
    payload = bytes(range(256)) * 3 + b"\n\nlast"  # binary, newlines inside
    blob = g.hash_object(repo, payload)
    tree = g.tree_with(repo, head, {"a.bin": blob})
    specs = [f"{tree}:a.bin", f"{tree}:nope", f"{tree}:", f"{tree}:a.bin"]
    found = g.read_blobs(repo, specs)
    assert found == {specs[0]: payload, specs[1]: None, specs[2]: None}
    assert g.blob_ids(repo, specs[:3]) == {specs[0]: blob, specs[1]: None, specs[2]: None}


def test_first_parent_log_keeps_subjects_with_separators(repo: Path) -> None:
    head = g.rev_parse(repo, "HEAD")
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    second = g.commit_tree(repo, tree, [head] if head else [], "a | b % c\n\nbody\n")
    log = g.first_parent_log(repo, second)
    assert [c.subject for c in log] == ["a | b % c", "initial"]
    assert log[0].parents == (head,) and log[1].parents == ()


def test_failures_are_one_sentence(repo: Path) -> None:
    with pytest.raises(OperationFailed) as e:
        g.out(repo, ["cat-file", "-p", "no-such-object"])
    assert e.value.message.startswith("git cat-file failed: ") and "\n" not in e.value.message


def _for_each_ref(repo: Path) -> list[gitrefs.TagRecord]:
    """The records as git itself formats them: one ``for-each-ref`` with the messages."""
    records = []
    for chunk in g.out(repo, ["for-each-ref", f"--format={gitrefs._TAG_FORMAT}", "refs/tags"]).split("\0\n"):
        if chunk:
            ref, otype, oid, peeled, date, tagger, contents = chunk.split("\0", 6)
            tag = otype == "tag"
            records.append(
                gitrefs.TagRecord(
                    ref,
                    oid if tag else "",
                    peeled if tag else oid,
                    date if tag else "",
                    contents.removesuffix("\0") if tag else "",
                    tagger.strip() if tag else "",
                )
            )
    return records


def _raw_tag(repo: Path, tag: str, body: bytes) -> None:
    oid = (
        subprocess.run(
            ["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"],
            cwd=repo,
            input=body,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "update-ref", f"refs/tags/{tag}", oid)


def test_tags_streamed_are_the_records_git_formats(repo: Path) -> None:
    """Each tag object read by ``cat-file --batch`` is the record ``for-each-ref`` gives:
    zones, empty and signed messages, bytes that are not UTF-8, a tag of a tag, lightweight
    tags, and taggers git reads its own way (no tagger, control characters, no email)."""
    head = g.rev_parse(repo, "HEAD")
    assert head is not None
    obj = f"object {head}\ntype commit\n".encode()
    plain = {
        "m@v1.0.0": b'tagger Ada Lovelace <ada@example.com> 1790000000 +0200\n\nm v1.0.0\n\n{"a": 1}\n',
        "m@v1.0.1": b"tagger Ada <ada@example.com> 1790000000 -0130\n\n",
        "m@v1.0.2": b"tagger Ada <ada@example.com> 1790000000 +0000\n",
        "m@v1.0.3": b"tagger Ada <ada@example.com> 1790000000 +0000\n\ns\n\n-----BEGIN PGP SIGNATURE-----\nx\n"
        b"-----END PGP SIGNATURE-----\n",
        "m@v1.0.4": b"tagger Ada <ada@example.com> 1790000000 +0000\n\nnot utf-8: \xff\xfe \xc3\n",
        "m@v1.0.5": b"\nno tagger\n",
        "m@v1.0.6": b"tagger Mallory\x1b]0;pwned\x07 <m@example.com> 1790000000 +0000\n\nx\n",
        "m@v1.0.7": b"tagger  Spaced  <s@example.com> 1790000000 +0000\n\nx\n",
        "m@v1.0.8": b"tagger No Email 1790000000 +0000\n\nx\n",
        "m@v1.0.9": b"tagger Far <f@example.com> 99999999999 +9999\n\nx\n",
    }
    for tag, rest in plain.items():
        head_lines, _, tail = rest.partition(b"\n")
        if head_lines.startswith(b"tagger"):
            _raw_tag(repo, tag, obj + f"tag {tag}\n".encode() + head_lines + b"\n" + tail)
        else:
            _raw_tag(repo, tag, obj + f"tag {tag}\n".encode() + rest)
    inner = g.rev_parse(repo, "refs/tags/m@v1.0.0")
    _raw_tag(repo, "outer", f"object {inner}\ntype tag\ntag outer\ntagger A <a@b> 1 +0000\n\nouter\n".encode())
    git(repo, "update-ref", "refs/tags/light", head)
    streamed = list(gitrefs.iter_tags(repo, ["refs/tags"]))
    assert streamed == _for_each_ref(repo)
    assert len(streamed) == len(plain) + 2 and streamed == gitrefs.list_tags(repo, ["refs/tags"])
    assert [r.ref for r in gitrefs.iter_tags(repo, ["refs/tags/m@v1.0.1*", "refs/tags/light"])] == [
        "refs/tags/light",
        "refs/tags/m@v1.0.1",
    ]


def test_a_failing_tag_listing_is_one_sentence(repo: Path) -> None:
    (repo / ".git" / "HEAD").write_text("not a ref\n")  # git refuses the repository
    with pytest.raises(OperationFailed) as e:
        list(gitrefs.iter_tags(repo, ["refs/tags"]))
    assert e.value.message.startswith("git for-each-ref failed: ") and "\n" not in e.value.message
