"""The migrations build, from an empty database, exactly the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from plateledger.catalog import Catalog, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from plateledger.tables import TARGET_METADATA


def test_migrations_create_every_declared_table(catalog: Catalog) -> None:
    declared = {t.name for metadata in TARGET_METADATA for t in metadata.sorted_tables}
    present = set(inspect(catalog.engine).get_table_names())
    assert declared <= present
    assert {"audit_entries", "legal_holds", "hotlists", "agencies", "tokens"} <= present


def test_migrated_schema_matches_the_models(catalog: Catalog) -> None:
    with catalog.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        # alembic accepts a list of MetaData here; its annotation names only one
        differences = compare_metadata(context, TARGET_METADATA)  # type: ignore[arg-type]
    assert differences == []


def test_opening_an_up_to_date_catalog_again_keeps_its_data(
    catalog: Catalog, settings: Settings
) -> None:
    catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
    again = open_catalog(settings, password_hasher=FAST)
    try:
        assert [a.slug for a in again.agencies()] == ["ucpd"]
        assert again.generation() == 1
    finally:
        again.close()


def test_an_empty_catalog_starts_at_generation_zero(catalog: Catalog) -> None:
    assert catalog.generation() == 0
