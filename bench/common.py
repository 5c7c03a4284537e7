"""Shared benchmark machinery: an isolated environment, whole-process timing with repeats
(median, min, max), peak RSS and bytes read by the process tree, and Markdown tables.

Every figure is a whole process started from scratch, as a user or CI would start it:
``subprocess.Popen`` then ``os.wait4``, whose resource usage covers the child and every
descendant it waited for (peak RSS is the largest of them). Bytes read come from this
process's ``/proc/self/io``, which the kernel credits with the I/O of each reaped child tree.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MAIN = BENCH.parent
VENV_BIN = MAIN / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
LLMGIT = VENV_BIN / "llmgit"
DVC = VENV_BIN / "dvc"
PEERS = BENCH / ".venv-peers"
GTO = PEERS / "bin" / "gto"
GTO_VERSION = "1.10.1"  # the version the issue measured
MiB = 1 << 20
GiB = 1 << 30

IDENTITY = ("Bench Author", "bench@example.com")


# -- environment ----------------------------------------------------------------------
def make_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment: its own HOME and git config, a pinned identity, no analytics."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text(
            f"[user]\n\tname = {IDENTITY[0]}\n\temail = {IDENTITY[1]}\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
            "[gc]\n\tauto = 0\n"
        )
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": IDENTITY[0],
        "GIT_AUTHOR_EMAIL": IDENTITY[1],
        "GIT_COMMITTER_NAME": IDENTITY[0],
        "GIT_COMMITTER_EMAIL": IDENTITY[1],
        "DVC_NO_ANALYTICS": "1",
        "GTO_NO_ANALYTICS": "1",  # harmless where unsupported
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "COLUMNS": "200",
    }
    env.update(extra or {})
    return env


def git(root: Path, *args: str, env: Mapping[str, str] | None = None, input: bytes | None = None) -> str:
    """Run git for set-up work (not timed); raise with its stderr on failure."""
    proc = subprocess.run(["git", *args], cwd=root, env=env, input=input, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


def check(argv: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str]) -> str:
    """Run a set-up command (not timed); raise with its output on failure."""
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
    )
    if proc.returncode != 0:
        text = proc.stdout.decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({proc.returncode}): {text[-2000:]}")
    return proc.stdout.decode(errors="replace")


def rmtree(path: Path) -> None:
    """Remove a tree, including read-only files DVC leaves in its cache."""
    if not path.exists() and not path.is_symlink():
        return
    if path.is_file() or path.is_symlink():
        path.unlink()
        return

    def onerror(func, p, _exc):  # type: ignore[no-untyped-def]
        os.chmod(os.path.dirname(p), 0o755)
        os.chmod(p, 0o755) if os.path.isdir(p) else None
        func(p)

    shutil.rmtree(path, onerror=onerror)


def drop_repo(path: Path) -> None:
    rmtree(path)


# -- timing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    seconds: float
    maxrss_kb: int
    read_bytes: int  # rchar: bytes returned by read()-like calls in the whole process tree
    code: int
    disk_bytes: int = 0  # read_bytes: bytes the tree made the kernel fetch from storage


@dataclass
class Measure:
    label: str
    samples: list[Sample] = field(default_factory=list)
    error: str = ""
    stopped: float | None = None  # stopped at this many seconds: the figure is a lower bound

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.error

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def min(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def max(self) -> float:
        return max(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.maxrss_kb for s in self.samples) / 1024

    @property
    def read_median(self) -> float:
        return statistics.median(s.read_bytes for s in self.samples)

    @property
    def disk_median(self) -> float:
        return statistics.median(s.disk_bytes for s in self.samples)

    def cell(self, *, mem: bool = False, label: bool = True, read_of: int | None = None) -> str:
        head = f"`{self.label}` " if label and self.label else ""
        if not self.ok:
            return f"{head}FAILED: {self.error}" if self.error else f"{head}n/a"
        n = len(self.samples)
        if self.stopped is not None:
            return f"{head}**> {fmt_s(self.stopped)}** (stopped, n=1)"
        text = f"{head}**{fmt_s(self.median)}**"
        if n > 1:
            text += f" ({fmt_s(self.min, unit=False)}–{fmt_s(self.max, unit=False)}, n={n})"
        else:
            text += " (n=1)"
        if mem:
            text += f", peak {self.peak_mb:.0f} MB"
        if read_of:
            text += f", read {self.read_median / read_of:.2f}x"
            if any(s.disk_bytes for s in self.samples):
                text += f", from disk {self.disk_median / read_of:.2f}x"
        return text


def fmt_s(seconds: float, unit: bool = True) -> str:
    if seconds >= 100:
        text = f"{seconds:.0f}"
    elif seconds >= 10:
        text = f"{seconds:.1f}"
    elif seconds >= 1:
        text = f"{seconds:.2f}"
    else:
        text = f"{seconds:.3f}"
    return text + (" s" if unit else "")


def _io() -> tuple[int, int]:
    """(rchar, read_bytes) of this process and its reaped children."""
    found = {"rchar": 0, "read_bytes": 0}
    try:
        with open("/proc/self/io", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in found:
                    found[key] = int(value)
    except (OSError, ValueError):
        pass
    return found["rchar"], found["read_bytes"]


def drop_caches() -> bool:
    """Write dirty pages out and drop the page cache (root only), so the next run reads from
    storage; False where this machine does not allow it."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


TIME = Path("/usr/bin/time")


