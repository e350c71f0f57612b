"""The plate dictionary: distinct plates and their one-deletion variants, for fuzzy search.

Kept by the store on every insert (not by materialised views: hashing every block twice in
ClickHouse halved bulk-load speed, while the distinct plates of a batch are few and cheap
to find in Arrow). Written *before* the reads they describe: an entry whose reads did not
arrive is harmless, a read missing from the dictionary would be invisible to fuzzy search.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from plateledger.plates import MAX_PLATE_LENGTH
from plateledger.store.schema import PLATE_VARIANTS, PLATES


class Inserts(Protocol):
    """An engine that inserts Arrow tables (`plateledger.store.engine.ClickHouseEngine`)."""

    def insert_arrow(self, table: str, data: pa.Table) -> None: ...


def add_to_dictionary(engine: Inserts, plates: pa.Table) -> None:
    """Write ``plates`` (``plate``, ``plate_key``; distinct) and their variants: the one
    way entries are written, for read plates, candidate plates and restored entries."""
    engine.insert_arrow(PLATES, plates)
    engine.insert_arrow(PLATE_VARIANTS, plate_variants(plates))


def distinct_plates(batch: pa.Table) -> pa.Table:
    """``(plate, plate_key)`` once per distinct plate of ``batch``."""
    plates = batch.column("plate")
    keys = batch.column("plate_key")
    pairs = pa.table({"plate": plates, "plate_key": keys}).group_by(["plate", "plate_key"])
    return pairs.aggregate([])


def plate_variants(plates: pa.Table) -> pa.Table:
    """``(variant, plate)``: each plate's key, and the key with one character deleted."""
    keys = plates.column("plate_key").combine_chunks()
    owners_all = plates.column("plate").combine_chunks()
    lengths = pc.utf8_length(keys)
    variants = [keys]
    owners = [owners_all]
    for i in range(MAX_PLATE_LENGTH):
        has = pc.greater(lengths, i)
        if not pc.any(has).as_py():
            break
        subset = pc.filter(keys, has)
        head = pc.utf8_slice_codeunits(subset, 0, i)
        tail = pc.utf8_slice_codeunits(subset, i + 1)
        variants.append(pc.binary_join_element_wise(head, tail, ""))
        owners.append(pc.filter(owners_all, has))
    return pa.table(
        {"variant": pa.chunked_array(variants, pa.string()),
         "plate": pa.chunked_array(owners, pa.string())}
    )
