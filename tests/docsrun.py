"""Run the commands the documentation shows, and compare what they print with the page.

Conventions, for every page under docs/:

- A fenced block marked ``console`` holds a session: lines starting with ``$ `` are commands
  (a trailing ``\\`` continues a command), the other lines are what the command above them
  prints. A command ends in ``# exit N`` when it is expected to fail with that code (else 0).
- What a page shows under a command is what the command prints, all of it, in order. stdout
  and stderr are captured apart; each shown line must be the next not yet shown line of one of
  the two, so each stream keeps its own order while the page may put them together as a
  terminal would (pages show stderr's notes first, then stdout's result, as LLMGIT_DOCS_SHOW
  prints them). Where a line fits either stream, any reading that fits the whole output passes.
  Every printed line is shown, so a page can neither quote a line that drifted nor silently
  drop one; a command shown with no lines prints nothing.
- ``...`` inside a line matches any text within that line: commit ids, a path's hash, values
  of the machine that ran it (Python version, platform). A line that is only ``...`` says
  "more lines here": it matches any number of printed lines (none included) of either
  stream; it is the only way a page leaves output out (a long card or JSON document, say).
- Before comparing, trailing spaces go, and so do blank lines at the end of a command's
  output and of what the page shows; other blank lines count. Paths are shown as on Ada's
  machine: the run's home directory and the directory holding the repository are both
  ``/home/ada``, so the repository is ``/home/ada/experiments``. Commit dates are fixed
  (tests/conftest.py), so dates are shown as printed.
- Only ``llmgit`` and ``git`` run in a console block; other blocks are never run.
- A page whose console blocks run declares where, in an HTML comment (invisible on the site):
  ``<!-- docs-test: setup=repo|registry|demo -->``. The page's blocks run in order in one
  fresh repository. More comments prepare the next step the way a person would:
  ``<!-- docs-test: train seed=2 accuracy=0.75 loss=0.55 -->`` writes new weights and
  ``eval/metrics.json`` (a training run), and ``<!-- docs-test: file=observed.json -->``
  writes the next fenced block's text to that file.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from conftest import git, make_weights

from llmgit.cli.main import main

MODEL = "llama2-7b-alpaca"
SETUPS = ("repo", "registry", "demo")
FENCE = re.compile(r"^(```+|~~~+)[ \t]*([\w-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
DIRECTIVE = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->")
EXIT = re.compile(r"\s+#\s*exit\s+(\d+)\s*$")
COMMENT = re.compile(r"\s+#\s.*$")
GAP = "..."  # a shown line that is only this stands for any number of printed lines
HOME = "/home/ada"  # how pages show the run's home directory and the repository's parent


@dataclass(frozen=True)
class Shown:
    line: int  # in the page
    text: str


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    argv: tuple[str, ...]
    exit_code: int
    shown: tuple[Shown, ...]  # the lines the page shows under it


@dataclass(frozen=True)
class Directive:
    line: int
    words: dict[str, str]


@dataclass(frozen=True)
class FileBlock:
    line: int
    path: str
    text: str


@dataclass
class Page:
    path: Path
    setup: str | None
    steps: list[Command | Directive | FileBlock] = field(default_factory=list)
    console_blocks: int = 0
    problems: list[str] = field(default_factory=list)  # lines a console block shows under no command


def _words(text: str) -> dict[str, str]:
    return dict(w.split("=", 1) if "=" in w else (w, "") for w in shlex.split(text))


def _commands(body: str, first_line: int, problems: list[str]) -> list[Command]:
    out: list[Command] = []
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(body.splitlines()):
        if pending:
            pending.append(raw.strip())
        elif raw.startswith("$ "):
            pending, start = [raw[2:].strip()], first_line + n
        else:
            if not out:
                if raw.strip():
                    problems.append(f"line {first_line + n}: {raw!r} is shown under no command")
                continue
            c = out[-1]
            out[-1] = Command(c.line, c.text, c.argv, c.exit_code, (*c.shown, Shown(first_line + n, raw)))
            continue
        if pending[-1].endswith("\\"):
            pending[-1] = pending[-1][:-1].strip()
            continue
        text = " ".join(pending)
        pending = []
        m = EXIT.search(text)
        code = int(m.group(1)) if m else 0
        argv = tuple(shlex.split(COMMENT.sub("", EXIT.sub("", text))))
        out.append(Command(start, text, argv, code, ()))
    return out


def parse(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    events: list[tuple[int, object]] = []
    for m in DIRECTIVE.finditer(text):
        events.append((m.start(), Directive(text.count("\n", 0, m.start()) + 1, _words(m.group(1)))))
    for m in FENCE.finditer(text):
        events.append((m.start(), (m.group(2), m.group(3), text.count("\n", 0, m.start()) + 2)))
    page = Page(path, None)
    want_file: str | None = None
    for _, ev in sorted(events, key=lambda e: e[0]):
        if isinstance(ev, Directive):
            if "setup" in ev.words:
                page.setup = ev.words["setup"]
            elif "file" in ev.words:
                want_file = ev.words["file"]
            else:
                page.steps.append(ev)
            continue
        lang, body, line = ev  # type: ignore[misc]
        if want_file is not None:
            page.steps.append(FileBlock(line, want_file, body))
            want_file = None
        elif lang == "console":
            page.console_blocks += 1
            page.steps.extend(_commands(body, line, page.problems))
    return page


def llmgit_command_lines(path: Path) -> list[tuple[int, str, str]]:
    """(line, block language, text) of llmgit commands in blocks that are not run."""
    text = path.read_text(encoding="utf-8")
    found = []
    for m in FENCE.finditer(text):
        if m.group(2) in ("console", "text"):
            continue
        for n, line in enumerate(m.group(3).splitlines()):
            if re.match(r"^\s*(\$\s+)?llmgit\s", line):
                found.append((text.count("\n", 0, m.start()) + 2 + n, m.group(2), line.strip()))
    return found


# -- setups and steps --------------------------------------------------------------------------


def train(root: Path, seed: int, accuracy: float, loss: float) -> None:
    """What a training run leaves behind: new weights and an evaluation file."""
    make_weights(root / "out" / MODEL, seed=seed)
    (root / "eval").mkdir(exist_ok=True)
    (root / "eval" / "metrics.json").write_text(json.dumps({"eval": {"accuracy": accuracy, "loss": loss}}))


def setup(kind: str, root: Path) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("# training script\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "training code")
    train(root, 1, 0.712, 0.61)
    if kind == "repo":
        return
    run_llmgit(root, ("init",), 0)
    if kind == "registry":
        return
    for seed, acc, loss, rank, message, extra in (
        (1, 0.712, 0.61, 8, "LoRA r=8 on Alpaca", ("--version", "1.0.0")),
        (2, 0.748, 0.55, 16, "LoRA r=16, more steps", ("--bump", "minor")),
        (3, 0.751, 0.54, 16, "retrain with a fixed seed", ()),
    ):
        train(root, seed, acc, loss)
        run_llmgit(
            root,
            (
                "register",
                MODEL,
                "--weights",
                f"out/{MODEL}",
                "--metrics",
                "eval/metrics.json",
                "-p",
                "learning_rate=3e-4",
                "-p",
                f"lora_r={rank}",
                "--dataset",
                "tatsu-lab/alpaca",
                "--message",
                message,
                *extra,
            ),
            0,
        )


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_llmgit(root: Path, args: tuple[str, ...], expect: int) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(old)
    result = Outcome(code, out.getvalue(), err.getvalue())
    if code != expect:
        raise AssertionError(f"llmgit {shlex.join(args)} exited {code}, expected {expect}:\n{result.err}")
    return result


def run_step(root: Path, step: Command | Directive | FileBlock) -> Outcome | None:
    """Run one step; a command's output (as the page shows it) must be what the page shows."""
    result = execute(root, step)
    if isinstance(step, Command) and result is not None:
        compare(step, result)
    return result


