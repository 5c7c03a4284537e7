"""llmgit.core.stagefile: stage.yaml written directly and read back, validated with errors that
name the branch, and the one-model slice history reads."""

from __future__ import annotations

import pytest

from llmgit.core import stagefile
from llmgit.errors import StageFileError

# Round trips of generated stage files: tests/core/test_stagefile_properties.py


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "branch 'stage/production' has no stage.yaml"),
        ("models: [", "stage/production:stage.yaml is not valid YAML"),
        ("llmgit: 1\nstage: staging\nmodels: {}\n", "is not an llmgit stage file for 'production'"),
        ("llmgit: 1\nstage: production\nmodels: [1]\n", "'models' must be a mapping"),
        ("llmgit: 1\nstage: production\nmodels:\n  m: {version: 1.0.0}\n", "models.m: missing 'by'"),
        ("llmgit: 1\nstage: production\nmodels:\n  Bad: {}\n", "invalid model name 'Bad'"),
        (
            "llmgit: 1\nstage: production\nmodels:\n  m: {version: x, tag: t, commit: c, since: s, by: b}\n",
            "'x' is not a semantic version",
        ),
        (
            "llmgit: 1\nstage: production\nmodels:\n  m: {version: 1.0.0, tag: t, commit: abc, since: s, by: b}\n",
            "commit 'abc' is not a full commit id",
        ),
    ],
    ids=["missing", "yaml", "other-stage", "models-list", "missing-key", "bad-name", "bad-version", "short-commit"],
)
def test_bad_stage_files_name_the_branch_and_the_repair(text: str | None, message: str) -> None:
    with pytest.raises(StageFileError) as e:
        stagefile.parse(text, "production", "stage/production")
    assert message in e.value.message
    assert e.value.hint == "repair it with a commit on 'stage/production' (for example 'git revert' of the bad commit)"
