"""Files and flags a user passes in (metrics, params, cards, filters, guard's files, deploy's
``--out``) are bounded: each hostile input gets one ``error:`` line and exit 2, never a
traceback (exit 3) or a hang, and nothing changes.

Bombs and streams run in a child process under RLIMIT_AS 512 MiB and a time limit
(:func:`hostilekit.run_bounded`); the rest run in-process.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, make_weights, run_cli, snapshot
from hostilekit import Bounded, changed_outside, forge_tag, run_bounded, sandbox_state, summary_message

from llmgit.core import diff_format
from llmgit.core.compare import WeightsDiff, version_diff
from llmgit.core.config import Settings
from llmgit.core.metric_delta import MetricDelta, format_change, format_number
from llmgit.core.model import ModelVersion

M = "m"
STREAM_HINT = "hint: write it to a regular file first (cmd > file) and pass that file"
ALLOWED = ("repo/.git", "repo/.dvc/tmp")  # git's index refresh and DVC's scratch files (refs: snapshot)


@pytest.fixture
def reg(registry_repo: Path) -> Path:
    """One honest version ``m@v1.0.0`` (acc 0.5), and new weights ready to register."""
    make_weights(registry_repo / "w", seed=1)
    result = run_cli(registry_repo, "register", M, "-w", "w", "-M", "acc=0.5", "--description", "a" * 60)
    assert result.code == 0, result.err
    make_weights(registry_repo / "w", seed=2)
    return registry_repo


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def refused(r: Any, message: str, code: int = 2) -> None:
    """Exit ``code`` with exactly one ``error:`` line, ``message``, and no traceback."""
    assert r.code == code, (r.code, r.err)
    assert errors(r.err) == [f"error: {message}"], r.err
    assert "Traceback" not in r.err and "internal error" not in r.err
    if isinstance(r, Bounded):
        assert not r.timed_out


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels + 1):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


# -- 1. a YAML alias bomb in --params ---------------------------------------------------------


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "register"])
def test_alias_bomb_params_is_refused_by_dry_run_and_register(reg: Path, tmp_path: Path, dry_run: bool) -> None:
    bomb = write(tmp_path / "params.yaml", alias_bomb())
    before, files = snapshot(reg), sandbox_state(tmp_path)
    args = ["register", M, "-w", "w", "--params", str(bomb), *(["--dry-run"] if dry_run else [])]
    r = run_bounded(reg, *args)
    refused(r, f"params file '{bomb}' is malformed: YAML aliases (*name) are not accepted")
    assert snapshot(reg) == before
    assert changed_outside(files, sandbox_state(tmp_path), ALLOWED) == []


# -- 2. size and entry caps, configurable in llmgit.yaml --------------------------------------


def test_metrics_file_with_too_many_entries_is_refused(reg: Path, tmp_path: Path) -> None:
    many = write(tmp_path / "m.json", json.dumps({f"m{i}": i for i in range(10_001)}))
    before = snapshot(reg)
    r = run_cli(reg, "register", M, "-w", "w", "--metrics", str(many))
    refused(r, f"metrics file '{many}' holds more than 10000 metrics")
    assert "hint: the cap is a setting: limits.metrics_entries in llmgit.yaml (at most 10000)" in r.err
    assert snapshot(reg) == before


def test_metrics_file_over_one_mib_is_refused_before_parsing(reg: Path, tmp_path: Path) -> None:
    big = write(tmp_path / "m.json", json.dumps({f"metric_{i:07d}": 0.5 for i in range(60_000)}))
    size = big.stat().st_size
    r = run_bounded(reg, "register", M, "-w", "w", "--metrics", str(big), "--dry-run")
    refused(r, f"metrics file '{big}' is {size} bytes, above the limit of 1048576")
    assert "hint: the cap is a setting: limits.metrics_bytes in llmgit.yaml" in r.err


def test_params_entries_are_capped_too(reg: Path, tmp_path: Path) -> None:
    many = write(tmp_path / "p.yaml", "".join(f"p{i}: {i}\n" for i in range(10_001)))
    r = run_cli(reg, "register", M, "-w", "w", "--params", str(many), "--dry-run")
    refused(r, f"params file '{many}' holds more than 10000 params")


def _limits(repo: Path, **limits: object) -> None:
    path = repo / "llmgit.yaml"
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "limits": limits}))


def test_configured_limits_apply_where_files_are_read(reg: Path, tmp_path: Path) -> None:
    _limits(reg, metrics_entries=2, metrics_bytes=100, params_bytes=50, card_bytes=64)
    r = run_cli(reg, "register", M, "-w", "w", "-M", "a=1", "-M", "b=2", "-M", "c=3", "--dry-run")
    refused(r, "-M holds more than 2 metrics")
    metrics = write(
        tmp_path / "m.json",
        json.dumps({f"accuracy_on_the_benchmark_{n}": 0.123456789 for n in ("long", "longer")}, indent=2),
    )
    assert metrics.stat().st_size > 100
    r = run_cli(reg, "register", M, "-w", "w", "--metrics", str(metrics), "--dry-run")
    refused(r, f"metrics file '{metrics}' is {metrics.stat().st_size} bytes, above the limit of 100")
    params = write(tmp_path / "p.yaml", "learning_rate: 0.0003\noptimizer: adamw\nschedule: cosine\n")
    r = run_cli(reg, "register", M, "-w", "w", "--params", str(params), "--dry-run")
    refused(r, f"params file '{params}' is {params.stat().st_size} bytes, above the limit of 50")
    assert "hint: the cap is a setting: limits.params_bytes in llmgit.yaml" in r.err
    card = reg / "models" / M / "model_card.yaml"
    r = run_cli(reg, "card", "validate", M)
    refused(r, f"card file '{card}' is {card.stat().st_size} bytes, above the limit of 64")
    assert "hint: the cap is a setting: limits.card_bytes in llmgit.yaml" in r.err


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"metrics_bytes": 0}, "llmgit.yaml: limits.metrics_bytes must be a whole number from 1 to 67108864, not 0"),
        (
            {"metrics_entries": 20_000},
            "llmgit.yaml: limits.metrics_entries must be a whole number from 1 to 10000, not 20000",
        ),
        ({"card_bytes": "1MB"}, "llmgit.yaml: limits.card_bytes must be a whole number from 1 to 67108864, not '1MB'"),
        ({"metric_bytes": 5}, "llmgit.yaml: unknown limits setting 'metric_bytes'"),
    ],
    ids=["zero", "above-summary-cap", "text", "unknown"],
)
def test_bad_limits_settings_are_config_errors(reg: Path, limits: dict[str, object], message: str) -> None:
    _limits(reg, **limits)
    refused(run_cli(reg, "versions", M), message)


# -- 3. devices, FIFOs and process substitution -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["register", M, "-w", "w", "--metrics", "/dev/zero", "--dry-run"], "metrics file '/dev/zero' is a device"),
        (["register", M, "-w", "w", "--params", "/dev/zero"], "params file '/dev/zero' is a device"),
        (["card", "validate", "--file", "/dev/zero"], "card file '/dev/zero' is a device"),
        (
            ["guard", M, "--metric", "acc", "--threshold", "0.1", "--metrics-file", "/dev/zero"],
            "metrics file '/dev/zero' is a device",
        ),
        (["guard", M, "--source", "prometheus", "--counts-file", "/dev/zero"], "counts file '/dev/zero' is a device"),
    ],
    ids=["metrics", "params", "card", "guard-metrics", "guard-counts"],
)
def test_dev_zero_is_refused_unopened(reg: Path, args: list[str], message: str) -> None:
    before = snapshot(reg)
    r = run_bounded(reg, *args, timeout=30)
    refused(r, f"{message}, not a regular file")
    assert STREAM_HINT in r.err
    assert snapshot(reg) == before


@pytest.mark.parametrize("flag", ["--metrics", "--params"])
def test_a_fifo_like_process_substitution_is_refused_with_a_hint(reg: Path, tmp_path: Path, flag: str) -> None:
    fifo = tmp_path / "fd63"
    os.mkfifo(fifo)  # what <(cmd) passes as /dev/fd/63; nobody ever writes to this one
    r = run_bounded(reg, "register", M, "-w", "w", flag, str(fifo), "--dry-run", timeout=30)
    refused(r, f"{flag.lstrip('-')} file '{fifo}' is a pipe (FIFO), not a regular file")
    assert STREAM_HINT in r.err


def test_card_file_that_is_a_directory_or_too_big(reg: Path, tmp_path: Path) -> None:
    refused(
        run_cli(reg, "card", "validate", "--file", str(tmp_path)),
        f"card file '{tmp_path}' is a directory, not a regular file",
    )
    big = write(tmp_path / "card.yaml", b"description: " + b"a" * (1 << 20) + b"\n")
    r = run_cli(reg, "card", "validate", "--file", str(big))
    refused(r, f"card file '{big}' is {big.stat().st_size} bytes, above the limit of 1048576")


@pytest.mark.parametrize("target", ["directory", "fifo"])
def test_card_render_out_refuses_a_directory_or_a_pipe(reg: Path, tmp_path: Path, target: str) -> None:
    out = tmp_path / "out"
    if target == "directory":
        out.mkdir()
        message = f"'--out' names a directory, not a file: '{out}'"
    else:
        os.mkfifo(out)  # opening it to write would block until someone reads
        message = f"'--out' names a special file (a device or a pipe), not a regular file: '{out}'"
    r = run_bounded(reg, "card", "render", f"{M}@v1.0.0", "--out", str(out), timeout=30)
    refused(r, message)


# -- 4. nesting, names and values of metrics and params ---------------------------------------


def test_deeply_nested_json_metrics_is_one_line(reg: Path, tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000)
    refused(
        run_cli(reg, "register", M, "-w", "w", "--metrics", str(deep), "--dry-run"),
        f"metrics file '{deep}' is nested more than 15 levels deep",
    )
    yaml_deep = write(tmp_path / "deep.yaml", "- " * 5000 + "1\n")
    refused(
        run_cli(reg, "register", M, "-w", "w", "--params", str(yaml_deep), "--dry-run"),
        f"params file '{yaml_deep}' is nested more than 15 levels deep",
    )
    nested = write(tmp_path / "nested.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(
        run_cli(reg, "guard", M, "--metric", "acc", "--threshold", "0.1", "--metrics-file", str(nested)),
        f"metrics file '{nested}' is nested more than 15 levels deep",
    )
    refused(
        run_cli(reg, "guard", M, "--source", "prometheus", "--counts-file", str(deep)),
        f"counts file '{deep}' is nested more than 15 levels deep",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a\\nb": 1}', "metric name 'a\\x0ab' in metrics file '{f}' holds a control character"),
        ('{"\\u001b[2J": 1}', "metric name '\\x1b[2J' in metrics file '{f}' holds a control character"),
        ('{"": 1}', "a metric in metrics file '{f}' has an empty name"),
        (
            '{"' + "n" * 257 + '": 1}',
            "metric name '" + "n" * 60 + "\u2026' in metrics file '{f}' is longer than 256 characters",
        ),
        ('{"acc": 1e301}', "metrics file '{f}' has a number above 1e300 in magnitude"),
        ('{"acc": 1e999}', "metrics file '{f}' has a number that is not finite: inf"),
        ('{"acc": NaN}', "metrics file '{f}' has a number that is not finite: nan"),
        ('{"steps": 9223372036854775808}', "metrics file '{f}' has an integer outside -2^63..2^63"),
        ('{"steps": ' + "9" * 5000 + "}", "metrics file '{f}' has an integer of more than 4300 digits"),
        ('{"acc": "high"}', "metric 'acc' in metrics file '{f}' is not a finite number: 'high'"),
        ('{"acc": true}', "metric 'acc' in metrics file '{f}' is not a finite number: True"),
    ],
    ids=["newline", "escape", "empty", "long", "huge", "inf", "nan", "int64", "digits", "text", "bool"],
)
def test_metric_names_and_values_are_bounded(reg: Path, tmp_path: Path, content: str, message: str) -> None:
    f = write(tmp_path / "m.json", content)
    r = run_cli(reg, "register", M, "-w", "w", "--metrics", str(f), "--dry-run")
    refused(r, message.replace("{f}", str(f)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-M", "a\nc=1"], "metric name 'a\\x0ac' in -M holds a control character"),
        (["-M", "acc=1e308"], "metric 'acc' in -M is above 1e300 in magnitude: 1e+308"),
        (["-M", "acc=1e999"], "metric 'acc' in -M is not a finite number: '1e999'"),
        (
            ["-M", "n=99999999999999999999999"],
            "metric 'n' in -M is an integer outside -2^63..2^63: 99999999999999999999999",
        ),
        (["-p", "lr=" + "x" * 70_000], "param 'lr' in -p is longer than 65536 characters"),
        (["-p", "a\tb=1"], "param name 'a\\x09b' in -p holds a control character"),
        (
            ["-m", "x" * 70_000],
            "version m@v1.0.1 cannot be recorded: its summary's message is longer than 65536 characters",
        ),
    ],
    ids=["name-newline", "huge", "inf", "int64", "long-param", "param-tab", "long-message"],
)
def test_flags_are_bounded_like_files(reg: Path, args: list[str], message: str) -> None:
    before = snapshot(reg)
    refused(run_cli(reg, "register", M, "-w", "w", *args), message)
    assert snapshot(reg) == before


def test_params_file_values_are_plain_data(reg: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "p.yaml", "blob: !!binary aGVsbG8=\n")
    refused(
        run_cli(reg, "register", M, "-w", "w", "--params", str(f), "--dry-run"),
        f"param 'blob' in params file '{f}' is not plain data: b'hello'",
    )
    f = write(tmp_path / "p.yaml", "when: 2024-13-01\n")
    refused(
        run_cli(reg, "register", M, "-w", "w", "--params", str(f), "--dry-run"),
        f"params file '{f}' is malformed: a value YAML cannot read: month must be in 1..12",
    )
    f = write(tmp_path / "p.yaml", "started: 2024-05-01\nlayers: [[1, 2], [3]]\n")
    r = run_cli(reg, "register", M, "-w", "w", "--params", str(f), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["params"] == {"started": "2024-05-01", "layers": [[1, 2], [3]]}


def test_bump_auto_compares_a_deeply_nested_config_as_unparsable(reg: Path) -> None:
    """The previous version's config.json comes from the shared remote: nested 100,000 deep
    (or 2 MiB) it is unparsable, and ``--bump auto`` still proposes a version."""
    (reg / "w" / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    assert run_cli(reg, "register", M, "-w", "w").code == 0
    (reg / "w" / "config.json").write_text('{"layers": 2}')
    r = run_cli(reg, "register", M, "-w", "w", "--bump", "auto", "--dry-run")
    assert r.code == 0, r.err
    assert "Dry run: would register m@v" in r.err
    (reg / "w" / "config.json").write_text(" " * (2 << 20) + "{}")
    r = run_cli(reg, "register", M, "-w", "w", "--bump", "auto", "--dry-run")
    assert r.code == 0, r.err
    assert "note: config.json was not compared: config.json file" in r.err


def test_guard_metrics_file_names_versions_and_numbers(reg: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "obs.json", '{"not-a-version": {"acc": 0.5}}')
    args = ["guard", M, "--metric", "acc", "--threshold", "0.1", "--metrics-file", str(f)]
    refused(run_cli(reg, *args), f"metrics file '{f}' names 'not-a-version', which is not a version")
    write(f, '{"1.0.0": {"acc": "high"}}')
    refused(run_cli(reg, *args), f"metric 'acc' in metrics file '{f}' is not a finite number: 'high'")


# -- 5. filters: length, nesting and like patterns ----------------------------------------------


def test_search_with_5000_nested_parentheses(reg: Path) -> None:
    expr = "(" * 5000 + "name = 'm'" + ")" * 5000
    r = run_bounded(reg, "search", expr)
    refused(r, "filter syntax error at column 10001: the filter is longer than 10000 characters")


@pytest.mark.parametrize(
    ("expr", "column"),
    [("(" * 65 + "name = 'm'" + ")" * 65, 65), ("not " * 65 + "name = 'm'", 257)],
    ids=["parentheses", "not"],
)
def test_filter_nesting_is_capped_everywhere_filters_are_read(reg: Path, expr: str, column: int) -> None:
    message = f"filter syntax error at column {column}: the filter nests parentheses and 'not' more than 64 deep"
    refused(run_cli(reg, "search", expr), message)
    refused(run_cli(reg, "versions", M, "--filter", expr), message)
    ok = run_cli(reg, "search", "(" * 64 + "name = 'm'" + ")" * 64)
    assert ok.code == 0 and "1.0.0" in ok.out


def test_filter_number_with_thousands_of_digits(reg: Path) -> None:
    r = run_cli(reg, "search", "metrics.acc > " + "1" * 5000)
    refused(r, "filter syntax error at column 15: the number '11111111111111111111\u2026' has too many digits")


def test_like_pattern_cannot_backtrack_for_hours(reg: Path) -> None:
    """As a regex, ``%a`` nine times then ``%b`` takes hours on the 60-letter description."""
    r = run_bounded(reg, "search", "card.description like '" + "%a" * 9 + "%b'", timeout=30)
    assert r.code == 0 and not r.timed_out, r.err
    found = run_cli(reg, "search", "card.description like '" + "%a" * 9 + "%'")
    assert found.code == 0 and "1.0.0" in found.out


# -- 6. diff of huge or non-numeric metrics ----------------------------------------------------


def _forge_version(repo: Path, version: str, metrics: dict[str, Any], params: dict[str, Any] | None = None) -> None:
    target = git(repo, "rev-parse", f"{M}@v1.0.0^{{commit}}").strip()
    summary = {"name": M, "version": version, "metrics": metrics, "params": params or {}, "author": "x"}
    forge_tag(repo, f"{M}@v{version}", target, summary_message(M, version, summary))


def test_diff_of_forged_non_finite_or_non_numeric_metrics_is_exit_2(reg: Path) -> None:
    """The tag's summary is refused where it is read (its wording is :mod:`llmgit.core.summary`'s)."""
    _forge_version(reg, "2.0.0", {"acc": "high"})
    _forge_version(reg, "2.0.1", {"acc": 1e308})
    for fmt in ("table", "markdown", "json"):
        for a, b in ((f"{M}@v2.0.0", f"{M}@v1.0.0"), (f"{M}@v1.0.0", f"{M}@v2.0.1")):
            r = run_cli(reg, "diff", a, b, "-f", fmt)
            assert r.code == 2 and "Traceback" not in r.err, r.err
            bad = a if a != f"{M}@v1.0.0" else b
            [line] = errors(r.err)
            assert line.startswith(f"error: version tag {bad} is malformed: its summary's metrics.acc is not a finite")


def test_diff_of_extreme_valid_metrics(reg: Path) -> None:
    _forge_version(reg, "3.0.0", {"acc": 1e300, "loss": 1e-300, "n": 2**63 - 1}, {"s": "a|b\nc"})
    _forge_version(reg, "3.0.1", {"acc": -1e300, "loss": 1e300, "n": -(2**63) + 1}, {"s": 1e300})
    table = run_cli(reg, "diff", f"{M}@v3.0.0", f"{M}@v3.0.1")
    assert table.code == 0, table.err
    rows = {line.split("  ")[0]: line.split() for line in table.out.splitlines()}
    assert rows["acc (higher)"][2:] == ["1e+300", "-1e+300", "-2e+300", "(-200.0%)", "WORSE"]
    assert rows["loss (lower)"][2:] == ["1e-300", "1e+300", "+1e+300", "WORSE"]  # relative: inf, left out
    assert rows["n (higher)"][2:] == [str(2**63 - 1), str(-(2**63) + 1), "-1.845e+19", "(-200.0%)", "WORSE"]
    assert rows["s"] == ["s", "a|b\\x0ac", "1e+300"]  # one line per row
    md = run_cli(reg, "diff", f"{M}@v3.0.0", f"{M}@v3.0.1", "-f", "markdown")
    assert md.code == 0 and "| s | a\\|b c | 1e+300 |" in md.out  # a line break folds to a space
    data = json.loads(run_cli(reg, "diff", f"{M}@v3.0.0", f"{M}@v3.0.1", "-f", "json").out)
    loss = next(m for m in data["metrics"] if m["metric"] == "loss")
    assert loss["change"] == 1e300 and loss["relative"] is None and loss["verdict"] == "worse"


def _version(version: str, metrics: dict[str, Any], params: dict[str, Any] | None = None) -> ModelVersion:
    return ModelVersion(M, version, f"{M}@v{version}", "0" * 40, None, metrics, params or {})


@pytest.mark.parametrize(
    ("old", "new", "change", "verdict", "shown"),
    [
        (1e300, -1e300, -2e300, "worse", "-2e+300 (-200.0%)"),
        (1e308, -1e308, -math.inf, "worse", "-inf"),
        (-1e308, 1e308, math.inf, "better", "+inf"),
        (1e-300, 1e300, 1e300, "better", "+1e+300"),  # relative overflows: left out
        (math.inf, math.inf, None, "same", "same"),  # inf - inf is nan: no ordered change
        (math.nan, 0.5, None, "changed", "changed"),
        ("high", 0.5, None, "changed", "changed"),
        (True, 0.5, None, "changed", "changed"),
        (10**400, 1.0, -math.inf, "worse", "-inf"),  # int too large for a float
        (2**63 - 1, -(2**63) + 1, -(2**64) + 2, "worse", "-1.845e+19 (-200.0%)"),
    ],
    ids=[
        "1e300",
        "overflow-down",
        "overflow-up",
        "relative-overflow",
        "inf-inf",
        "nan",
        "text",
        "bool",
        "huge-int",
        "int64",
    ],
)
def test_metric_delta_is_total(old: Any, new: Any, change: Any, verdict: str, shown: str) -> None:
    d = MetricDelta("acc", old, new, "higher")
    got = d.change
    if change is None:
        assert got is None or (isinstance(got, float) and math.isnan(got))
    else:
        assert got == change
    assert d.verdict == verdict and format_change(d) == shown
    data = json.loads(json.dumps(d.to_json(), allow_nan=False))  # strict JSON: no inf or nan
    assert data["verdict"] == verdict
    diff = version_diff(
        _version("1.0.0", {"acc": old}),
        _version("1.0.1", {"acc": new}),
        None,
        None,
        WeightsDiff(None, None),
        Settings(),
    )
    assert "acc (higher)" in diff_format.text(diff) and "| acc (higher is better) |" in diff_format.markdown(diff)
    json.dumps(diff.to_json(), allow_nan=False, default=str)


def test_format_number_is_total() -> None:
    assert [format_number(v) for v in (None, 0.5, math.inf, -math.inf, math.nan, 7, 10**30, True, "x")] == [
        "-",
        "0.5",
        "inf",
        "-inf",
        "nan",
        "7",
        "1e+30",
        "True",
        "x",
    ]
    assert format_number(10**5000) == "2^16609+"
    assert diff_format.value_text([10**5000]) == "(list too large to show)"


# -- 7. deploy render --out naming a file -------------------------------------------------------


def test_deploy_render_out_naming_a_file(reg: Path, tmp_path: Path) -> None:
    assert run_cli(reg, "promote", f"{M}@v1.0.0", "--to", "production", "--direct", "--skip-staging").code == 0
    out = write(tmp_path / "x", "mine\n")
    before, files = snapshot(reg), sandbox_state(tmp_path)
    r = run_cli(reg, "deploy", "render", M, "--out", str(out))
    refused(r, f"'--out' names a file, not a directory: '{out}'")
    assert "hint: give a directory: the manifests are written into it (it is created if missing)" in r.err
    assert out.read_text() == "mine\n" and snapshot(reg) == before
    assert changed_outside(files, sandbox_state(tmp_path), ALLOWED) == []
    r = run_cli(reg, "deploy", "render", M, "--out", str(out / "sub"))
    refused(r, f"'--out' is under '{out}', which is a file, not a directory")
    (tmp_path / "d" / "inferenceservice.yaml").mkdir(parents=True)
    r = run_cli(reg, "deploy", "render", M, "--out", str(tmp_path / "d"))
    refused(
        r,
        f"'{tmp_path / 'd' / 'inferenceservice.yaml'}' exists and is not a regular file, so the manifest cannot replace it",
    )
    assert not (tmp_path / "d" / "prometheusrule.yaml").exists()
