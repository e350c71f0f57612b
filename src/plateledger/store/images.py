"""Image crops on disk under the data directory, addressed by read id."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

_REF = re.compile(r"^local:([0-9a-f]{2})/([0-9a-f-]{36})\.(plate|overview)\.jpg$")


class ImageStore:
    """``<root>/<first two hex digits>/<read id>.<kind>.jpg``, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, read_id: uuid.UUID, kind: str, jpeg: bytes) -> str:
        """Store a JPEG durably; returns the reference kept on the read."""
        if kind not in ("plate", "overview"):
            raise ValueError(f"image kind `{kind}` must be plate or overview")
        name = f"{read_id.hex[:2]}/{read_id}.{kind}.jpg"
        path = self.root / name
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as handle:
            handle.write(jpeg)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
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
