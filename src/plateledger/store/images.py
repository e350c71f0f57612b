"""Image crops, addressed by read id: files under the data directory, or objects in an
S3-compatible bucket (`open_image_store`).

A crop is written once: ``put`` never replaces a stored crop (evidence does not change), so
a retry keeps the first; the purge deletes it with its read (`delete_images`). The server
writes a crop only for a read its key may add (see ``POST /v1/images``)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

KINDS = ("plate", "overview")


class CropStore(Protocol):
    """Where crops are kept: ``put`` returns the reference kept on the read (the same as
    ``ref``), ``get`` gives the bytes behind a reference it made (None for any other)."""

    def ref(self, read_id: uuid.UUID, kind: str) -> str: ...

    def put(self, read_id: uuid.UUID, kind: str, jpeg: bytes) -> str: ...

    def get(self, ref: str) -> bytes | None: ...

    def delete(self, read_id: uuid.UUID, kind: str) -> bool: ...

    def exists(self, read_id: uuid.UUID, kind: str) -> bool: ...


def delete_images(images: CropStore, read_ids: Iterable[uuid.UUID]) -> int:
    """Delete every crop stored for ``read_ids`` (both kinds); how many were there."""
    return sum(images.delete(read_id, kind) for read_id in read_ids for kind in KINDS)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"image kind `{kind}` must be plate or overview")

def _name(read_id: uuid.UUID, kind: str) -> str:
    _check_kind(kind)
    return f"{read_id.hex[:2]}/{read_id}.{kind}.jpg"


_REF = re.compile(r"^local:([0-9a-f]{2})/([0-9a-f-]{36})\.(plate|overview)\.jpg$")


class ImageStore:
    """``<root>/<first two hex digits>/<read id>.<kind>.jpg``, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def ref(self, read_id: uuid.UUID, kind: str) -> str:
        return f"local:{_name(read_id, kind)}"

    def put(self, read_id: uuid.UUID, kind: str, jpeg: bytes) -> str:
        """Store a JPEG durably, unless a crop is stored for this read and kind already
        (that one is kept); returns the reference kept on the read."""
        name = _name(read_id, kind)
        path = self.root / name
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(jpeg)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if a crop is there: never replaced
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return f"local:{name}"

    def get(self, ref: str) -> bytes | None:
        """The image behind a reference this store made, or None."""
        match = _REF.match(ref)
        if match is None:
            return None
        path = self.root / f"{match.group(1)}/{match.group(2)}.{match.group(3)}.jpg"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, read_id: uuid.UUID, kind: str) -> bool:
        """Whether a crop of this read and kind is stored."""
        return (self.root / _name(read_id, kind)).is_file()

    def delete(self, read_id: uuid.UUID, kind: str) -> bool:
        """Delete the crop of this read and kind (its read is purged); False if none."""
        try:
            (self.root / _name(read_id, kind)).unlink()
        except FileNotFoundError:
            return False
        return True


_S3_REF = re.compile(r"^s3:([0-9a-f]{2}/[0-9a-f-]{36}\.(?:plate|overview)\.jpg)$")


class S3ImageStore:
    """``s3://bucket/prefix``: one object per crop, ``<prefix>/<two hex>/<read id>.<kind>.jpg``.

    Credentials come from the usual AWS sources (environment, profile, instance role);
    ``endpoint`` points at any S3-compatible service (MinIO, Ceph, a cloud's own). A
    ``put`` returns only after the service acknowledged the object.
    """

    def __init__(self, bucket: str, prefix: str = "", *, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> S3ImageStore:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"images URL `{url}` must look like s3://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        import boto3  # only deployments that keep images in a bucket need it

        client = boto3.client(
            "s3", endpoint_url=query.get("endpoint"), region_name=query.get("region"),
        )
        return cls(parts.netloc, parts.path, client=client)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def ref(self, read_id: uuid.UUID, kind: str) -> str:
        return f"s3:{_name(read_id, kind)}"

    def put(self, read_id: uuid.UUID, kind: str, jpeg: bytes) -> str:
        """Store a JPEG unless a crop is stored for this read and kind already (a
        conditional write, ``If-None-Match: *``: that one is kept)."""
        name = _name(read_id, kind)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=jpeg,
                                   ContentType="image/jpeg", IfNoneMatch="*")
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "PreconditionFailed":
                raise
        return f"s3:{name}"

    def get(self, ref: str) -> bytes | None:
        match = _S3_REF.match(ref)
        if match is None:
            return None
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(match.group(1)))
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = answer["Body"].read()
        return data

    def exists(self, read_id: uuid.UUID, kind: str) -> bool:
        """Whether a crop of this read and kind is stored."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(_name(read_id, kind)))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, read_id: uuid.UUID, kind: str) -> bool:
        """Delete the crop of this read and kind; False if there was none."""
        if not self.exists(read_id, kind):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._key(_name(read_id, kind)))
        return True


def open_image_store(url: str | None, directory: Path) -> CropStore:
    """The bucket at ``url`` (``s3://…``), or files under ``directory``."""
    if url:
        return S3ImageStore.from_url(url)
    return ImageStore(directory)
