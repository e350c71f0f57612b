"""Alarms and the throttle: a user whose searches keep being denied raises an alarm for
their agency's supervisors, then is refused with 429 and `Retry-After`; a flagged reason
raises an alarm at once. Alarms are audit entries, carry no plate, and stream live."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.access.alarm import KINDS, AlarmMonitor
from plateledger.api.app import create_app
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings

PASSWORD = "correct horse battery staple"
PLATE = "7BRST99"


@pytest.fixture
def settings(tmp_path: Path, store_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", store_path=store_path, secret_key="k" * 32,
                    require_totp=False, alarm_denials=3, throttle_denials=5,
                    alarm_window_seconds=600)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
        fed = catalog.add_agency("Federal unit", "fed", "federal", "CA")
        catalog.add_user(fed.id, "fed.inv", PASSWORD, ["investigator"])
        catalog.add_user(fed.id, "fed.sup", PASSWORD, ["supervisor"])
        catalog.add_user(ucpd.id, "ucpd.inv", PASSWORD, ["investigator"])
        catalog.add_user(ucpd.id, "ucpd.sup", PASSWORD, ["supervisor"])
    finally:
        catalog.close()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def auth(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def search(client: TestClient, headers: dict[str, str], reason: str = "stolen car") -> Any:
    return client.post("/v1/searches", headers=headers, json={
        "kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
        "offense_type": "240", "case_number": "F-2026-1", "reason": reason})


def alarms(client: TestClient, username: str) -> list[dict[str, Any]]:
    response = client.get("/v1/alarms", headers=auth(client, username))
    assert response.status_code == 200, response.text
    return list(response.json()["alarms"])


def test_a_burst_of_denials_alarms_the_users_own_supervisors(client: TestClient) -> None:
    fed = auth(client, "fed.inv")
    for _ in range(3):
        assert search(client, fed).status_code == 200
    raised = alarms(client, "fed.sup")
    assert [(a["kind"], a["user"], a["agency"], a["count"]) for a in raised] == [
        ("denial_burst", "fed.inv", "fed", 3)]
    assert alarms(client, "ucpd.sup") == []
    entry = client.get(f"/v1/audit/entries/{raised[0]['index']}").json()
    assert entry["summary"]["alarm"] == "denial_burst"
    assert PLATE not in json.dumps(entry) and PLATE not in json.dumps(raised)


def test_a_user_whose_searches_keep_being_denied_is_throttled(client: TestClient) -> None:
    fed = auth(client, "fed.inv")
    codes = [search(client, fed).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    refused = search(client, fed)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 600
    message = refused.json()["error"]["message"]
    assert "5 of your recent searches were denied" in message and "paused" in message
    kinds = [a["kind"] for a in alarms(client, "fed.sup")]
    assert kinds.count("search_throttled") == 1 and kinds.count("denial_burst") == 1
    # others are not throttled: searches of their own data are not denials
    ucpd = auth(client, "ucpd.inv")
    assert [search(client, ucpd).status_code for _ in range(6)] == [200] * 6


def test_a_flagged_reason_raises_an_alarm_without_the_reason(client: TestClient) -> None:
    ucpd = auth(client, "ucpd.inv")
    reason = "ICE detainer for the driver"
    assert search(client, ucpd, reason=reason).status_code == 200
    raised = alarms(client, "ucpd.sup")
    assert [(a["kind"], a["reason_flags"]) for a in raised] == [
        ("flagged_reason", ["immigration"])]
    assert "detainer" not in json.dumps(raised)


def test_alarms_are_for_supervisors_auditors_and_admins(client: TestClient) -> None:
    headers = auth(client, "fed.inv")
    assert client.get("/v1/alarms", headers=headers).status_code == 403
    assert client.get("/v1/alarms/stream", headers=headers).status_code == 403
    assert client.get("/v1/alarms").status_code == 401


def test_the_stream_delivers_an_agencys_alarms_to_its_subscribers_only(
    client: TestClient,
) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    monitor: AlarmMonitor = state.alarms
    fed_id = state.catalog.agency_by_slug("fed").id
    ucpd_id = state.catalog.agency_by_slug("ucpd").id

    async def scenario() -> tuple[Any, Any]:
        mine = monitor.stream.subscribe(fed_id)
        theirs = monitor.stream.subscribe(ucpd_id)
        await asyncio.to_thread(monitor.raise_alarm, "denial_burst", "fed.inv", fed_id, 9)
        got = await mine.get(timeout=5)
        other = await theirs.get(timeout=0.2)
        mine.close()
        theirs.close()
        return got, other

    got, other = asyncio.run(scenario())
    assert got is not None and (got.kind, got.agency, got.count) == ("denial_burst", "fed", 9)
    assert other is None



def test_the_doc_names_every_alarm_kind_and_the_default_thresholds() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    start = doc.index("### Alarms")
    section = doc[start:doc.index("\n## ", start)]
    kinds = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    assert sorted(kinds) == sorted(KINDS)
    defaults = Settings()
    for name, value in [("ALARM_DENIALS", defaults.alarm_denials),
                        ("ALARM_WINDOW_SECONDS", defaults.alarm_window_seconds),
                        ("THROTTLE_DENIALS", defaults.throttle_denials),
                        ("NODE_THROTTLE_DENIALS", defaults.node_throttle_denials)]:
        assert f"`PLATELEDGER_{name}` (default {value:g})" in section
