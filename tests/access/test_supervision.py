# ruff: noqa: F401, F811  (the API fixtures are imported, then named as parameters)
"""Supervisors' tools through the real app: analytics flag what a supervisor should look
at, plates stay tokens, samples are drawn, reviewed and signed off, and every step is in
the audit log — while an investigator, an admin or another agency gets nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from plateledger.access.supervision import Thresholds, operator_figures
from plateledger.audit import AuditLog
from plateledger.catalog import Catalog, new_totp_secret
from plateledger.transparency.tokens import plate_token
from tests.api.conftest import PASSWORD, Seed, client, code, login, seed, settings

PLATE = "7SUP123"


def _search(client: TestClient, headers: dict[str, str], **body: Any) -> None:
    payload = {"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
               "offense_type": "240", "reason": "white pickup reported stolen on 4th street"} | body
    response = client.post("/v1/searches", json=payload, headers=headers)
    assert response.status_code == 200, response.text


def _log(client: TestClient) -> AuditLog:
    return client.app.state.audit_log  # type: ignore[attr-defined, no-any-return]


def test_analytics_flag_a_plate_searched_again_and_again_without_a_case(
    client: TestClient, seed: Seed
) -> None:
    ivy = login(client, "ivy", code(seed.investigator_totp))
    for _ in range(3):
        _search(client, ivy)
    _search(client, ivy, case_number="C-7")
    _search(client, ivy, kind="wildcard", params={"plate": "7SUP*"}, reason="investigation")
    audrey = login(client, "audrey", code(seed.auditor_totp))
    before = _log(client).size()
    response = client.get("/v1/supervision/operators", headers=audrey)
    assert response.status_code == 200, response.text
    body = response.json()
    [ivy_row] = body["operators"]
    assert ivy_row["user"] == "ivy"
    assert ivy_row["searches"] == 5
    token = plate_token("k" * 32, PLATE)
    assert ivy_row["repeated_without_case"] == {token: 3}
    assert "same_plate_without_case" in ivy_row["flags"]
    assert ivy_row["vague_reasons"] == 1
    assert PLATE not in response.text
    logged = _log(client).entry(body["audit_index"]).entry
    assert logged["type"] == "supervision_read" and logged["user"] == "audrey"
    assert body["audit_index"] == before


def test_operator_figures_at_a_chosen_instant() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def entry(hours_ago: float, **extra: Any) -> dict[str, Any]:
        at = now - timedelta(hours=hours_ago)
        return {"type": "search", "agency": "a", "user": "u", "kind": "exact",
                "query": {"plate": "1ABC234", "since": (at - timedelta(days=2)).isoformat()},
                "case_number": "C", "owners_allowed": ["a"], "owners_denied": [],
                "time": at.isoformat()} | extra

    denied = {"owners_allowed": [], "owners_denied": [{"agency": "b", "policy_ids": []}]}
    entries = [entry(14), entry(13)]  # 22:00 and 23:00 UTC: off hours
    entries += [entry(5 - i / 2, **denied) for i in range(5)]  # five denials in a row
    entries += [entry(2, kind="area"), entry(1.5, query={"plate": "1ABC234"})]  # wide
    entries += [entry(1, agency="other", user="x")]  # another agency's: not counted
    [row] = operator_figures(entries, "a", "k", now, 30, Thresholds())
    assert row["searches"] == 9
    assert row["off_hours"] == 2
    assert row["longest_denial_streak"] == 5
    assert row["wide_scope"] == 2
    assert set(row["flags"]) == {"denial_streak"}
    [strict] = operator_figures(entries, "a", "k", now, 30,
                                Thresholds(off_hours_share=0.2, wide_share=0.2))
    assert {"off_hours", "wide_scope", "denial_streak"} <= set(strict["flags"])


def test_a_sample_is_drawn_reviewed_and_signed_off_in_the_log(
    client: TestClient, seed: Seed
) -> None:
    ivy = login(client, "ivy", code(seed.investigator_totp))
    for _ in range(4):
        _search(client, ivy, case_number="C-9")
    audrey = login(client, "audrey", code(seed.auditor_totp))
    drawn = client.post("/v1/supervision/samples", json={"size": 2}, headers=audrey)
    assert drawn.status_code == 201, drawn.text
    sample = drawn.json()
    assert sample["pool"] == 4 and len(sample["items"]) == 2
    assert {i["plate"] for i in sample["items"]} == {plate_token("k" * 32, PLATE)}
    logged = _log(client).entry(sample["sample"]).entry
    assert logged["type"] == "search_sample"
    assert logged["indexes"] == [i["index"] for i in sample["items"]]
    path = f"/v1/supervision/samples/{sample['sample']}"
    first, second = (i["index"] for i in sample["items"])
    wrong = client.post(f"{path}/review", json={"findings": {str(first): "justified"}},
                        headers=audrey)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "findings_mismatch"
    odd = client.post(f"{path}/review", headers=audrey, json={
        "findings": {str(first): "fine", str(second): "justified"}})
    assert odd.json()["error"]["code"] == "unknown_finding"
    signed = client.post(f"{path}/review", headers=audrey, json={
        "findings": {str(first): "justified", str(second): "needs_follow_up"},
        "note": "second: ask for the case file"})
    assert signed.status_code == 201, signed.text
    review = _log(client).entry(signed.json()["review"]).entry
    assert review["type"] == "search_review" and review["signed"] is True
    assert review["counts"] == {"justified": 1, "needs_follow_up": 1}
    shown = client.get(path, headers=audrey).json()
    assert [r["user"] for r in shown["reviews"]] == ["audrey"]
    # The searches signed off count in the agency's reports (Oregon: searches reviewed).
    # Reports count the agency's local days (California): today in UTC may be tomorrow there.
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date().isoformat()
    report = client.get("/v1/reports/or-monthly", params={
        "agency": "ucpd", "start": today, "end": today}).json()
    reviewed = next(e for e in report["elements"] if e["key"] == "reviews")
    assert (reviewed["value"], reviewed["note"]) == (2, "in 1 sign-off of sampled searches")


def test_investigators_admins_and_other_agencies_get_nothing(
    client: TestClient, seed: Seed
) -> None:
    audrey = login(client, "audrey", code(seed.auditor_totp))
    drawn = client.post("/v1/supervision/samples", json={"size": 1}, headers=audrey).json()
    ivy = login(client, "ivy", code(seed.investigator_totp))
    size = _log(client).size()
    for method, path, body in [("GET", "/v1/supervision/operators", None),
                               ("POST", "/v1/supervision/samples", {"size": 1}),
                               ("GET", f"/v1/supervision/samples/{drawn['sample']}", None)]:
        response = client.request(method, path, json=body, headers=ivy)
        assert response.status_code == 403, response.text
        assert "role-view-audit" in response.text
    admin = login(client, "ucpd-admin")
    assert client.get("/v1/supervision/operators", headers=admin).status_code == 403
    assert client.get("/v1/supervision/operators").status_code == 401
    catalog: Catalog = client.app.state.catalog  # type: ignore[attr-defined]
    secret = new_totp_secret()
    catalog.add_user(seed.fpd_id, "fred", PASSWORD, ["supervisor"], totp_secret=secret)
    fred = login(client, "fred", code(secret))
    other = client.get(f"/v1/supervision/samples/{drawn['sample']}", headers=fred)
    assert other.status_code == 404
    assert client.post(f"/v1/supervision/samples/{drawn['sample']}/review", headers=fred,
                       json={"findings": {}}).status_code == 404
    assert client.get("/v1/supervision/operators", headers=fred).json()["operators"] == []
    assert _log(client).size() == size + 1  # only fred's own (empty) reading was logged
    assert client.post("/v1/supervision/samples", json={"size": 0},
                       headers=audrey).status_code == 422