def run_once(
    argv: Sequence[str | Path], *, cwd: Path, env: Mapping[str, str], timeout: float | None = None, mem: bool = False
) -> tuple[Sample, str]:
    """One whole-process run: wall time, peak RSS of the tree, bytes read; stderr tail.

    With ``mem``, the command runs under GNU time when it is installed: a child forked from
    this (large) Python process inherits its peak RSS on exec, so only a small parent reports
    the command's own peak; without GNU time the figure is a bound from above.
    """
    program = Path(str(argv[0])).name
    rss_file = None
    if mem and TIME.exists():
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        argv = [str(TIME), "-f", "%M", "-o", rss_file, *map(str, argv)]
    with tempfile.TemporaryFile() as err:
        io_before, disk_before = _io()
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env=dict(env),
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        timer = threading.Timer(timeout, _kill_group, (proc.pid,)) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        io_after, disk_after = _io()
        read, disk = io_after - io_before, disk_after - disk_before
        if timer:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()
    maxrss = usage.ru_maxrss
    if rss_file is not None:
        try:
            maxrss = int(Path(rss_file).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    message = ""
    if proc.returncode != 0:
        message = tail[-1] if tail else f"exit {proc.returncode}"
        if len(message) > 160:  # long paths: keep the program and the reason
            message = f"{program}: …: {message.rsplit(': ', 1)[-1][-120:]}"
        if proc.returncode < 0:
            message = f"killed after {timeout:.0f} s" if timeout else f"signal {-proc.returncode}"
    return Sample(seconds, maxrss, read, proc.returncode, disk), message


def measure(
    label: str,
    argv: Sequence[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str],
    repeats: int,
    warmup: int = 0,
    setup: Callable[[], None] | None = None,
    teardown: Callable[[], None] | None = None,
    timeout: float | None = None,
    budget: float | None = None,
    ok_codes: tuple[int, ...] = (0,),
    mem: bool = False,
    sync: bool = False,
    cold: bool = False,
) -> Measure:
    """``repeats`` timed runs after ``warmup`` untimed ones; ``setup`` and ``teardown`` run
    around every run, outside the timing. A warm-up slower than 2 s counts as a timed run
    (nothing left to warm), and once the timed runs passed ``budget`` seconds no more start.
    A run stopped at ``timeout`` ends the measurement as a lower bound. With ``sync``, dirty
    pages are written out before each run (untimed), so no run pays for an earlier one's
    writes. With ``cold``, the page cache is dropped before each run (untimed), so every byte
    comes from storage; where that is not allowed the measure says so and has no samples."""
    m = Measure(label)
    spent = 0.0
    i = 0
    while len(m.samples) < repeats:
        if setup:
            setup()
        if sync:
            os.sync()
        if cold and not drop_caches():
            m.error = "cannot drop the page cache here (needs root)"
            return m
        sample, message = run_once(argv, cwd=cwd, env=env, timeout=timeout, mem=mem)
        if teardown:
            teardown()
        if timeout and sample.code < 0 and sample.seconds >= timeout:
            m.samples = [Sample(timeout, sample.maxrss_kb, sample.read_bytes, sample.code)]
            m.stopped = timeout
            log(f"    {label}: stopped at {timeout:.0f} s")
            return m
        if sample.code not in ok_codes:
            m.error = message or f"exit {sample.code}"
            log(f"    {label}: FAILED ({m.error})")
            return m
        if i >= warmup or sample.seconds > 2.0:
            m.samples.append(sample)
            spent += sample.seconds
        i += 1
        if budget is not None and spent >= budget:
            break
    log(f"    {label}: {fmt_s(m.median)} ({fmt_s(m.min, unit=False)}-{fmt_s(m.max, unit=False)}, n={len(m.samples)})")
    return m


def log(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# -- results --------------------------------------------------------------------------
@dataclass
class Row:
    case: str
    llmgit: Measure | None
    peer: list[Measure] = field(default_factory=list)
    floor: list[Measure] = field(default_factory=list)
    target: str = ""
    verdict: str = ""
    mem: bool = False
    read_of: int | None = None


@dataclass
class Verdict:
    target: str
    met: bool | None  # None: not applicable / not measurable here
    detail: str

    def line(self) -> str:
        state = {True: "MET", False: "MISSED", None: "N/A"}[self.met]
        return f"- **{state}** {self.target}: {self.detail}"


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        out = [f"### {self.title}", ""]
        if self.rows:
            out += ["| case | llmgit | peer | floor | target | verdict |", "| --- | --- | --- | --- | --- | --- |"]
            for r in self.rows:
                ll = r.llmgit.cell(mem=r.mem, read_of=r.read_of, label=False) if r.llmgit else "—"
                peer = "<br>".join(p.cell(mem=r.mem, read_of=r.read_of) for p in r.peer) or "—"
                floor = "<br>".join(f.cell(mem=r.mem, read_of=r.read_of) for f in r.floor) or "—"
                out.append(f"| {r.case} | {ll} | {peer} | {floor} | {r.target or '—'} | {r.verdict or '—'} |")
            out.append("")
        for n in self.notes:
            out.append(f"  - {n.strip()}" if n.startswith("  ") else f"- {n}")
        if self.notes:
            out.append("")
        out.append(f"_Section time: {fmt_s(self.seconds)}._")
        out.append("")
        return "\n".join(out)


def ratio(a: Measure | None, b: Measure | None) -> float | None:
    """median(a) / median(b), or None when either is missing."""
    if a is None or b is None or not a.ok or not b.ok or b.median == 0:
        return None
    return a.median / b.median


def under(m: Measure | None, limit: float) -> bool | None:
    return None if m is None or not m.ok else m.median <= limit