def execute(root: Path, step: Command | Directive | FileBlock) -> Outcome | None:
    """Run one step; a command's output as the page shows it (paths as on Ada's machine)."""
    if isinstance(step, FileBlock):
        target = root / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(step.text, encoding="utf-8")
        return None
    if isinstance(step, Directive):
        w = step.words
        if "train" in w:
            train(root, int(w["seed"]), float(w["accuracy"]), float(w["loss"]))
            return None
        raise AssertionError(f"unknown docs-test directive {w}")
    program, *args = step.argv
    if program == "llmgit":
        result = run_llmgit(root, tuple(args), step.exit_code)
    elif program == "git":
        proc = subprocess.run(step.argv, cwd=root, capture_output=True, text=True, check=False)
        result = Outcome(proc.returncode, proc.stdout, proc.stderr)
        if proc.returncode != step.exit_code:
            raise AssertionError(f"{step.text} exited {proc.returncode}: {proc.stderr}")
    else:
        raise AssertionError(f"only llmgit and git run in a console block, not {program!r}")
    return as_shown(root, result)


def run_page(path: Path, workdir: Path, show: bool = False) -> list[tuple[Command, Outcome]]:
    """Run a page in a fresh repository ``workdir/experiments``; what each command printed,
    as the page shows it. Fails at the first command that exits or prints otherwise; ``show``
    prints each command's output as a page would show it first (handy when writing a page)."""
    page = parse(path)
    if page.problems:
        raise AssertionError("\n".join(page.problems))
    if page.setup not in SETUPS:
        raise AssertionError(f"{path.name}: setup={page.setup!r}, not one of {SETUPS}")
    root = workdir / "experiments"
    setup(page.setup, root)
    ran = []
    for step in page.steps:
        try:
            result = execute(root, step)
            if isinstance(step, Command) and result is not None:
                if show:
                    print(f"\n$ {step.text}  [{result.code}]\n{page_text(result)}", end="")
                compare(step, result)
                ran.append((step, result))
        except AssertionError as failed:
            raise AssertionError(f"{path.name}, {failed}") from None
    return ran


