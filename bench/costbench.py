"""``llmgit cost`` and ``llmgit lifecycle plan`` at scale, beside ``llmgit models`` on the
same registry in the same run (1000 x 10 from bench/storedreg.py: real DVC ``.dir`` manifests
and sparse shard objects on a directory remote; ``--quick``: 100 x 10).

    .venv/bin/python bench/run.py --only cost

Targets (issue 17): on the directory remote, ``cost`` and ``lifecycle plan`` each under 2 s;
on S3 (moto_server, a real HTTP server on 127.0.0.1, in its own process) one listing pass and
no per-version request. The S3 requests are counted from moto_server's own request log (one
line per HTTP request it served), by kind: listing pages, object GETs, HEADs, other.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from common import LLMGIT, VENV_BIN, Measure, Row, Section, Verdict, fmt_s, log, measure, rmtree

LIMIT = 2.0  # s, on the directory remote
BUCKET = "llmgit-bench"
PREFIX = "weights"
# werkzeug's request log: '127.0.0.1 - - [date] "GET /bucket/key?query HTTP/1.1" 200 -'
_REQUEST = re.compile(r'"(GET|PUT|HEAD|POST|DELETE) (\S+) HTTP/[\d.]+" (\d+)')


@dataclass(frozen=True)
class Requests:
    listings: int  # ListObjectsV2 pages
    gets: int  # object GETs (a manifest read)
    heads: int
    other: int

    @property
    def total(self) -> int:
        return self.listings + self.gets + self.heads + self.other

    def text(self) -> str:
        return f"{self.total} request(s): {self.listings} listing page(s), {self.gets} GET, {self.heads} HEAD" + (
            f", {self.other} other" if self.other else ""
        )


def count(lines: list[str]) -> Requests:
    kinds: Counter[str] = Counter()
    for line in lines:
        found = _REQUEST.search(line)
        if not found:
            continue
        method, target = found[1], found[2]
        path, _, query = target.partition("?")
        if method == "GET" and "list-type=2" in query:
            kinds["list"] += 1
        elif method == "GET" and path.strip("/").count("/") >= 1:
            kinds["get"] += 1
        elif method == "HEAD":
            kinds["head"] += 1
        else:
            kinds["other"] += 1
    return Requests(kinds["list"], kinds["get"], kinds["head"], kinds["other"])


class MotoServer:
    """moto_server in its own process; every request it serves is a line of ``log``."""

    def __init__(self, work: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.log = work / "moto-requests.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self) -> list[str]:
        self._out.flush()
        return self.log.read_text(errors="replace").splitlines()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


def _upload(remote: Path, endpoint: str, env: dict[str, str]) -> int:
    """Every object of the directory remote into the bucket: manifests byte for byte, shards
    empty (their sizes do not change what is requested). The number of objects."""
    import boto3
    from botocore.config import Config

    c = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(max_pool_connections=16),
    )
    c.create_bucket(Bucket=BUCKET)
    objects = [p for p in (remote / "files" / "md5").glob("*/*") if p.is_file()]

    def put(p: Path) -> None:
        body = p.read_bytes() if p.name.endswith(".dir") else b""
        c.put_object(Bucket=BUCKET, Key=f"{PREFIX}/files/md5/{p.parent.name}/{p.name}", Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, objects))
    return len(objects)


def _s3_copy(repo: Path, dest: Path, endpoint: str) -> Path:
    """A copy of the registry whose DVC remote is the bucket (git history shared, nothing else)."""
    rmtree(dest)
    shutil.copytree(repo, dest, symlinks=True)
    config = dest / ".dvc" / "config"
    config.write_text(
        "[core]\n    analytics = False\n    remote = storage\n"
        f"['remote \"storage\"']\n    url = s3://{BUCKET}/{PREFIX}\n    endpointurl = {endpoint}\n",
        encoding="utf-8",
    )
    return dest


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    from storedreg import generate

    t_start = time.perf_counter()
    n, m = (100, 10) if quick else (1000, 10)
    sec = Section("cost", f"Storage cost and lifecycle plan: `llmgit cost`, `llmgit lifecycle plan` on {n} x {m}")
    log(f"  generating {n} x {m} with a directory remote ...")
    gen = generate(work / f"reg-cost-{n}x{m}", n, m, with_gto=False, env=env)
    repo = gen.repo
    remembered = repo / ".git" / "llmgit" / "cache" / "manifests.json"
    repeats = 3 if quick else 5

    models = measure("llmgit models", [LLMGIT, "models"], cwd=repo, env=env, repeats=repeats, warmup=1)
    cost = measure("llmgit cost", [LLMGIT, "cost"], cwd=repo, env=env, repeats=repeats, warmup=1)
    plan = measure("llmgit lifecycle plan", [LLMGIT, "lifecycle", "plan"], cwd=repo, env=env, repeats=repeats, warmup=1)
    first = measure(
        "llmgit cost (no remembered manifests)",
        [LLMGIT, "cost"],
        cwd=repo,
        env=env,
        repeats=max(2, repeats - 2),
        setup=lambda: remembered.unlink(missing_ok=True),
    )
    target = f"< {LIMIT:.0f} s"
    sec.rows += [
        Row("`cost`, directory remote", cost, floor=[models], target=target, verdict=_mark(cost)),
        Row("`lifecycle plan`, directory remote", plan, floor=[models], target=target, verdict=_mark(plan)),
        Row("`cost`, directory remote, first run (no `manifests.json`)", first, floor=[models], target="—"),
    ]
    sec.verdicts += [
        _verdict(f"`cost` on the directory remote < {LIMIT:.0f} s", cost),
        _verdict(f"`lifecycle plan` on the directory remote < {LIMIT:.0f} s", plan),
    ]

    s3_env = {
        **env,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret-not-a-credential",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    log("  starting moto_server and uploading the remote ...")
    server = MotoServer(work)
    try:
        stored = _upload(gen.remote, server.url, s3_env)
        s3_repo = _s3_copy(repo, work / f"reg-cost-{n}x{m}-s3", server.url)
        s3_remembered = s3_repo / ".git" / "llmgit" / "cache" / "manifests.json"
        s3_remembered.unlink(missing_ok=True)
        pages = -(-stored // 1000)  # ListObjectsV2 answers at most 1000 keys a page
        cases = [
            ("`cost`, S3, fresh clone (no `manifests.json`)", ["cost"], True),
            ("`cost`, S3", ["cost"], False),
            ("`lifecycle plan`, S3", ["lifecycle", "plan"], False),
        ]
        for case, args, fresh in cases:
            if not fresh and not s3_remembered.is_file():  # remember the manifests first (a fresh clone's first run)
                subprocess.run([str(LLMGIT), "cost"], cwd=s3_repo, env=s3_env, capture_output=True, check=False)
            before = len(server.lines())
            timed = measure(
                f"llmgit {' '.join(args)} (S3{', fresh' if fresh else ''})",
                [LLMGIT, *args],
                cwd=s3_repo,
                env=s3_env,
                repeats=1,
                setup=(lambda: s3_remembered.unlink(missing_ok=True)) if fresh else None,
            )
            asked = count(server.lines()[before:])
            per_version = asked.gets + asked.heads + asked.other
            met = timed.ok and asked.listings == pages and per_version == 0
            goal = f"{pages} listing page(s) (one pass), 0 per-version"
            sec.rows.append(
                Row(
                    f"{case}: {asked.text()}",
                    timed,
                    floor=[models],
                    target="— (one GET per manifest, once)" if fresh else goal,
                    verdict="" if fresh else ("MET" if met else "MISSED"),
                )
            )
            if not fresh:
                sec.verdicts.append(Verdict(f"{case}: one listing pass, 0 per-version requests", met, asked.text()))
    finally:
        server.stop()

    sec.notes.append(
        f"Registry from `bench/storedreg.py` ({n * m} versions, {stored} objects on the remote; each version a "
        f"`.dir` manifest of {8} shards, 6 shared by a model's versions). Timed runs follow one untimed run, so "
        "the manifests are remembered (`.git/llmgit/cache/manifests.json`) and the stage history too; the "
        "first-run row removes `manifests.json` before each run, so every manifest is read from the remote, "
        "parsed and checked again."
    )
    sec.notes.append(
        f"S3: moto_server {server.url} in its own process; requests counted from its request log. Shards are "
        f"stored empty on S3 (sizes do not change the requests); a listing page holds at most 1000 keys, so "
        f"one pass over {stored} objects is {pages} page(s). A fresh clone reads each version's `.dir` "
        f"manifest once (up to 10 GETs at a time), then remembers it; one already in the local DVC cache is never "
        "requested. The S3 times are mostly moto_server's own: on tens of thousands of keys it takes about a "
        "second per listing page (its log's timestamps); the targets there are the request counts."
    )
    sec.seconds = time.perf_counter() - t_start
    return sec


def _mark(m: Measure) -> str:
    if not m.ok:
        return "n/a"
    return "MET" if m.median < LIMIT else "MISSED"


def _verdict(target: str, m: Measure) -> Verdict:
    if not m.ok:
        return Verdict(target, None, m.error or "n/a")
    return Verdict(target, m.median < LIMIT, fmt_s(m.median))
