"""Forged Markdown: whoever registers a version chooses its params, its card and its file names;
``review`` (the pull-request body and the CI comment) and ``card render`` must show those values
as text, never as a heading, a checklist, an image, a link, a mention or an HTML comment that
hides the real failing check. Parsed with markdown-it-py (CommonMark with GFM tables)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import make_weights, run_cli
from markdown_it import MarkdownIt
from markdown_it.token import Token
from stagekit import ok

from llmgit.core import markdown as md
from llmgit.core.compare import FieldChange, FileChange, VersionDiff, WeightsDiff
from llmgit.core.metric_delta import MetricDelta
from llmgit.core.model import ModelVersion, WeightsInfo
from llmgit.stages.review import Check, ModelChange, render
from llmgit.store import cards

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
M = "chat-7b"
FORGED = "x\n\n## Checks\n- [x] all green\n<!--"
VALUES = {
    "note": FORGED,
    "owner": "@org/team",
    "badge": "![t](https://evil/p.png)",
    "pixel": "<img src=x>",
    "ticks": "a ``b` c",
    "link": "[click](https://evil/x) www.evil.com",
    "fold": "<details><summary>all green</summary>",
    "pipe": "a | b \\| c",
}
DESCRIPTION = "Tuned.\n\n# Forged heading\n<details><summary>all green</summary>\n@org/team"
CHECKS = ("version tag exists", "model card validates", "weights are on the DVC remote")
FORBIDDEN = {"html_block", "html_inline", "image", "link_open", "code_block", "fence", "hr", "blockquote_open"}


def inline_children(tokens: list[Token]) -> list[Token]:
    return [c for t in tokens if t.type == "inline" for c in t.children or []]


def plain(inline: Token) -> str:
    """An inline token's text as shown (code spans included, zero-width spaces dropped)."""
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).replace(md.ZWSP, "")


