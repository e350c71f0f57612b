"""C2SP ``tlog-tiles`` (https://c2sp.org/tlog-tiles): the log as static hash tiles.

A tile at level ``L`` and index ``N`` holds up to 256 consecutive hashes of tree level
``8 * L``: those of the nodes ``N * 256 ...``, each the perfect subtree of ``256 ** L``
leaves. A full tile has 256 hashes and never changes; the partial tile of width ``W``
(1..255) holds the first ``W`` of them, as far as the tree has grown. Paths are
``tile/<L>/<N>[.p/<W>]`` with ``N`` written in groups of three digits, each group but
the last prefixed with ``x`` (``1234067`` is ``x001/x234/067``), exactly as Go's
``golang.org/x/mod/sumdb/tlog`` writes them (without its height element).

``TileLog`` is a client of such a log: it reads the checkpoint and the hash tiles and
computes any proof from them, so a witness needs nothing of a log but its tiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from plateledger.audit.compact import Node, fold, node_id, subtrees
from plateledger.audit.errors import AuditError, LogRangeError, TamperedLogError
from plateledger.audit.hashing import HASH_SIZE, leaf_hash, node_hash
from plateledger.audit.log import AuditLog
from plateledger.audit.proof import consistency_ranges, inclusion_ranges
from plateledger.audit.schema import audit_entries, audit_nodes

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_BYTES = 0xFFFF  # an entry bundle prefixes each entry with a 16-bit length

_INDEX_PART = re.compile(r"x\d{3}")


@dataclass(frozen=True, slots=True)
class Tile:
    """Tile coordinates: ``level`` (``-1`` for an entry bundle), ``index`` and ``width``."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def path(self) -> str:
        """Return ``tile/<L>/<N>[.p/<W>]`` (``tile/entries/...`` for an entry bundle)."""
        n = self.index
        text = f"{n % 1000:03d}"
        while n >= 1000:
            n //= 1000
            text = f"x{n % 1000:03d}/{text}"
        level = "entries" if self.level == -1 else str(self.level)
        partial = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"tile/{level}/{text}{partial}"

    @property
    def first(self) -> int:
        """Index, at the tile's tree level, of its first hash."""
        return self.index * TILE_WIDTH


def parse_tile_path(path: str) -> Tile:
    """Parse ``tile/...`` (with or without the leading ``tile/``); only the canonical
    spelling is accepted, so each tile has exactly one path."""
    text = path.removeprefix("/").removeprefix("tile/")
    width = TILE_WIDTH
    if ".p/" in text:
        text, _, width_text = text.partition(".p/")
        digits = width_text.isascii() and width_text.isdigit()  # `²` is a digit to isdigit
        if not digits or not 1 <= int(width_text) < TILE_WIDTH:
            raise LogRangeError(f"tile width `{width_text}` is not between 1 and 255")
        width = int(width_text)
    parts = text.split("/")
    if len(parts) < 2:
        raise LogRangeError(f"`{path}` is not a tile path")
    level_text, *groups = parts
    if level_text == "entries":
        level = -1
    elif (level_text.isascii() and level_text.isdigit() and level_text == str(int(level_text))
          and int(level_text) < 64):
        level = int(level_text)
    else:
        raise LogRangeError(f"tile level `{level_text}` is not 0..63 or `entries`")
    if not all(_INDEX_PART.fullmatch(g) for g in groups[:-1]) or not (
        len(groups[-1]) == 3 and groups[-1].isascii() and groups[-1].isdigit()
    ):
        raise LogRangeError(f"tile index `{'/'.join(groups)}` is not in `x001/x234/067` form")
    index = 0
    for group in groups:
        index = index * 1000 + int(group.removeprefix("x"))
    tile = Tile(level, index, width)
    if tile.path() != "tile/" + path.removeprefix("/").removeprefix("tile/"):
        raise LogRangeError(f"`{path}` is not the canonical path of its tile")
    return tile


def tile_for(level: int, index: int, size: int) -> Tile:
    """Return the tile holding hash ``index`` of tiled level ``level`` in a tree of ``size``,
    as wide as that tree makes it."""
    count = size >> (TILE_HEIGHT * level)  # complete hashes at that tree level
    tile_index = index // TILE_WIDTH
    return Tile(level, tile_index, min(TILE_WIDTH, count - tile_index * TILE_WIDTH))


# -- serving ---------------------------------------------------------------------


