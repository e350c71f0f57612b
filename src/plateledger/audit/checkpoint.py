"""C2SP ``tlog-checkpoint`` (https://c2sp.org/tlog-checkpoint): a signed tree head.

The note text is the origin, the tree size in decimal, the base64 root hash, and
optional extension lines, each ending in a newline.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from plateledger.audit.errors import NoteError
from plateledger.audit.hashing import HASH_SIZE
from plateledger.audit.note import b64decode_strict, open_note

_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
MAX_TREE_SIZE = 2**63 - 1  # what a database's 64-bit integer and Go's tlog (int64) hold


def tree_size(text: str) -> int | None:
    """A tree size as C2SP writes it — ASCII decimal digits without leading zeros — up to
    ``2**63 - 1``, or None. (`str.isdigit` also takes ``²`` or ``٣``, and `int` refuses
    the first and reads the second.)"""
    if not _TREE_SIZE.fullmatch(text):
        return None
    size = int(text)
    return size if size <= MAX_TREE_SIZE else None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: which log (``origin``), how many entries, and the root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """Return the checkpoint note text (unsigned)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text; raise ``NoteError`` when it breaks the format."""
        if not text.endswith("\n"):
            raise NoteError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("checkpoint needs origin, size and root hash on non-empty lines")
        origin, size_text, root_b64, *extensions = lines
        size = tree_size(size_text)
        if size is None:
            raise NoteError(
                f"tree size `{size_text[:32]}` is not a decimal without leading zeros "
                "up to 2**63 - 1"
            )
        root_hash = b64decode_strict(root_b64)
        if len(root_hash) != HASH_SIZE:
            raise NoteError(f"root hash has {len(root_hash)} bytes, not {HASH_SIZE}")
        return cls(origin, size, root_hash, tuple(extensions))


def verify_checkpoint(note_text: str, verifier_key: str) -> Checkpoint:
    """Return the checkpoint in ``note_text`` once its signature by ``verifier_key`` verifies."""
    return Checkpoint.parse(open_note(note_text, verifier_key))
