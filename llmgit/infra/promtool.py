"""``promtool check rules`` on the rule groups of a rendered ``PrometheusRule``, when
``promtool`` is on PATH: it parses each rule's PromQL, which no schema can.

Its findings are mapped back to the manifest (``spec.groups[G].rules[R]``), so a report names
the place in the file that was rendered, not the temporary rules file promtool read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

PROMTOOL_TIMEOUT = 30.0
_PROMTOOL_RULE_RE = re.compile(r'(?:\d+:\d+: )?group "(?P<group>.*?)", rule (?P<rule>\d+), (?P<rest>.*)')


def promtool_path() -> str | None:
    """The ``promtool`` the checks run, or None when rule groups are checked by schema only."""
    return shutil.which("promtool")


def check_rules(doc: dict[str, Any], promtool: str) -> Iterator[tuple[str, str]]:
    """``(path in the document, message)`` for each finding of ``promtool check rules``."""
    groups = doc["spec"]["groups"]
    with tempfile.TemporaryDirectory(prefix="llmgit-promtool-") as tmp:
        rules = Path(tmp) / "rules.yaml"
        rules.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False), "utf-8")
        argv = [promtool, "check", "rules", str(rules)]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            yield "spec.groups", f"promtool check rules took over {PROMTOOL_TIMEOUT:g} s"
            return
        except OSError as e:
            yield "spec.groups", f"cannot run promtool: {e}"
            return
    if proc.returncode == 0:
        return
    names, reported = [g.get("name") for g in groups], False
    for line in (proc.stdout + "\n" + proc.stderr).splitlines():
        line = line.strip().replace(f"{rules}: ", "").replace(str(rules), "rules")
        if not line or line.startswith("Checking ") or line == "FAILED:":
            continue
        where, match = "spec.groups", _PROMTOOL_RULE_RE.fullmatch(line)
        if match and match["group"] in names:
            where = f"spec.groups[{names.index(match['group'])}].rules[{int(match['rule']) - 1}]"
            line = match["rest"]
        reported = True
        yield where, f"promtool check rules: {line}"
    if not reported:
        yield "spec.groups", f"promtool check rules: exit status {proc.returncode}"