def read_tile(log: AuditLog, tile: Tile) -> bytes:
    """Return the ``tile.width`` hashes of a hash tile, concatenated (32 bytes each).

    Raises ``LogRangeError`` if the log has not (yet) grown to fill it, and
    ``TamperedLogError`` if a leaf's stored content does not hash to its stored leaf.
    """
    if tile.level < 0:
        raise LogRangeError("entry bundles are not hash tiles")
    tree_level = TILE_HEIGHT * tile.level
    last = tile.first + tile.width  # exclusive, at tree level `tree_level`
    if (last << tree_level) > log.size():
        raise LogRangeError(f"`{tile.path()}` is beyond the tree of size {log.size()}")
    with log.engine.connect() as conn:
        if tree_level == 0:
            rows = conn.execute(
                select(audit_entries.c.log_index, audit_entries.c.entry, audit_entries.c.leaf_hash)
                .where(audit_entries.c.log_index >= tile.first, audit_entries.c.log_index < last)
                .order_by(audit_entries.c.log_index)
            ).all()
            found = {}
            for row in rows:
                if leaf_hash(bytes(row.entry)) != bytes(row.leaf_hash):
                    raise TamperedLogError(
                        f"audit log entry {row.log_index}: content does not match its leaf hash"
                    )
                found[int(row.log_index)] = bytes(row.leaf_hash)
            hashes = [found.get(i) for i in range(tile.first, last)]
        else:
            keys = [node_id(tree_level, i) for i in range(tile.first, last)]
            nodes = conn.execute(
                select(audit_nodes.c.node_id, audit_nodes.c.hash).where(
                    audit_nodes.c.node_id.in_(keys)
                )
            ).all()
            stored = {int(row.node_id): bytes(row.hash) for row in nodes}
            hashes = [stored.get(key) for key in keys]
    if any(h is None for h in hashes):
        raise AuditError(f"stored tree lacks a hash of `{tile.path()}`")
    return b"".join(h for h in hashes if h is not None)


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Return entries as a tlog-tiles entry bundle: each as a big-endian 16-bit length
    followed by its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise LogRangeError(f"entry of {len(entry)} bytes is too long for a bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def split_entry_bundle(bundle: bytes) -> list[bytes]:
    """Return the entries of an entry bundle; raise ``LogRangeError`` if it is malformed."""
    entries, at = [], 0
    while at < len(bundle):
        if at + 2 > len(bundle):
            raise LogRangeError("entry bundle ends inside a length prefix")
        length = int.from_bytes(bundle[at : at + 2], "big")
        if at + 2 + length > len(bundle):
            raise LogRangeError("entry bundle ends inside an entry")
        entries.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


# -- reading a tiled log -----------------------------------------------------------


class TileLog:
    """A tlog-tiles log at ``prefix`` (the URL whose ``/checkpoint`` and ``/tile/...`` it
    serves): the current checkpoint, and proofs computed from its hash tiles.

    Tiles fetched here are not trusted on their own: every proof computed from them is
    verified against signed roots by the caller, which is where a bad tile shows.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._tiles: dict[Tile, bytes] = {}

    @classmethod
    def connect(cls, prefix: str, *, timeout: float = 30.0) -> TileLog:
        return cls(httpx.Client(base_url=prefix.rstrip("/") + "/", timeout=timeout))

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str) -> bytes:
        try:
            response = self._client.get(path)
        except httpx.HTTPError as exc:
            raise AuditError(f"cannot reach the log: {exc}") from exc
        if response.status_code != 200:
            raise AuditError(f"`GET {path}` answered {response.status_code}: "
                             f"{response.text[:200]}")  # fmt: skip
        return response.content

    def checkpoint(self) -> str:
        """Return the log's current checkpoint note (with any cosignatures)."""
        return self._get("checkpoint").decode()

    def tile(self, tile: Tile) -> bytes:
        """Return the hashes of ``tile``, fetched once per client."""
        if tile not in self._tiles:
            data = self._get(tile.path())
            if len(data) != tile.width * HASH_SIZE:
                raise AuditError(f"`{tile.path()}` has {len(data)} bytes, "
                                 f"not {tile.width * HASH_SIZE}")  # fmt: skip
            self._tiles[tile] = data
        return self._tiles[tile]

    def node(self, level: int, index: int, size: int) -> bytes:
        """Return the hash of the perfect subtree ``(level, index)`` of a tree of ``size``."""
        if ((index + 1) << level) > size:
            raise LogRangeError(f"node ({level}, {index}) is not in a tree of size {size}")
        tiled, below = divmod(level, TILE_HEIGHT)
        # the subtree is 2**below consecutive hashes of tiled level `tiled`, folded up
        first = index << below
        hashes = []
        for i in range(first, first + (1 << below)):
            tile = tile_for(tiled, i, size)
            at = (i - tile.first) * HASH_SIZE
            hashes.append(self.tile(tile)[at : at + HASH_SIZE])
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def _range_hash(self, begin: int, end: int, size: int) -> bytes:
        nodes: list[Node] = subtrees(begin, end)
        return fold([self.node(level, index, size) for level, index in nodes])

    def root_hash(self, size: int) -> bytes:
        """Return the root hash of the tree of ``size`` computed from the tiles."""
        return self._range_hash(0, size, size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """Return the RFC 6962 consistency proof from ``old`` to ``new`` built from tiles."""
        return [self._range_hash(b, e, new) for b, e in consistency_ranges(old, new)]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 6962 audit path of leaf ``index`` built from tiles."""
        return [self._range_hash(b, e, size) for b, e in inclusion_ranges(index, size)]

    def leaf_hash(self, index: int, size: int) -> bytes:
        return self.node(0, index, size)
