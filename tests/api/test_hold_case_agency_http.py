"""Attacks on legal holds' case agency, through the HTTP API: the reads a hold kept past
their clock reach only a search made by the hold's case agency for its case number.

World (tests/api/test_scoping_between_agencies.py): Fremont (`fpd`) shares searches with
Union City (`ucpd`) for stolen vehicles, with a case number. Fremont's supervisor holds
the reads of one plate for a case; the reads then pass their clock and are purged, and
only the hold's copies are left. Case numbers are short, guessable strings: quoting one is
no proof of whose case it is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from plateledger.catalog.schema import alembic_config, upgrade
from tests.api.test_scoping_between_agencies import (  # noqa: F401  (fixture used by name)
    NOW,
    World,
    owners,
    search,
    world,
)
from tests.factories import make_read

KEPT_PLATE = "8FPKEPT"
FR_CASE = "FR-2026-0042"
BEFORE_CASE_AGENCY = "0023_node_log_keys"
"""The catalog revision before holds recorded a case agency."""


def _expired_fremont_read(w: World) -> str:
    """A Fremont read of `KEPT_PLATE` already past its clock (not yet purged)."""
    read = make_read(KEPT_PLATE, camera="fpd-cam-1", owner=w.ids["fpd"], minutes_ago=300,
                     keep_days=0.1, now=NOW)
    w.client.app.state.store.insert_reads([read])  # type: ignore[attr-defined]
    return str(read.read_id)


def _hold(w: World, **extra: Any) -> Any:
    return w.post("fpd-sup", "/v1/retention/holds", {
        "case_number": FR_CASE, "reason": "grey sedan in the Mission Blvd robbery",
        "plates": [KEPT_PLATE], "expires_at": (NOW + timedelta(days=30)).isoformat(),
        **extra})


def _purge(w: World) -> None:
    ran = w.post("fpd-admin", "/v1/retention/run", None)
    assert ran.status_code == 200, ran.text


def _kept(w: World, **hold: Any) -> tuple[str, dict[str, Any]]:
    """The id of a Fremont read kept only by a hold for `FR_CASE` (placed with ``hold``),
    and the hold as the API shows it."""
    read_id = _expired_fremont_read(w)
    placed = _hold(w, **hold)
    assert placed.status_code == 201, placed.text
    _purge(w)
    return read_id, placed.json()


def _held(w: World, user: str, **body: Any) -> list[str]:
    """The ids of the held copies ``user``'s exact search of `KEPT_PLATE` for `FR_CASE`
    returns (after checking that Fremont allowed the search: the policy let it through)."""
    answer = search(w, user, KEPT_PLATE, case_number=FR_CASE, **body)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert owners(page)[w.ids["fpd"]]["allowed"], owners(page)[w.ids["fpd"]]
    return [r["read_id"] for r in page["results"] if r["held_for"]]


def test_another_agency_quoting_the_case_number_gets_no_held_copy(world: World) -> None:  # noqa: F811
    """Union City may search Fremont's reads and guesses Fremont's case number: it still
    gets none of the reads Fremont's hold kept past their clock (for everyone but the
    case's agency they have expired)."""
    w = world
    read_id, _ = _kept(w)
    answer = search(w, "ucpd-inv", KEPT_PLATE, case_number=FR_CASE)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert owners(page)[w.ids["fpd"]]["allowed"]  # the owner allowed the search itself
    assert read_id not in answer.text, f"Union City got Fremont's held read: {answer.text}"
    assert page["results"] == [] and page["total"] == 0


def test_the_owner_as_case_agency_still_gets_its_held_copies(world: World) -> None:  # noqa: F811
    w = world
    read_id, hold = _kept(w)
    assert hold["case_agency"] == hold["owner_agency"] == w.ids["fpd"]
    assert _held(w, "fpd-inv") == [read_id]


@pytest.mark.parametrize("named", ["slug", "id"])
def test_a_named_partner_case_agency_gets_them_and_no_one_else(
    world: World, named: str,  # noqa: F811
) -> None:
    """Fremont holds its reads at Union City's request, for Union City's case: Union City
    reaches the held copies; Fremont's own search quoting the number does not (the case is
    not Fremont's), nor does an export by a third agency."""
    w = world
    read_id, hold = _kept(w, case_agency="ucpd" if named == "slug" else w.ids["ucpd"])
    assert hold["case_agency"] == w.ids["ucpd"] and hold["owner_agency"] == w.ids["fpd"]
    listed = w.get("fpd-sup", "/v1/retention/holds").json()["holds"]
    assert [h["case_agency"] for h in listed] == [w.ids["ucpd"]]
    assert _held(w, "ucpd-inv") == [read_id]
    assert _held(w, "fpd-inv") == []


def test_an_export_follows_the_same_rule(world: World) -> None:  # noqa: F811
    w = world
    read_id, _ = _kept(w)
    body = {"kind": "exact", "params": {"plate": KEPT_PLATE}, "purpose": "stolen_vehicle",
            "offense_type": "240", "case_number": FR_CASE, "reason": "for the file",
            "format": "ndjson"}
    theirs = w.post("ucpd-inv", "/v1/exports", body)
    assert theirs.status_code == 200, theirs.text
    assert read_id not in theirs.text
    ours = w.post("fpd-inv", "/v1/exports", body)
    assert ours.status_code == 200, ours.text
    assert read_id in ours.text


