"""Fail closed: with no policy decision, or no audit entry, a search returns no data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plateledger.catalog import totp_code
from tests.api.conftest import Seed, login
from tests.factories import make_read

SEARCH = {"kind": "exact", "params": {"plate": "5FAIL55"}, "purpose": "stolen_vehicle",
          "offense_type": "240", "case_number": "UC-2026-0500", "reason": "stolen silver van"}


@pytest.fixture
def investigator(client: TestClient, seed: Seed) -> dict[str, str]:
    client.app.state.store.insert_reads(  # type: ignore[attr-defined]
        [make_read("5FAIL55", owner=seed.ucpd_id)]
    )
    return login(client, "ivy", totp_code(seed.investigator_totp, datetime.now(UTC)))


def test_the_search_works_while_policy_and_log_do(
    client: TestClient, investigator: dict[str, str]
) -> None:
    response = client.post("/v1/searches", headers=investigator, json=SEARCH)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 1


def test_no_audit_entry_means_no_data(client: TestClient, investigator: dict[str, str]) -> None:
    engine = client.app.state.catalog.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    response = client.post("/v1/searches", headers=investigator, json=SEARCH)
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "fail_closed"
    assert "5FAIL55" not in response.text and "results" not in body
    assert "Traceback" not in response.text


def test_no_policy_decision_means_no_data(
    client: TestClient, investigator: dict[str, str]
) -> None:
    # A catalog table the policy set is compiled from is gone: no policy can be compiled.
    catalog = client.app.state.catalog  # type: ignore[attr-defined]
    with catalog.engine.begin() as conn:
        conn.execute(text("DROP TABLE declarations"))
    client.app.state.policy.invalidate()  # type: ignore[attr-defined]
    before = client.app.state.audit_log.size()  # type: ignore[attr-defined]
    response = client.post("/v1/searches", headers=investigator, json=SEARCH)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "fail_closed"
    assert "5FAIL55" not in response.text
    assert client.app.state.audit_log.size() == before  # type: ignore[attr-defined]


def test_an_export_fails_closed_too(client: TestClient, investigator: dict[str, str]) -> None:
    engine = client.app.state.catalog.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_entries"))
    response = client.post("/v1/exports", headers=investigator, json=SEARCH)
    assert response.status_code == 503
    assert "5FAIL55" not in response.text
