"""An export made for a case carries the case's held copies once, and every live read of
the search once: held copies added to the first page never push a live read off the file."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import totp_code
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.search.filters import MAX_PAGE
from tests.api.conftest import Seed, login
from tests.factories import make_read

CASE = "UC-2026-0991"
PLATES = (f"6HELD{n:02d}" for n in itertools.count())
"""A plate of its own for each test: the app (and its store) serve the whole module."""
LIVE = MAX_PAGE + 40
"""More live reads of the plate than one page holds: the export pages through them."""


@pytest.fixture
def world(client: TestClient, seed: Seed) -> dict[str, object]:
    state = client.app.state  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    plate = next(PLATES)
    evidence = [make_read(plate, owner=seed.ucpd_id, minutes_ago=5000 + i, keep_days=0.1,
                          now=now) for i in range(2)]
    state.store.insert_reads(evidence)
    state.retention.holds.place(
        LegalHold(case_number=CASE, reason="evidence in a robbery", approver="sgt. ramos",
                  owner_agency=seed.ucpd_id, selection=ReadSelection(plates=(plate,)),
                  expires_at=now + timedelta(days=30)),
        placed_by="ucpd-admin", now=now,
    )
    state.retention.run_once(now)  # the evidence's clock has passed: copied, then purged
    live = [make_read(plate, owner=seed.ucpd_id, minutes_ago=1 + i / 10, now=now)
            for i in range(LIVE)]
    state.store.insert_reads(live)
    headers = login(client, "ivy", totp_code(seed.investigator_totp, now))
    return {"headers": headers, "plate": plate, "live": {str(r.read_id) for r in live},
            "held": {str(r.read_id) for r in evidence}}


def export(client: TestClient, world: dict[str, object], **over: object
           ) -> tuple[list[dict[str, str]], dict[str, str]]:
    body = {"kind": "exact", "params": {"plate": world["plate"]}, "purpose": "stolen_vehicle",
            "offense_type": "240", "case_number": CASE,
            "reason": "stolen grey van, evidence under hold", "format": "csv"} | over
    response = client.post("/v1/exports", json=body, headers=world["headers"])  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text))), dict(response.headers)


def test_every_live_read_and_every_held_copy_is_exported_once(
    client: TestClient, world: dict[str, object]
) -> None:
    rows, headers = export(client, world, max_rows=5000)
    ids = [r["read_id"] for r in rows]
    assert len(ids) == len(set(ids)), "a read exported twice"
    held = {r["read_id"] for r in rows if r["held_for"]}
    live = {r["read_id"] for r in rows if not r["held_for"]}
    assert held == world["held"]
    assert live == world["live"], f"{len(world['live'] - live)} live reads left out"  # type: ignore[operator]
    assert int(headers["x-exported-count"]) == len(rows) == LIVE + 2
    assert int(headers["x-total-count"]) == LIVE + 2


def test_max_rows_is_never_exceeded(client: TestClient, world: dict[str, object]) -> None:
    rows, headers = export(client, world, max_rows=MAX_PAGE)
    assert len(rows) == MAX_PAGE == int(headers["x-exported-count"])
    assert int(headers["x-total-count"]) == LIVE + 2