@pytest.mark.parametrize("case_agency", ["fpd", "ucpd"])
def test_acting_for_another_agency_never_widens_the_reach(
    world: World, case_agency: str,  # noqa: F811
) -> None:
    """A Union City officer recorded as acting for Fremont: the search is made by Union
    City's officer for Fremont. Neither a Fremont case (the officer's agency is not the
    case's) nor a Union City case (the search is made for Fremont) reaches the copies."""
    w = world
    _kept(w, case_agency=case_agency)
    changed = w.put("ucpd-admin", "/v1/admin/users/ucpd-inv/acting-for", {"agency": "fpd"})
    assert changed.status_code == 200, changed.text
    assert _held(w, "ucpd-inv") == []


def test_a_search_requested_by_another_agency_reaches_no_copy(world: World) -> None:  # noqa: F811
    """Union City's case, searched by Union City's officer at Fremont's request: made for
    Fremont, so not for the case; refused outright or answered without held copies."""
    w = world
    read_id, _ = _kept(w, case_agency="ucpd")
    answer = search(w, "ucpd-inv", KEPT_PLATE, case_number=FR_CASE, requested_by="fpd")
    assert answer.status_code in (200, 403), answer.text
    assert read_id not in answer.text


@pytest.mark.parametrize("case_agency", ["no-such-agency", 987654, ""])
def test_an_unknown_case_agency_is_refused_with_a_clear_error(
    world: World, case_agency: Any,  # noqa: F811
) -> None:
    w = world
    refused = _hold(w, case_agency=case_agency)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "unknown_agency"
    assert "case agency" in error["message"]
    assert w.get("fpd-sup", "/v1/retention/holds").json()["holds"] == []


def test_the_place_entry_names_the_case_agency(world: World) -> None:  # noqa: F811
    w = world
    _, hold = _kept(w, case_agency="ucpd")
    entries = w.get("fpd-aud", "/v1/audit/entries", start=0, limit=1000, full=1)
    assert entries.status_code == 200, entries.text
    [placed] = [e["entry"] for e in entries.json()["entries"]
                if e.get("entry", {}).get("hold_id") == hold["hold_id"]]
    assert placed["case_agency"] == str(w.ids["ucpd"])
    assert placed["after"]["case_agency"] == w.ids["ucpd"]


def test_a_hold_placed_before_the_migration_keeps_working_for_its_owner(
    world: World,  # noqa: F811
) -> None:
    """A hold stored before holds had a case agency (the column dropped, as the earlier
    schema had it), migrated: its case agency is its owner's, whose search still reaches
    the copies; the partner quoting the number still does not."""
    w = world
    read_id = _expired_fremont_read(w)
    engine = create_engine(w.settings.catalog_database_url)
    try:
        command.downgrade(alembic_config(engine), BEFORE_CASE_AGENCY)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO legal_holds (hold_id, case_number, reason, approver, "
                "owner_agency, plates, since, until, read_ids, expires_at, placed_at, "
                "placed_by) VALUES ('old-hold', :case, 'evidence', 'sgt-1', :owner, "
                ":plates, NULL, NULL, '[]', :expires, :placed, 'sgt-1')"),
                {"case": FR_CASE, "owner": w.ids["fpd"], "plates": f'["{KEPT_PLATE}"]',
                 "expires": (NOW + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
                 "placed": NOW.isoformat().replace("+00:00", "Z")})
        upgrade(engine)
    finally:
        engine.dispose()
    [listed] = w.get("fpd-sup", "/v1/retention/holds").json()["holds"]
    assert (listed["hold_id"], listed["case_agency"]) == ("old-hold", w.ids["fpd"])
    _purge(w)
    assert _held(w, "fpd-inv") == [read_id]
    assert _held(w, "ucpd-inv") == []


def test_the_purge_s_receipt_is_served_to_its_owner_and_case_agency_in_part(
    world: World,  # noqa: F811
) -> None:
    """Fremont's auditor reads what the purge deleted of Fremont's reads and kept for the
    hold; Union City's, whose case the hold serves, reads that hold only — neither reads
    the other's counts, and the public reads neither."""
    w = world
    _, hold = _kept(w, case_agency="ucpd")

    def receipt(user: str) -> dict[str, Any]:
        page = w.get(user, "/v1/audit/entries", start=0, limit=1000, full=1)
        assert page.status_code == 200, page.text
        [item] = [e for e in page.json()["entries"]
                  if e["summary"]["type"] == "retention_run"]
        return dict(item)

    fremont = receipt("fpd-aud")
    assert fremont["view"] == "receipt"
    assert [h["hold_id"] for h in fremont["entry"]["holds_honoured"]] == [hold["hold_id"]]
    assert {c["owner_id"] for c in fremont["entry"]["counts"]} == {w.ids["fpd"]}
    assert fremont["entry"]["rows_deleted"] == sum(
        c["rows"] for c in fremont["entry"]["counts"])
    union_city = receipt("ucpd-aud")
    assert union_city["view"] == "receipt"
    assert [h["hold_id"] for h in union_city["entry"]["holds_honoured"]] == [hold["hold_id"]]
    assert all(c["owner_id"] == w.ids["ucpd"] for c in union_city["entry"]["counts"])
