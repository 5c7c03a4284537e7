"""Section 4, transfers: ``llmgit push`` / ``llmgit pull`` of a cached version to a local S3
server (moto, in this process) and to a local-directory remote, against boto3 transfers
(the ``aws s3 cp --recursive`` equivalent, ``bench/s3copy.py``) and ``cp``."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

from checkout import registered_repo
from common import BENCH, LLMGIT, PYTHON, GiB, Measure, MiB, Row, Section, Verdict, fmt_s, log, measure, ratio, rmtree
from weights import SHARDS

RATIO = 1.3
BUCKET = "bench"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _delete_prefix(client: Any, prefix: str) -> None:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    for page in pages:
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=BUCKET, Delete={"Objects": keys})


def _pair(
    sec: Section, what: str, push: Measure, pull: Measure, up: Measure, down: Measure, peer_name: str, target: bool
) -> None:
    for verb, mine, theirs in (("push", push, up), ("pull", pull, down)):
        r = ratio(mine, theirs)
        text = "n/a" if r is None else f"{r:.2f}x {peer_name}"
        if target:
            text = ("met" if r is not None and r <= RATIO else "**MISSED**") + f" ({text})"
            sec.verdicts.append(
                Verdict(
                    f"{verb} {'to' if verb == 'push' else 'from'} {what} within {RATIO}x of {peer_name}",
                    None if r is None else r <= RATIO,
                    f"llmgit {fmt_s(mine.median) if mine.ok else mine.error} vs {fmt_s(theirs.median) if theirs.ok else theirs.error}"
                    + (f" = {r:.2f}x" if r else ""),
                )
            )
        row = Row(
            f"`{verb} REF` ({what})",
            mine,
            [theirs] if target else [],
            [] if target else [theirs],
            f"<= {RATIO}x {peer_name}" if target else "— (floor shown)",
            text,
            mem=True,
        )
        sec.rows.append(row)


def run(env: dict[str, str], work: Path, quick: bool) -> Section:
    t0 = time.perf_counter()
    size = 256 * MiB if quick else 2 * GiB
    reps = 1 if quick else 2
    sec = Section("transfers", f"Transfers: push and pull of {size / GiB:g} GiB ({SHARDS} shards)")
    ref = "sharded@v1.0.0"

    # 1. a local-directory remote
    remote = work / "tr-dirremote"
    repo, objects = registered_repo(work, env, "tr-dir", str(remote), size)
    cache = repo / ".dvc" / "cache" / "files"
    push = measure(
        "llmgit push REF",
        [LLMGIT, "push", ref],
        cwd=repo,
        env=env,
        repeats=reps,
        mem=True,
        setup=lambda: rmtree(remote / "files"),
        sync=True,
    )
    pull = measure(
        "llmgit pull REF",
        [LLMGIT, "pull", ref],
        cwd=repo,
        env=env,
        repeats=reps,
        mem=True,
        setup=lambda: rmtree(cache),
        sync=True,
    )
    dest = work / "tr-cp"

    def fresh() -> None:
        rmtree(dest)
        dest.mkdir()

    remote_objects = sorted(p for p in (remote / "files").rglob("*") if p.is_file() and not p.name.endswith(".dir"))
    cp_up = measure(
        "cp (cache -> directory)",
        ["cp", *map(str, objects), str(dest)],
        cwd=work,
        env=env,
        repeats=reps,
        setup=fresh,
        mem=True,
        sync=True,
    )
    cp_down = measure(
        "cp (remote -> directory)",
        ["cp", *map(str, remote_objects), str(dest)],
        cwd=work,
        env=env,
        repeats=reps,
        setup=fresh,
        mem=True,
        sync=True,
    )
    rmtree(dest)
    _pair(sec, "local directory", push, pull, cp_up, cp_down, "cp", target=False)
    rmtree(repo)
    rmtree(remote)

    # 2. the local S3 server
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as e:
        sec.notes.append(f"S3 rows skipped: {e}")
        sec.seconds = time.perf_counter() - t0
        return sec
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3env = {**env, **CREDENTIALS}
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        repo, objects = registered_repo(work, s3env, "tr-s3", f"s3://{BUCKET}/dvc", size, endpoint=endpoint)
        cache = repo / ".dvc" / "cache" / "files"
        push = measure(
            "llmgit push REF",
            [LLMGIT, "push", ref],
            cwd=repo,
            env=s3env,
            repeats=reps,
            mem=True,
            setup=lambda: _delete_prefix(client, "dvc/"),
            budget=30.0,
        )
        pull = measure(
            "llmgit pull REF",
            [LLMGIT, "pull", ref],
            cwd=repo,
            env=s3env,
            repeats=reps,
            mem=True,
            setup=lambda: rmtree(cache),
        )
        _delete_prefix(client, "dvc/")
        s3copy = [PYTHON, BENCH / "s3copy.py"]
        up = measure(
            "boto3 upload (s3copy.py up, 10 threads)",
            [*s3copy, "up", "--endpoint", endpoint, f"s3://{BUCKET}/peer", *map(str, objects)],
            cwd=work,
            env=s3env,
            repeats=reps,
            mem=True,
            setup=lambda: _delete_prefix(client, "peer/"),
            budget=30.0,
        )
        if not up.ok:  # the download needs the objects there
            measure(
                "(upload once for the download)",
                [*s3copy, "up", "--endpoint", endpoint, f"s3://{BUCKET}/peer", *map(str, objects)],
                cwd=work,
                env=s3env,
                repeats=1,
            )
        down_dir = work / "tr-down"
        down = measure(
            "boto3 download (s3copy.py down, 10 threads, whole objects)",
            [*s3copy, "down", "--endpoint", endpoint, f"s3://{BUCKET}/peer", str(down_dir)],
            cwd=work,
            env=s3env,
            repeats=reps,
            mem=True,
            setup=lambda: rmtree(down_dir),
        )
        _delete_prefix(client, "peer/")
        rmtree(down_dir)
        _pair(sec, "S3 (moto)", push, pull, up, down, "boto3", target=True)
        rmtree(repo)
    finally:
        server.stop()
    sec.notes += [
        "S3 is moto's server on 127.0.0.1 inside the benchmark process (objects spill to temporary files "
        "above 16 MiB), one copy of the bytes at a time; both sides talk to the same server. The boto3 "
        "peer uses 10 concurrent requests (the AWS CLI's) and 50 MiB multipart chunks (s3fs's, which DVC "
        "uses: the server then does the same work per byte), and downloads whole objects, all files in "
        "parallel: moto re-reads a whole object for every ranged GET, which made 8 MiB range downloads "
        "several times slower than one GET of the same bytes and would flatter llmgit.",
        "`push` runs with the remote emptied first and `pull` with the local cache emptied first (untimed); "
        "`push REF` includes llmgit's verification that every object reached the remote.",
        "llmgit ran with its defaults: on S3, boto3's transfer manager with 10 requests in flight and "
        "50 MiB parts, whole objects on download (as the peer); on the directory remote, kernel copies, "
        "4 files at once. `--jobs N` (or the remote's `jobs` setting) changes the requests in flight.",
    ]
    log("  transfers done")
    sec.seconds = time.perf_counter() - t0
    return sec