# -- comparing ---------------------------------------------------------------------------------


def as_shown(root: Path, result: Outcome) -> Outcome:
    """The output as a page shows it: the run's paths as on Ada's machine (see the top)."""
    places: dict[str, str] = {}
    for real in (root.parent, Path(os.environ.get("HOME", str(root.parent)))):
        for form in (real, real.resolve()):
            if len(form.parts) > 2:  # never a bare '/' or '/tmp'
                places[str(form)] = HOME

    def norm(text: str) -> str:
        for real in sorted(places, key=len, reverse=True):
            text = text.replace(real, places[real])
        return text

    return Outcome(result.code, norm(result.out), norm(result.err))


def _trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _pattern(shown: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in shown.split(GAP)))


def compare(step: Command, result: Outcome) -> None:
    """The lines the page shows under ``step`` are what it printed (the rules at the top).

    A search over (next stdout line, next stderr line) after each shown line, since a shown
    line may fit the next line of either stream; fails naming the first page line that no
    way of reading the output fits, or the printed lines the page leaves out."""
    out, err = _trimmed(result.out.splitlines()), _trimmed(result.err.splitlines())
    shown = list(step.shown)
    while shown and not shown[-1].text.strip():
        shown.pop()
    states = {(0, 0)}
    for s in shown:
        text = s.text.rstrip()
        if text.strip() == GAP:
            states = {
                (o, e)
                for o, e in itertools.product(range(len(out) + 1), range(len(err) + 1))
                if any(o0 <= o and e0 <= e for o0, e0 in states)
            }
            continue
        fits = _pattern(text).fullmatch
        after = {(o + 1, e) for o, e in states if o < len(out) and fits(out[o])}
        after |= {(o, e + 1) for o, e in states if e < len(err) and fits(err[e])}
        if not after:
            where = "after the lines above"
            if len(states) == 1:
                o, e = next(iter(states))
                where = f"there; its next lines were stdout {_next(out, o)} and stderr {_next(err, e)}"
            raise AssertionError(
                f"line {s.line}: the page shows {text!r} under '$ {step.text}' (line {step.line}), "
                f"but the command did not print that line {where}\n{_printed(out, err)}"
            )
        states = after
    if (len(out), len(err)) not in states:
        o, e = max(states, key=sum)
        left = [f"  stdout: {line}" for line in out[o:]] + [f"  stderr: {line}" for line in err[e:]]
        end = shown[-1].line if shown else step.line
        raise AssertionError(
            f"line {end}: the page does not show these lines '$ {step.text}' (line {step.line}) printed "
            f"(show them, or a line '{GAP}' where the page leaves output out):\n"
            + "\n".join(left)
            + f"\n{_printed(out, err)}"
        )


def _next(lines: list[str], at: int) -> str:
    return repr(lines[at]) if at < len(lines) else "(nothing more)"


def _printed(out: list[str], err: list[str]) -> str:
    return (
        "it printed, on stdout:\n"
        + "".join(f"  | {line}\n" for line in out)
        + "and on stderr:\n"
        + "".join(f"  | {line}\n" for line in err)
    )


def page_text(result: Outcome) -> str:
    """What a page would show for ``result``: stderr's lines, then stdout's."""
    return "".join(f"{line}\n" for line in _trimmed(result.err.splitlines()) + _trimmed(result.out.splitlines()))
