"""Every direct S3 call (boto3): object states, storage classes, restores, copies, deletes,
and uploads the server checks against their Content-MD5.

The client is built from the DVC remote's settings (endpoint, profile, region, and keys in
``.dvc/config.local`` when present); otherwise boto3's usual chain applies (environment,
AWS profiles, instance roles). Nothing here writes credentials anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from llmgit.core.paths import safe_relpath, show
from llmgit.errors import MissingBucket, OperationFailed, SkippedRecord, UsageError

STANDARD = "STANDARD"
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")  # need a restore before reading
CLASSES = ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
_DIGEST_CODES = ("BadDigest", "InvalidDigest")  # S3 refused a body that does not match its Content-MD5


@dataclass(frozen=True)
class Location:
    bucket: str
    prefix: str  # without leading or trailing '/'

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def parse_url(url: str) -> Location:
    if not url.startswith("s3://"):
        raise UsageError(f"'{url}' is not an s3:// URL")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise UsageError(f"'{url}' names no bucket")
    return Location(bucket, prefix.strip("/"))


@dataclass(frozen=True)
class ObjectState:
    key: str
    exists: bool
    size: int = 0
    storage_class: str = STANDARD
    restore: str | None = None  # the Restore header: ongoing-request="true"|"false", expiry

    @property
    def readable(self) -> bool:
        """Whether a GET would succeed now (archive classes need a finished restore)."""
        if not self.exists:
            return False
        if self.storage_class not in ARCHIVE_CLASSES:
            return True
        return bool(self.restore) and 'ongoing-request="false"' in (self.restore or "")

    @property
    def restore_state(self) -> str:
        if self.storage_class not in ARCHIVE_CLASSES:
            return "not needed"
        if not self.restore:
            return "not restored"
        return "in progress" if 'ongoing-request="true"' in self.restore else "restored"


def client(settings: dict[str, Any], pool: int = 10) -> Any:
    """A boto3 S3 client from DVC remote settings (endpointurl, profile, region, keys,
    connect_timeout and read_timeout in seconds); ``pool``: connections kept open."""
    import boto3  # noqa: PLC0415 (heavy third-party: loaded on use)
    from botocore.config import Config  # noqa: PLC0415 (heavy: with boto3)

    timeouts = {k: float(settings[k]) for k in ("connect_timeout", "read_timeout") if settings.get(k)}
    session = boto3.session.Session(profile_name=settings.get("profile"))
    return session.client(
        "s3",
        config=Config(max_pool_connections=max(10, pool), **timeouts),
        endpoint_url=settings.get("endpointurl"),
        region_name=settings.get("region"),
        aws_access_key_id=settings.get("access_key_id"),
        aws_secret_access_key=settings.get("secret_access_key"),
        aws_session_token=settings.get("session_token"),
    )


def error(action: str, key: str, exc: Exception) -> OperationFailed:
    code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "")
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = "check the S3 endpoint and your credentials (AWS_* variables or an AWS profile)"
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        hint = "the credentials were refused; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
    elif code == "NoSuchBucket":
        bucket = (getattr(exc, "response", None) or {}).get("Error", {}).get("BucketName") or "BUCKET"
        return MissingBucket(
            f"S3 {action} of '{key}' failed: {text}",
            hint=f"the bucket '{bucket}' does not exist, and llmgit creates one only when asked: "
            f"llmgit init --remote s3://{bucket}/PREFIX --create-bucket (with the same --endpoint-url), "
            "or create it with your S3 tools",
        )
    elif code in _DIGEST_CODES:
        hint = "the server received other bytes than were sent (damaged on the way); run the same command again"
    return OperationFailed(f"S3 {action} of '{key}' failed: {text}", hint=hint)


def ensure_bucket(c: Any, bucket: str) -> bool:
    """Create ``bucket`` unless it exists (in the client's region); whether it was created."""
    try:
        c.head_bucket(Bucket=bucket)
        return False
    except Exception as e:
        status = (getattr(e, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status != 404:
            raise error("check of the bucket", bucket, e) from None
    region = c.meta.region_name
    where = {} if region in (None, "us-east-1") else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        c.create_bucket(Bucket=bucket, **where)
    except Exception as e:
        if (getattr(e, "response", None) or {}).get("Error", {}).get("Code") == "BucketAlreadyOwnedByYou":
            return False
        raise error("creation of the bucket", bucket, e) from None
    return True


def head(c: Any, bucket: str, key: str) -> ObjectState:
    try:
        r = c.head_object(Bucket=bucket, Key=key)
    except Exception as e:
        status = (getattr(e, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or (getattr(e, "response", None) or {}).get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            return ObjectState(key, False)
        raise error("head", key, e) from None
    return ObjectState(key, True, int(r.get("ContentLength", 0)), r.get("StorageClass") or STANDARD, r.get("Restore"))


def get_bytes(c: Any, bucket: str, key: str) -> bytes | None:
    """A small object's content, or None when it does not exist."""
    try:
        return bytes(c.get_object(Bucket=bucket, Key=key)["Body"].read())
    except Exception as e:
        if (getattr(e, "response", None) or {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise error("download", key, e) from None


def list_objects(c: Any, loc: Location, sub: str = "") -> Iterator[ObjectState]:
    """Every object under the location (sizes and classes from the listing itself). Whoever
    writes to the bucket chooses its keys: one whose part below the location is not a plain
    relpath (``..``, ``//``, control characters) is skipped with a warning naming it."""
    prefix = loc.key(sub)
    prefix = prefix + "/" if prefix and not prefix.endswith("/") else prefix
    pages = iter(c.get_paginator("list_objects_v2").paginate(Bucket=loc.bucket, Prefix=prefix))
    while True:
        try:
            page = next(pages, None)
        except Exception as e:
            raise error("listing", f"s3://{loc.bucket}/{prefix}", e) from None
        if page is None:
            return
        for o in page.get("Contents", []):
            key = o.get("Key")
            if not isinstance(key, str) or not key.startswith(prefix) or not _plain(key[len(prefix) :]):
                skip_key(key, "its key is not a plain path below the remote's prefix")
                continue
            yield ObjectState(key, True, int(o.get("Size") or 0), o.get("StorageClass") or STANDARD)


def _plain(rest: str) -> bool:
    return safe_relpath(rest) == rest


def skip_key(key: object, why: str) -> None:
    """The warning for an object a listing leaves out: one line, naming it."""
    warnings.warn(
        SkippedRecord(
            f"skipped the S3 object {show(key, 200)}: {why}",
            hint="it is not an object llmgit stores; whoever wrote it to the bucket can remove it",
        ),
        stacklevel=3,
    )


def set_class(c: Any, bucket: str, key: str, storage_class: str) -> None:
    """Change an object's class in place (server-side copy onto itself; multipart when big)."""
    try:
        c.copy(
            {"Bucket": bucket, "Key": key},
            bucket,
            key,
            ExtraArgs={"StorageClass": storage_class, "MetadataDirective": "COPY"},
        )
    except Exception as e:
        raise error(f"tiering to {storage_class}", key, e) from None


def restore(c: Any, bucket: str, key: str, days: int) -> None:
    try:
        c.restore_object(
            Bucket=bucket, Key=key, RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": "Standard"}}
        )
    except Exception as e:
        if (getattr(e, "response", None) or {}).get("Error", {}).get("Code") == "RestoreAlreadyInProgress":
            return
        raise error("restore", key, e) from None


def copy(c: Any, src_bucket: str, src_key: str, bucket: str, key: str, metadata: dict[str, str]) -> None:
    try:
        c.copy(
            {"Bucket": src_bucket, "Key": src_key},
            bucket,
            key,
            ExtraArgs={"Metadata": metadata, "MetadataDirective": "REPLACE"},
        )
    except Exception as e:
        raise error("copy", f"s3://{bucket}/{key}", e) from None


def put(c: Any, bucket: str, key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
    try:
        c.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata or {})
    except Exception as e:
        raise error("upload", f"s3://{bucket}/{key}", e) from None


def metadata(c: Any, bucket: str, key: str) -> dict[str, str] | None:
    try:
        return dict(c.head_object(Bucket=bucket, Key=key).get("Metadata") or {})
    except Exception as e:
        if (getattr(e, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            return None
        raise error("head", key, e) from None


def delete(c: Any, bucket: str, keys: Iterable[str]) -> None:
    batch = list(keys)
    for i in range(0, len(batch), 1000):
        chunk = [{"Key": k} for k in batch[i : i + 1000]]
        try:
            r = c.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        except Exception as e:
            raise error("delete", chunk[0]["Key"], e) from None
        if r.get("Errors"):
            first = r["Errors"][0]
            raise OperationFailed(f"S3 delete of '{first.get('Key')}' failed: {first.get('Message')}")


def md5_of(c: Any, bucket: str, key: str, chunk: int = 8 << 20) -> str:
    """Download and hash an object (streamed; for ``verify --deep``)."""
    digest = hashlib.md5()
    try:
        body = c.get_object(Bucket=bucket, Key=key)["Body"]
        for block in iter(lambda: body.read(chunk), b""):
            digest.update(block)
    except Exception as e:
        raise error("download", key, e) from None
    return digest.hexdigest()


def content_md5(md5: str) -> str:
    """The Content-MD5 header for bytes whose md5 is ``md5`` (hex): base64 of the binary digest.
    S3 refuses a body that does not hash to it (``BadDigest``), so bytes altered between
    llmgit's read and the server's write are never stored."""
    return base64.b64encode(bytes.fromhex(md5)).decode("ascii")


def put_checked(c: Any, bucket: str, key: str, body: bytes | IO[bytes] | io.RawIOBase, md5: str) -> None:
    """Upload a whole object that the server stores only if ``body`` hashes to ``md5`` (hex)."""
    try:
        c.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=content_md5(md5))
    except Exception as e:
        raise error("upload", key, e) from None


def start_multipart(c: Any, bucket: str, key: str) -> str:
    """Start a multipart upload; returns its upload id."""
    try:
        return str(c.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    except Exception as e:
        raise error("upload", key, e) from None


def upload_part(
    c: Any, bucket: str, key: str, upload_id: str, number: int, body: bytes | IO[bytes] | io.RawIOBase, md5: str
) -> str:
    """Upload part ``number`` (from 1), stored only if ``body`` hashes to ``md5`` (hex); returns its ETag."""
    try:
        r = c.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body, ContentMD5=content_md5(md5)
        )
    except Exception as e:
        raise error(f"upload (part {number})", key, e) from None
    return str(r["ETag"])


def complete_multipart(c: Any, bucket: str, key: str, upload_id: str, etags: Sequence[str]) -> None:
    """Join the uploaded parts (their ETags in part order) into the object."""
    parts = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    try:
        c.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    except Exception as e:
        raise error("upload", key, e) from None


def abort_multipart(c: Any, bucket: str, key: str, upload_id: str) -> None:
    """Drop a multipart upload and its parts (after a failure: the failure is what gets reported,
    so an abort that fails too is let go; a bucket lifecycle rule can clear what it leaves)."""
    try:
        c.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except Exception:  # best effort after another error, which is the one raised
        pass
