"""The training environment a card records, read from where it is: a lock or requirements
file (``requirements.txt``, ``uv.lock``, ``poetry.lock``, a conda ``environment.yml``) or the
report a named training interpreter prints. Pure: bytes in, an :class:`Environment` out.

Every input is outside data: its size, its number of packages and the length of each name
and version are capped; a line or entry that is not a package is skipped, never guessed.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from llmgit.core import bounded
from llmgit.core.bounded import MIB, BoundError, Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover (Python 3.10)
    import tomli as tomllib

MAX_FILE_BYTES = 16 * MIB  # a uv.lock of a large project is a few MiB
MAX_REPORT_BYTES = 4 * MIB  # what a training interpreter prints
MAX_PACKAGES = 5000
MAX_NAME = 200
MAX_VERSION = 200
LIMITS = Limits(max_bytes=MAX_FILE_BYTES, max_depth=16, max_values=1_000_000, max_string=64 * 1024)

SOURCES = ("interpreter", "lockfile", "process", "llmgit")
FORMATS = ("requirements.txt", "uv.lock", "poetry.lock", "environment.yml")
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9!+._*<>=~,-]+$")
_REQ_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[<>=!~][^;#]*)?")


class EnvFileError(ValueError):
    """An environment file or report llmgit cannot read (one sentence)."""


@dataclass(frozen=True)
class Environment:
    """Where a version was trained, and where llmgit learned it."""

    source: str  # one of SOURCES
    origin: str = ""  # the interpreter's path or the file's name
    python: str | None = None
    packages: Mapping[str, str] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)  # platform, machine, format, sha256, gpu

    def to_card(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        if self.origin:
            out["from"] = self.origin
        out["python"] = self.python
        out.update(self.details)
        out["packages"] = dict(sorted(self.packages.items()))
        return out


def normalize_name(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _package(name: object, version: object) -> tuple[str, str] | None:
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    name, version = name.strip(), version.strip()
    if not (0 < len(name) <= MAX_NAME and _NAME_RE.match(name)):
        return None
    if not (0 < len(version) <= MAX_VERSION and _VERSION_RE.match(version)):
        return None
    return normalize_name(name), version


def _packages(pairs: list[tuple[object, object]], what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, version in pairs:
        pkg = _package(name, version)
        if pkg is not None:
            found[pkg[0]] = pkg[1]
        if len(found) > MAX_PACKAGES:
            raise EnvFileError(f"{what} lists more than {MAX_PACKAGES} packages")
    return found


def file_format(name: str) -> str | None:
    """The format of an environment file, from its name."""
    base = PurePath(name).name.lower()
    if base in ("uv.lock", "poetry.lock"):
        return base
    if base.endswith(".txt"):
        return "requirements.txt"
    if base.endswith((".yml", ".yaml")):
        return "environment.yml"
    return None


def _text(data: bytes, what: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise EnvFileError(f"{what} is {len(data)} bytes, above the limit of {MAX_FILE_BYTES}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(f"{what} is not UTF-8 text") from None


def _requirements(text: str, what: str) -> tuple[str | None, dict[str, str]]:
    pairs: list[tuple[object, object]] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or "://" in line or line.startswith((".", "/")):
            continue  # comments, options (-r, -e, --hash), URLs and paths
        m = _REQ_RE.match(line)
        if m is None:
            continue
        spec = (m.group("spec") or "").strip().rstrip("\\").strip()
        pinned = re.fullmatch(r"===?\s*([^\s,]+)", spec)
        pairs.append((m.group("name"), pinned.group(1) if pinned else (spec.replace(" ", "") or "*")))
    return None, _packages(pairs, what)


def _toml_lock(text: str, what: str, python_key: tuple[str, ...]) -> tuple[str | None, dict[str, str]]:
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as e:
        raise EnvFileError(f"{what} is not valid TOML: {str(e).splitlines()[0][:200]}") from None
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise EnvFileError(f"{what} has no [[package]] list")
    pairs = [(p.get("name"), p.get("version")) for p in packages if isinstance(p, dict)]
    node: Any = doc
    for key in python_key:
        node = node.get(key) if isinstance(node, dict) else None
    python = node if isinstance(node, str) and len(node) <= MAX_VERSION else None
    return python, _packages(pairs, what)


def _conda_spec(spec: str) -> tuple[str, str]:
    """``numpy=1.26.4=py311h...``, ``numpy==1.26.4``, ``conda-forge::numpy>=1.26`` -> (name, version)."""
    spec = spec.split("::", 1)[-1].strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", spec)
    if m is None:
        return "", ""
    name, rest = m.group(1), m.group(2).strip()
    if rest.startswith("=") and not rest.startswith("=="):
        return name, rest[1:].split("=", 1)[0]
    if rest.startswith("=="):
        return name, rest[2:].split("=", 1)[0]
    return name, rest.replace(" ", "") or "*"


def _conda(text: str, what: str) -> tuple[str | None, dict[str, str]]:
    try:
        doc = bounded.load_yaml(text, LIMITS, what)
    except BoundError as e:
        raise EnvFileError(str(e)) from None
    deps = doc.get("dependencies") if isinstance(doc, dict) else None
    if not isinstance(deps, list):
        raise EnvFileError(f"{what} has no 'dependencies' list")
    pairs: list[tuple[object, object]] = []
    python = None
    for dep in deps:
        if isinstance(dep, str):
            name, version = _conda_spec(dep)
            if name == "python":
                python = version if version != "*" else None
                continue
            pairs.append((name, version))
        elif isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            _, pip = _requirements("\n".join(str(p) for p in dep["pip"] if isinstance(p, str)), what)
            pairs.extend(pip.items())
    return python, _packages(pairs, what)


def parse_file(data: bytes, name: str) -> Environment:
    """The environment a lock, requirements or conda file describes (``name``: its path as given)."""
    what = f"environment file '{name}'"
    fmt = file_format(name)
    if fmt is None:
        raise EnvFileError(f"{what} is not a format llmgit reads ({', '.join(FORMATS)})")
    text = _text(data, what)
    if fmt == "uv.lock":
        python, packages = _toml_lock(text, what, ("requires-python",))
    elif fmt == "poetry.lock":
        python, packages = _toml_lock(text, what, ("metadata", "python-versions"))
    elif fmt == "environment.yml":
        python, packages = _conda(text, what)
    else:
        python, packages = _requirements(text, what)
    details = {"format": fmt, "sha256": hashlib.sha256(data).hexdigest()}
    return Environment("lockfile", PurePath(name).as_posix(), python, packages, details)


def parse_report(data: bytes, origin: str, source: str = "interpreter") -> Environment:
    """What :data:`REPORT_SCRIPT` printed (JSON), checked field by field."""
    what = f"the environment report of '{origin}'"
    if len(data) > MAX_REPORT_BYTES:
        raise EnvFileError(f"{what} is {len(data)} bytes, above the limit of {MAX_REPORT_BYTES}")
    try:
        doc = bounded.load_json(data, Limits(max_bytes=MAX_REPORT_BYTES, max_depth=4), what)
    except BoundError as e:
        raise EnvFileError(str(e)) from None
    if not isinstance(doc, dict):
        raise EnvFileError(f"{what} is not a JSON object")
    return from_report(doc, origin, source, what)


def from_report(doc: Mapping[str, Any], origin: str, source: str, what: str = "the environment") -> Environment:
    """An :class:`Environment` from a report's mapping (a child interpreter's, or this process's)."""
    raw = doc.get("packages")
    packages = _packages(list(raw.items()) if isinstance(raw, dict) else [], what)
    python = _short(doc.get("python"))
    details = {k: v for k in ("implementation", "platform", "machine") if (v := _short(doc.get(k))) is not None}
    return Environment(source, origin, python, packages, details)


def _short(value: object) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_NAME or bounded.has_control(value):
        return None
    return value


# run as ``INTERPRETER -I -c REPORT_SCRIPT``: the interpreter's own facts and installed
# distributions as one JSON line (nothing is imported but the standard library)
REPORT_SCRIPT = """\
import json, platform, sys
try:
    from importlib import metadata
    packages = {}
    for d in metadata.distributions():
        name = d.metadata["Name"]
        if name:
            packages[name] = d.version
except Exception:
    packages = {}
sys.stdout.write(json.dumps({"python": platform.python_version(), "implementation": sys.implementation.name,
    "platform": platform.platform(), "machine": platform.machine(), "packages": packages}))
"""