def headings(tokens: list[Token]) -> list[str]:
    return [plain(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"]


def shown_text(rendered: str) -> str:
    """What a reader sees: the HTML without tags, entities decoded, zero-width spaces dropped."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(md.ZWSP, "")


def assert_inert(source: str, expected_headings: list[str]) -> str:
    """No value made structure: only llmgit's headings (a ``...`` ending matches any rest),
    no HTML, image, link or mention; returns the rendered HTML."""
    tokens, rendered = PARSER.parse(source), PARSER.render(source)
    found = headings(tokens)
    assert len(found) == len(expected_headings), found
    for got, want in zip(found, expected_headings, strict=True):
        assert got.startswith(want.removesuffix("...")) if want.endswith("...") else got == want, found
    types = {t.type for t in tokens} | {c.type for c in inline_children(tokens)}
    assert not types & FORBIDDEN, types & FORBIDDEN
    for tag in ("<!--", "<img", "<a ", "<details", "<summary"):
        assert tag not in rendered
    for child in inline_children(tokens):
        if child.type == "text":
            assert not re.search(r"@[A-Za-z0-9]", child.content), child.content  # no @mention
            assert "://" not in child.content and "www." not in child.content  # no autolink
    return rendered


def assert_checklist_is_llmgits(source: str) -> None:
    """Every list item is a check llmgit made or a card change (its field in a code span)."""
    tokens = PARSER.parse(source)
    for i, t in enumerate(tokens):
        if t.type != "list_item_open":
            continue
        first = (tokens[i + 2].children or [])[0]
        if first.type == "code_inline" or first.content.startswith("... and "):
            continue
        check = re.match(r"\[[x ]\] (.+?)(?: \(|$)", first.content)
        assert check is not None and check.group(1) in CHECKS, first.content


# -- review of a real promotion -------------------------------------------------------------


@pytest.fixture
def forged_promotion(registry_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """v1.0.0 in production; v1.1.0, registered with forged params and card text, proposed
    for production in a pull request; its weights are not on the remote (a failing check).
    Returns the repository and the pull-request body file."""
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    ok(repo, "register", M, "-w", f"out/{M}", "-M", "accuracy=0.7", "-p", "lr=1")
    card_file = repo / "models" / M / "model_card.yaml"
    card = yaml.safe_load(card_file.read_text())
    card["limitations"] = [FORGED, "@org/team ![t](https://evil/p.png)"]
    card["license"] = "<img src=x> `mit`"
    card_file.write_text(yaml.safe_dump(card, sort_keys=False))
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"lr": 1, **VALUES}))
    make_weights(repo / "out" / M, seed=2)
    ok(
        repo,
        "register",
        M,
        "-w",
        f"out/{M}",
        "-M",
        "accuracy=0.8",
        "--params",
        str(params),
        "--description",
        DESCRIPTION,
        "--bump",
        "minor",
    )
    ok(repo, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging")
    out = ok(repo, "promote", f"{M}@v1.1.0", "--to", "production", "--pr", "--skip-staging")
    body = Path(re.search(r"pull-request body: (.+)", out).group(1).strip())  # type: ignore[union-attr]
    return repo, body


def test_forged_params_in_review_stay_text_and_the_failing_check_shows(forged_promotion: tuple[Path, Path]) -> None:
    repo, _ = forged_promotion
    result = run_cli(repo, "review", "--stage", "production", "--strict")
    assert result.code == 1 and "some review checks failed" in result.err
    review = result.out
    rendered = assert_inert(
        review,
        ["llmgit review: llmgit/promote/chat-7b-v1.1.0-to-production into stage/production", f"{M}: v1.0.0 -> v1.1.0"],
    )
    assert_checklist_is_llmgits(review)
    assert "<li>[ ] weights are on the DVC remote (" in rendered  # the real failing check, visible
    assert "<li>[x] all green" not in rendered
    shown = shown_text(rendered)
    for value in VALUES.values():
        assert md.one_line(value) in shown, value  # the value itself is still shown, as text
    assert "| note | - | x  \\#\\# Checks \\- \\[x\\] all green &lt;\\!\\-\\- |" in review


def test_the_pull_request_body_is_the_same_inert_review(forged_promotion: tuple[Path, Path]) -> None:
    repo, body = forged_promotion
    text = body.read_text()
    rendered = assert_inert(text, ["llmgit review: ...", f"{M}: v1.0.0 -> v1.1.0"])
    assert_checklist_is_llmgits(text)
    assert "<li>[ ] weights are on the DVC remote (" in rendered
    shown = shown_text(rendered)
    assert all(md.one_line(v) in shown for v in VALUES.values())


def test_forged_card_text_in_card_render_stays_text(forged_promotion: tuple[Path, Path]) -> None:
    repo, _ = forged_promotion
    out = ok(repo, "card", "render", f"{M}@v1.1.0")
    assert out.startswith("---\n")
    header, _, body = out[4:].partition("\n---\n")
    card = yaml.safe_load((repo / "models" / M / "model_card.yaml").read_text())
    assert yaml.safe_load(header) == cards.front_matter(card)  # the YAML header ends where llmgit ends it
    sections = ["Training", "Evaluation", "Resources", "Limitations", "Weights", "Provenance"]
    rendered = assert_inert(body, [f"{M} v1.1.0", *sections])
    shown = shown_text(rendered)
    assert "Tuned.\n# Forged heading\n<details><summary>all green</summary>\n@org/team" in shown
    assert md.one_line(FORGED) in shown and "@org/team ![t](https://evil/p.png)" in shown
    assert "<img src=x> `mit`" in shown


# -- every outside value in review, names included ---------------------------------------------

HOSTILE_NAME = "m<!--|@org/team"


def version(v: str, path: str) -> ModelVersion:
    return ModelVersion(HOSTILE_NAME, v, f"{HOSTILE_NAME}@v{v}", "0" * 40, WeightsInfo(path, "0" * 32, 10, 2, True))


def test_every_value_in_a_review_is_inert_names_and_file_names_included() -> None:
    old, new = version("1.0.0", "![p](https://evil/p.png)"), version("1.1.0", "<img src=x>")
    files = (
        FileChange("`weights`|<!--.bin", "changed", 1, 2),
        FileChange("@org/team.bin", "added", None, 3),
        FileChange("## Checks\n- [x] all green", "same", 4, 4),
    )
    diff = VersionDiff(
        old,
        new,
        (MetricDelta("acc\n## Checks", 0.7, 0.6, "higher"),),
        tuple(FieldChange(k, None, v) for k, v in VALUES.items()) + (FieldChange(FORGED, 1, 2),),
        (FieldChange("description`\n# x", "", FORGED),),
        WeightsDiff(old.weights, new.weights, files),
    )
    checks = (
        Check("version tag exists", True),
        Check("weights are on the DVC remote", False, f"1 of 2 file(s) missing: {FORGED}"),
    )
    change = ModelChange(HOSTILE_NAME, old, new, diff.metrics, diff.card, checks, diff)
    source = render("stage/production", "refs/heads/x`<!--\n# head", [change])
    rendered = assert_inert(
        source, ["llmgit review: refs/heads/x`<!-- # head into stage/production", f"{HOSTILE_NAME}: v1.0.0 -> v1.1.0"]
    )
    assert_checklist_is_llmgits(source)
    assert "<li>[ ] weights are on the DVC remote (1 of 2 file(s) missing: x  ## Checks" in html.unescape(rendered)
    shown = shown_text(rendered)
    for value in [*VALUES.values(), FORGED, "`weights`|<!--.bin", "@org/team.bin", HOSTILE_NAME]:
        assert md.one_line(value) in shown, value
    # a pipe in a value never splits a cell
    assert "<td><code>`weights`|&lt;!--.bin</code></td>\n<td>changed</td>" in rendered
    assert "<td>a | b \\| c</td>" in rendered


# -- model cards ------------------------------------------------------------------------------


def test_front_matter_values_cannot_end_the_yaml_header() -> None:
    card = {
        "name": "m",
        "version": "1.0.0",
        "license": "mit\n---\n# Forged\n...",
        "base_model": "---",
        "tags": ["a\n---\nb", "...", "<!--"],
        "training": {"dataset": "d\n---"},
        "performance": {"acc\n---": 0.5},
    }
    out = cards.render_markdown(card)
    header, sep, body = out.removeprefix("---\n").partition("\n---\n")
    assert sep and yaml.safe_load(header) == cards.front_matter(card)
    assert body.startswith("\n# m v1.0.0\n")
    assert_inert(body, ["m v1.0.0", "Training", "Evaluation", "Resources", "Limitations", "Weights", "Provenance"])


def test_a_card_with_fields_of_the_wrong_type_still_renders(registry_repo: Path) -> None:
    repo = registry_repo
    make_weights(repo / "out" / M, seed=1)
    ok(repo, "register", M, "-w", f"out/{M}")
    card_file = repo / "models" / M / "model_card.yaml"
    card = yaml.safe_load(card_file.read_text())
    card |= {"resources": [1, 2], "limitations": "one string", "tags": "t", "training": {"dataset": {"x": 1}, 5: "f"}}
    card_file.write_text(yaml.safe_dump(card))
    make_weights(repo / "out" / M, seed=2)
    ok(repo, "register", M, "-w", f"out/{M}")
    result = run_cli(repo, "card", "render", f"{M}@v1.0.1")
    assert result.code == 0, result.err
    body = result.out.removeprefix("---\n").partition("\n---\n")[2]
    rendered = assert_inert(
        body, [f"{M} v1.0.1", "Training", "Evaluation", "Resources", "Limitations", "Weights", "Provenance"]
    )
    assert "<h2>Limitations</h2>\n<p>None recorded.</p>" in rendered  # a string is not a list of them
