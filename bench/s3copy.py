"""The plain-S3 peer: what ``aws s3 cp --recursive`` does, with boto3's transfer manager
(10 concurrent requests as the AWS CLI; 50 MiB multipart chunks as s3fs, which DVC uses,
so the server does the same work per byte; downloads fetch each object whole, objects in
parallel).

    python bench/s3copy.py up   --endpoint URL s3://bucket/prefix FILE...
    python bench/s3copy.py down --endpoint URL s3://bucket/prefix DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager

MiB = 1 << 20


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("direction", choices=("up", "down"))
    p.add_argument("--endpoint", required=True)
    p.add_argument("--jobs", type=int, default=10)
    p.add_argument("--chunk", type=int, default=50, help="multipart chunk size in MiB (s3fs's, which DVC uses)")
    p.add_argument("url")
    p.add_argument("paths", nargs="+", type=Path)
    a = p.parse_args()
    bucket, _, prefix = a.url.removeprefix("s3://").partition("/")
    client = boto3.client("s3", endpoint_url=a.endpoint)
    if a.direction == "up":
        config = TransferConfig(
            max_concurrency=a.jobs, multipart_threshold=a.chunk * MiB, multipart_chunksize=a.chunk * MiB
        )
    else:  # one GET per object (no byte ranges), objects in parallel
        config = TransferConfig(max_concurrency=a.jobs, multipart_threshold=64 * 1024 * MiB)
    futures = []
    with create_transfer_manager(client, config) as manager:
        if a.direction == "up":
            for path in a.paths:
                futures.append(manager.upload(str(path), bucket, f"{prefix}/{path.name}"))
        else:
            dest = a.paths[0]
            dest.mkdir(parents=True, exist_ok=True)
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
            for page in pages:
                for obj in page.get("Contents", []):
                    target = dest / os.path.relpath(obj["Key"], prefix)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    futures.append(manager.download(bucket, obj["Key"], str(target)))
        for f in futures:
            f.result()
    return 0


if __name__ == "__main__":
    sys.exit(main())
