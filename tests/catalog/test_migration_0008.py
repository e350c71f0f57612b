"""Revision 0008: lists imported before file types were recorded become ``unspecified``,
their entries take their list's; the revision goes down again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from plateledger.catalog.schema import alembic_config, upgrade


def test_lists_from_before_file_types_are_unspecified_and_the_revision_goes_down(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        upgrade(engine, "0007_access_throttle")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO hotlists (owner_id, name, source, category, description,"
                " entry_count, created_at, updated_at)"
                " VALUES (1, 'stolen', 'NCIC', 'stolen_vehicle', '', 1, 0, 0)"
            ))
            conn.execute(text(
                "INSERT INTO hotlist_entries (list_id, plate, plate_key, region, reason,"
                " case_number, priority, category) VALUES (1, '7ABC123', '7ABC123', '', '',"
                " '', 0, '')"
            ))
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT file_type FROM hotlists")).scalar_one() == (
                "unspecified"
            )
            assert conn.execute(text("SELECT file_type FROM hotlist_entries")).scalar_one() == ""
        command.downgrade(alembic_config(engine), "0007_access_throttle")
        with engine.connect() as conn:
            columns = conn.execute(text("PRAGMA table_info(hotlists)")).fetchall()
            assert "file_type" not in {c[1] for c in columns}
            assert conn.execute(text("SELECT name FROM hotlists")).scalar_one() == "stolen"
    finally:
        engine.dispose()
