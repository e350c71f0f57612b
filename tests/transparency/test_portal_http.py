"""Each agency's public portal over HTTP, from live data: a real search through the API
shows up in its figures, every vendor-portal field is there, plates never are, and bad
input is a clear 4xx."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from plateledger.audit import AuditLog, new_entry
from plateledger.transparency.disclosure import NOT_PUBLISHED
from tests.api.conftest import Seed, code, login

FIELDS = {
    "detected", "not_detected", "acceptable_uses", "prohibited_uses", "access_policy",
    "retention", "cameras_owned", "vehicles_detected", "searches", "hits", "hit_ratio",
    "hotlist_alerts", "alerts_withheld", "agencies_with_access", "policy", "checkpoint",
    "figures", "custodian",
}
PLATE = "7TRN555"


def _search(client: TestClient, seed: Seed, **extra: Any) -> None:
    headers = login(client, "ivy", code(seed.investigator_totp))
    body = {"kind": "exact", "params": {"plate": PLATE}, "purpose": "stolen_vehicle",
            "offense_type": "240",
            "case_number": "C-1", "reason": "white pickup reported stolen on 4th street",
            **extra}
    response = client.post("/v1/searches", json=body, headers=headers)
    assert response.status_code == 200, response.text


def test_a_search_shows_on_the_portal_with_every_field(client: TestClient, seed: Seed) -> None:
    _search(client, seed)
    response = client.get("/v1/transparency/agencies/ucpd")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() >= FIELDS
    assert body["searches"] == 1
    assert body["figures"]["searches_by_purpose"]["rows"] == [["stolen_vehicle", 1, 0]]
    # today's searches are counted by offense type only once the day has ended, and then
    # only in cells of five or more (docs/transparency.md)
    assert body["figures"]["searches_by_offense"]["rows"] == [[NOT_PUBLISHED, 1]]
    # Fremont was asked and (no agreement) denied: a decision actually made.
    fpd = client.get("/v1/transparency/agencies/fpd").json()
    assert fpd["figures"]["partners"]["rows"] == [["ucpd", "municipal", 0, 1]]
    assert fpd["accesses_denied_to_others"] == 1
    # The policy text is the enforced pack, rule by rule with its citation.
    ca = next(p for p in body["policy"] if p["code"] == "CA")
    assert any(r["id"] == "ca-civ-1798.90.55b-no-federal" and "1798.90.5" in r["citation"]
               for r in ca["rules"])
    assert body["retention"]["non_hit_days"] == 60
    assert body["checkpoint"]["size"] >= 1
    text = response.text
    assert PLATE not in text and "ivy" not in text and "C-1" not in text
    assert "pickup" not in text


def test_each_figure_is_served_as_csv(client: TestClient, seed: Seed) -> None:
    _search(client, seed)
    response = client.get("/v1/transparency/agencies/ucpd/figures/searches_by_day",
                          params={"format": "csv", "days": 7})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7
    assert sum(int(r["searches"]) for r in rows) == 1


def test_offense_type_is_counted_by_the_day_in_cells_of_five(client: TestClient) -> None:
    """Five searches for 09A and five for 13B yesterday (one UTC day, ended) are published;
    yesterday's one 240, and today's, only as a count of searches left out."""
    log: AuditLog = client.app.state.audit_log  # type: ignore[attr-defined]
    yesterday = (datetime.now(ZoneInfo("America/Los_Angeles")).replace(hour=12)
                 - timedelta(days=1)).astimezone(UTC)
    for offense, n, when in (("09A", 5, yesterday), ("13B", 5, yesterday),
                             ("240", 1, yesterday), ("09A", 1, None)):
        for _ in range(n):
            entry = new_entry("search", agency="ucpd", requested_by_agency="ucpd", user="x",
                              purpose="homicide", offense_type=offense,
                              owners_allowed=["ucpd"], owners_denied=[], result_count=2)
            if when is not None:
                entry["time"] = when.isoformat().replace("+00:00", "Z")
            log.append(entry)
    rows = client.get("/v1/transparency/agencies/ucpd/figures/searches_by_offense").json()
    assert rows["rows"] == [["09A", 5], ["13B", 5], [NOT_PUBLISHED, 2]]


def test_bad_input_is_a_clear_4xx(client: TestClient) -> None:
    assert client.get("/v1/transparency/agencies/nobody").json()["error"]["code"] \
        == "unknown_agency"
    assert client.get("/v1/transparency/agencies/ucpd/figures/nope").status_code == 404
    assert client.get("/v1/transparency/agencies/ucpd?days=0").status_code == 422
    assert client.get("/v1/transparency/agencies/ucpd?days=9999").status_code == 422
    assert client.get("/v1/transparency/agencies/UC%20PD").status_code == 422
    bad = client.get("/v1/transparency/agencies/ucpd/figures/partners?format=xlsx")
    assert bad.status_code == 422


def test_the_list_of_portals_names_every_agency(client: TestClient) -> None:
    listed = client.get("/v1/transparency/agencies").json()["agencies"]
    assert {a["slug"] for a in listed} == {"ucpd", "fpd"}
