"""llmgit.infra.git on real repositories: NUL-separated parsing of awkward names and messages,
batched reads, plumbing that never touches the index, and one sentence per failure."""

from __future__ import annotations

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
