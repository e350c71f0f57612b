"""The read store: ClickHouse schema, inserts and queries (chDB embedded or a server)."""

from plateledger.store.engine import StoreError, StoreLocked
from plateledger.store.readstore import ReadStore

__all__ = ["ReadStore", "StoreError", "StoreLocked"]
