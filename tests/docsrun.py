"""Run the commands the documentation shows.

Conventions, for every page under docs/:

- A fenced block marked ``console`` holds a session: lines starting with ``$ `` are commands
  (a trailing ``\\`` continues a command), the other lines are what it prints. A command
  ends in ``# exit N`` when it is expected to fail with that code (else 0). Printed
  ``error:`` and ``hint:`` lines must be exactly what the command writes (``...`` matches
  anything), so quoted messages cannot drift from the real ones.
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


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    argv: tuple[str, ...]
    exit_code: int
    messages: tuple[str, ...]  # the error:/hint: lines shown under it


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


def _words(text: str) -> dict[str, str]:
    return dict(w.split("=", 1) if "=" in w else (w, "") for w in shlex.split(text))


def _commands(body: str, first_line: int) -> list[Command]:
    out: list[Command] = []
    pending: list[str] = []
    start = 0
    for n, raw in enumerate(body.splitlines()):
        if pending:
            pending.append(raw.strip())
        elif raw.startswith("$ "):
            pending, start = [raw[2:].strip()], first_line + n
        else:
            if out and raw.startswith(("error:", "hint:")):
                c = out[-1]
                out[-1] = Command(c.line, c.text, c.argv, c.exit_code, (*c.messages, raw.rstrip()))
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
            page.steps.extend(_commands(body, line))
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
    check_messages(step, result)
    return result


def check_messages(step: Command, result: Outcome) -> None:
    """Every error:/hint: line the page shows is one the command wrote, in that order."""
    written = [line for line in result.err.splitlines() if line.startswith(("error:", "hint:"))]
    shown = list(step.messages)
    for expected in shown:
        pattern = re.compile(".*".join(re.escape(part) for part in expected.split("...")) + r"\Z")
        while written and not pattern.match(written[0]):
            written.pop(0)
        if not written:
            raise AssertionError(f"line {step.line}: '{step.text}' did not write {expected!r}; it wrote:\n{result.err}")
        written.pop(0)
