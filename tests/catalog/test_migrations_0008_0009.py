"""Revisions 0008 and 0009 over existing rows: lists imported before file types were
recorded become ``unspecified`` (their entries take their list's); agencies that existed
before sharing presets share under agreements only; each revision goes down again."""

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


def test_agencies_from_before_presets_share_under_agreements_and_the_revision_goes_down(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    try:
        upgrade(engine, "0008_hotlist_file_types")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO agencies (name, slug, kind, home_state, jurisdiction, law_packs,"
                " case_number_required, custodian_contact, is_law_enforcement, created_at,"
                " updated_at) VALUES ('Houston PD', 'hpd', 'municipal', 'TX', '', '[\"TX\"]',"
                " 0, '', 1, '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            ))
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT sharing_preset, sharing_states, sharing_radius_km, lat FROM agencies"
            )).one()
            assert tuple(row) == ("agreements", None, None, None)
        command.downgrade(alembic_config(engine), "0008_hotlist_file_types")
        with engine.connect() as conn:
            columns = conn.execute(text("PRAGMA table_info(agencies)")).fetchall()
            assert "sharing_preset" not in {c[1] for c in columns}
            assert conn.execute(text("SELECT slug FROM agencies")).scalar_one() == "hpd"
    finally:
        engine.dispose()
