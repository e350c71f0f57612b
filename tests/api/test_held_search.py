"""Reads kept by a legal hold past their clock: found by an exact search made for that
case, and by no other search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import totp_code
from plateledger.retention.holds import LegalHold, ReadSelection
from tests.api.conftest import Seed, login
from tests.factories import make_read

CASE = "UC-2026-0777"


def search(client: TestClient, headers: dict[str, str], case: str | None) -> dict[str, object]:
    response = client.post("/v1/searches", headers=headers, json={
        "kind": "exact", "params": {"plate": "6KEPT77"}, "purpose": "stolen_vehicle",
        "offense_type": "240",
        "case_number": case, "reason": "stolen grey van, evidence under hold",
    })
    assert response.status_code == 200, response.text
    page: dict[str, object] = response.json()
    return page


@pytest.fixture
def held(client: TestClient, seed: Seed) -> dict[str, str]:
    state = client.app.state  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    evidence = make_read("6KEPT77", owner=seed.ucpd_id, minutes_ago=300, keep_days=0.1,
                         now=now)
    state.store.insert_reads([evidence])
    state.retention.holds.place(
        LegalHold(case_number=CASE, reason="evidence in a robbery", approver="sgt. ramos",
                  owner_agency=seed.ucpd_id, selection=ReadSelection(plates=("6KEPT77",)),
                  expires_at=now + timedelta(days=30)),
        placed_by="ucpd-admin", now=now,
    )
    state.retention.run_once(now)  # the read's clock has passed: copied, then purged
    headers = login(client, "ivy", totp_code(seed.investigator_totp, now))
    return {"read_id": str(evidence.read_id), **headers}


def test_a_search_for_the_case_finds_the_held_copy(
    client: TestClient, held: dict[str, str]
) -> None:
    read_id = held.pop("read_id")
    page = search(client, held, CASE)
    [found] = page["results"]  # type: ignore[misc]
    assert found["read_id"] == read_id and found["held_for"]
    assert page["total"] == 1


@pytest.mark.parametrize("case", [None, "UC-2026-0001"])
def test_any_other_search_does_not(
    client: TestClient, held: dict[str, str], case: str | None
) -> None:
    held.pop("read_id")
    page = search(client, held, case)
    assert page["results"] == [] and page["total"] == 0
