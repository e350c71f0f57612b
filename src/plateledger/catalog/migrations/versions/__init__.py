"""Migration scripts, applied in order by `plateledger.catalog.schema.upgrade`."""
