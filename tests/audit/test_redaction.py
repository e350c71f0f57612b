"""Who sees what of an entry: the public summary shows who, when, why and how many; an
owner that denied an access sees who tried and under which rule; the agencies whose users
acted see the whole entry, and the owners whose reads were returned all of it but the
other owners' part."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plateledger.audit import EntryType, redact, search_entry
from plateledger.audit.redaction import (
    Partnership,
    Reader,
    View,
    denied_view,
    served,
    view_of,
)

SECRETS = ("jsmith", "7ABC123", "24-0001", "immigration hold", "sha256:00")


def a_search() -> dict[str, Any]:
    entry = search_entry(
        user="jsmith", agency="ca-oakland-pd", requested_by_agency="us-ice-ero",
        purpose="stolen_vehicle", case_number="24-0001", kind="fuzzy",
        query={"plate": "7ABC123"}, owners_allowed=["ca-oakland-pd", "ca-alameda-so"],
        owners_denied=[{"agency": "ca-berkeley-pd", "policy_ids": ["ca.sb34.no_federal"]},
                       {"agency": "us-ice-ero", "policy_ids": ["default-deny"]}],
        result_count=3, result_digest="sha256:00", policy_set_hash="sha256:11",
    )  # fmt: skip
    return {
        **entry,
        "reason": "immigration hold",
        "reason_flags": ["immigration"],
        "time": "2026-05-01T10:00:00.000Z",
        "log_index": 4,
        "owners_allowed_policy_ids": {"ca-oakland-pd": ["own-agency-1"],
                                      "ca-alameda-so": ["agreement-3"]},
        "returned_by_owner": {"ca-oakland-pd": 2, "ca-alameda-so": 1},
        "devices_searched": 12,
        "returned": 3,
    }


def test_search_summary_names_who_searched_who_released_and_who_denied() -> None:
    assert redact(a_search()) == {
        "type": "search", "v": 1, "time": "2026-05-01T10:00:00.000Z", "log_index": 4,
        "agencies": ["ca-alameda-so", "ca-oakland-pd", "us-ice-ero"],
        "released": ["ca-alameda-so", "ca-oakland-pd"],
        "denied": ["ca-berkeley-pd", "us-ice-ero"],
        "purpose": "stolen_vehicle", "result_count": 3,
    }  # fmt: skip


def test_an_owner_that_denied_is_not_listed_as_taking_part() -> None:
    assert "ca-berkeley-pd" not in redact(a_search())["agencies"]


@pytest.mark.parametrize(
    ("slug", "view"),
    [
        ("ca-oakland-pd", View.FULL),  # its user searched
        ("ca-alameda-so", View.OWNER),  # its reads were returned
        ("ca-berkeley-pd", View.DENIED),  # it denied
        ("ca-fremont-pd", View.PUBLIC),  # not asked, or nothing to do with it
    ],
)
def test_each_agency_gets_the_view_its_part_earns(slug: str, view: View) -> None:
    assert view_of(a_search(), Reader(slug, 99)) is view


def test_an_owner_whose_reads_were_returned_sees_its_own_part_only() -> None:
    view, content = served(a_search(), Reader("ca-alameda-so", 2))
    assert view is View.OWNER
    for secret in SECRETS[:4]:  # who, the plate, the case and the reason: its reads went
        assert secret in json.dumps(content)
    assert content["returned_by_owner"] == {"ca-alameda-so": 1}
    assert content["owners_allowed_policy_ids"] == {"ca-alameda-so": ["agreement-3"]}
    assert content["owners_denied"] == ["ca-berkeley-pd", "us-ice-ero"]  # names, no rules
    for other in ("devices_searched", "returned", "result_digest"):
        assert other not in content
    assert "ca-oakland-pd" not in json.dumps(content["returned_by_owner"])


@pytest.mark.parametrize("counts", [{"ca-oakland-pd": 3, "ca-alameda-so": 0},
                                    {"ca-oakland-pd": 3}, None])
def test_an_owner_the_decision_allowed_but_that_returned_nothing_sees_the_public(
    counts: dict[str, int] | None,
) -> None:
    """Allowed is not released: an agency that shares its (empty) data with a recipient
    is allowed on every search of that recipient, and must not read them."""
    entry = a_search()
    if counts is None:
        del entry["returned_by_owner"]  # no counts: nothing shows that its reads came back
    else:
        entry["returned_by_owner"] = counts
    view, content = served(entry, Reader("ca-alameda-so", 2))
    assert view is View.PUBLIC and content == redact(entry)
    for secret in SECRETS:
        assert secret not in json.dumps(content)


def test_an_image_view_that_returned_another_owners_read_is_not_full_to_the_others() -> None:
    entry = {**a_search(), "type": "image_view",
             "returned_by_owner": {"ca-oakland-pd": 0, "ca-alameda-so": 1}}
    assert view_of(entry, Reader("ca-alameda-so", 2)) is View.OWNER
    assert view_of(entry, Reader("ca-oakland-pd", 1)) is View.FULL  # its user looked
    entry["agency"] = "ca-fremont-pd"
    assert view_of(entry, Reader("ca-oakland-pd", 1)) is View.PUBLIC


def test_the_requesting_agency_is_not_the_acting_one() -> None:
    # us-ice-ero asked for the search and denied its own part by default, with no
    # agreement with the searcher: the public summary, no more
    assert view_of(a_search(), Reader("us-ice-ero", 7)) is View.PUBLIC
    # had it shared its data with the searching agency, it would see who tried
    sharing = (Partnership("ca-oakland-pd", datetime(2026, 1, 1, tzinfo=UTC)),)
    assert view_of(a_search(), Reader("us-ice-ero", 7, sharing)) is View.DENIED


def test_an_owner_that_denied_only_by_default_learns_nothing_of_a_stranger_s_search() -> None:
    """Every search asks every owner; an owner that never shared with the searcher nor
    the searcher with it (a federal unit, for a California city's officers) is served the
    public summary of the searches it denied by default: not who searched, nor why."""
    entry = a_search()
    entry["owners_denied"] = [{"agency": "us-ice-ero", "policy_ids": ["default-deny"]}]
    entry["requested_by_agency"] = "ca-oakland-pd"
    stranger = Reader("us-ice-ero", 7)
    assert view_of(entry, stranger) is View.PUBLIC
    view, content = served(entry, stranger)
    assert view is View.PUBLIC and "jsmith" not in json.dumps(content)
    # sharing with the searcher at the time of the search makes it a partner's search;
    # an agreement made after it, or ended before it, does not (it cannot be bought
    # afterwards, even by an agreement revoked at once)
    searched = datetime(2026, 5, 1, 10, tzinfo=UTC)
    for since, until, view in (
        (searched - timedelta(days=30), None, View.DENIED),
        (searched - timedelta(days=30), searched + timedelta(seconds=1), View.DENIED),
        (searched + timedelta(minutes=5), None, View.PUBLIC),
        (searched + timedelta(minutes=5), searched + timedelta(minutes=6), View.PUBLIC),
        (searched - timedelta(days=30), searched - timedelta(days=1), View.PUBLIC),
    ):
        partners = (Partnership("ca-oakland-pd", since, until),)
        assert view_of(entry, Reader("us-ice-ero", 7, partners)) is view, (since, until)
    # an agreement with another agency is no partnership with the searcher
    other = (Partnership("ca-fremont-pd", searched - timedelta(days=30)),)
    assert view_of(entry, Reader("us-ice-ero", 7, other)) is View.PUBLIC
    # a denial by a rule of its own (a law pack, an ended agreement) is its to audit
    entry["owners_denied"] = [{"agency": "us-ice-ero",
                               "policy_ids": ["agreement-4-expired"]}]
    assert view_of(entry, stranger) is View.DENIED


def test_the_default_denial_is_the_policy_engine_s() -> None:
    from plateledger.audit.redaction import DEFAULT_DENY
    from plateledger.policy import DEFAULT_DENY as ENGINE_DEFAULT

    assert DEFAULT_DENY == ENGINE_DEFAULT


def test_a_denied_owner_sees_who_when_why_and_its_own_rules_only() -> None:
    view = denied_view(a_search(), "ca-berkeley-pd")
    assert view == {
        "type": "search", "v": 1, "time": "2026-05-01T10:00:00.000Z", "log_index": 4,
        "user": "jsmith", "agency": "ca-oakland-pd", "requested_by_agency": "us-ice-ero",
        "purpose": "stolen_vehicle",
        "denied": {"agency": "ca-berkeley-pd", "policy_ids": ["ca.sb34.no_federal"]},
    }  # fmt: skip
    text = json.dumps(view)
    for secret in SECRETS[1:]:
        assert secret not in text


def test_an_unrelated_agency_is_served_the_public_summary_only() -> None:
    view, content = served(a_search(), Reader("ca-fremont-pd", 5))
    assert view is View.PUBLIC and content == redact(a_search())
    for secret in SECRETS:
        assert secret not in json.dumps(content)


def test_an_image_view_released_or_denied_by_its_owner() -> None:
    entry = {
        "type": "image_view",
        "v": 1,
        "user": "jsmith",
        "agency": "ca-oakland-pd",
        "owner_agency": "ca-berkeley-pd",
        "read_id": "r-1",
        "allowed": False,
        "policy_ids": ["ca.sb34.no_federal"],
        "case_number": "24-0001",
    }
    assert redact(entry)["denied"] == ["ca-berkeley-pd"]
    assert view_of(entry, Reader("ca-berkeley-pd", 2)) is View.DENIED
    assert view_of({**entry, "allowed": True}, Reader("ca-berkeley-pd", 2)) is View.FULL


def test_a_withheld_hot_list_hit_names_its_read_owner_and_list_class_never_its_list_owner(
) -> None:
    entry = {
        "type": "alert_withheld",
        "v": 1,
        "read_owner": "ca-oakland-pd",
        "list_owner": "us-ice-ero",
        "list_class": "immigration",
        "policy_ids": ["ca.sb54.no_immigration_alerts"],
        "plate": "7ABC123",
    }
    summary = redact(entry)
    assert (summary["read_owner"], summary["list_class"]) == ("ca-oakland-pd", "immigration")
    assert summary["denied"] == ["ca-oakland-pd"] and "7ABC123" not in str(summary)
    assert "us-ice-ero" not in json.dumps(summary)


def test_a_withheld_hit_is_whole_for_its_read_owner_and_public_for_its_list_owner() -> None:
    entry = {"type": "alert_withheld", "v": 1, "read_owner": "ca-oakland-pd",
             "list_owner": "us-ice-ero", "list_class": "immigration",
             "policy_ids": ["ca.sb54.no_immigration_alerts"]}  # fmt: skip
    assert served(entry, Reader("ca-oakland-pd", 1)) == (View.FULL, entry)
    view, shown = served(entry, Reader("us-ice-ero", 9))
    assert view is View.PUBLIC and "us-ice-ero" not in json.dumps(shown)


def test_administrative_entries_are_whole_for_the_acting_agency_only() -> None:
    entry = {"type": "user_change", "v": 1, "user": "admin", "agency_id": 3, "username": "newhire"}
    assert view_of(entry, Reader("ucpd", 3)) is View.FULL
    assert view_of(entry, Reader("fpd", 4)) is View.PUBLIC


def test_a_hold_for_a_partners_case_is_whole_for_that_partner_too() -> None:
    """Union City (3) holds its reads for Fremont's (4) case: Fremont's auditor reads the
    whole entry of the hold its case relies on; Hayward (5) the public summary."""
    entry = {"type": EntryType.LEGAL_HOLD, "v": 1, "agency_id": 3, "user": "ucpd.admin",
             "hold_id": "h-1", "owner_agency": "3", "case_agency": "4",
             "case_number": "FR-26-1", "selection": {"plates": ["6HELD12"]}}
    assert view_of(entry, Reader("ucpd", 3)) is View.FULL
    assert view_of(entry, Reader("fpd", 4)) is View.FULL
    assert view_of(entry, Reader("hpd", 5)) is View.PUBLIC
    assert view_of({**entry, "type": EntryType.RETENTION_RUN}, Reader("fpd", 4)) is View.PUBLIC


@pytest.mark.parametrize(
    "private", ["user", "case_number", "query", "plate", "reason", "username", "notes"]
)
def test_any_other_field_stays_private(private: str) -> None:
    summary = redact({"type": EntryType.EXPORT, "v": 1, private: "secret-value"})
    assert "secret-value" not in str(summary)
    assert private not in summary


def test_every_platform_entry_type_has_a_constant() -> None:
    assert {t.value for t in EntryType} == {
        "search", "export", "alert_delivery", "policy_change", "agreement_change",
        "user_change", "key_change", "law_pack_change", "retention_run", "legal_hold",
        "log_key_rotation", "audit_read", "image_view",
    }  # fmt: skip


# --- docs/audit.md states exactly who sees what; these hold it to the code -------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_views() -> dict[str, set[str]]:
    text = DOC.read_text()
    table = text[text.index("<!-- views-table") :].split("\n\n")[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| `")]
    # the third column names the fields served, each in backticks
    return {row[0].strip(" `"): set(re.findall(r"`([a-z_]+)`", row[2])) for row in rows}


def test_the_doc_lists_each_view() -> None:
    assert set(documented_views()) == {v.value for v in View}


def a_partner_search() -> dict[str, Any]:
    """A search a partner node sent: the owner's entry names the node and the UUID."""
    entry = a_search()
    return {
        **entry,
        "query": {**entry["query"], "search_id": "5b0f0000-0000-4000-8000-000000000001"},
        "requesting_node": "oakland",
        "requesting_key_id": "9f2c",
        "requesting_audit_index": 12,
    }


def test_a_local_search_keeps_its_uuid_from_a_denied_owner() -> None:
    entry = {**a_search(), "query": {"plate": "7ABC123", "search_id": "5b0f"}}
    assert "search_id" not in denied_view(entry, "ca-berkeley-pd")


def test_a_denied_owner_can_join_a_partner_search_to_the_requesting_node() -> None:
    view = denied_view(a_partner_search(), "ca-berkeley-pd")
    assert view["search_id"] == "5b0f0000-0000-4000-8000-000000000001"
    assert (view["requesting_node"], view["requesting_key_id"], view["requesting_audit_index"]) == (
        "oakland",
        "9f2c",
        12,
    )
    text = json.dumps(view)
    for secret in SECRETS[1:]:
        assert secret not in text


def test_the_denied_view_serves_exactly_the_documented_fields() -> None:
    assert set(denied_view(a_partner_search(), "ca-berkeley-pd")) == documented_views()["denied"]


def test_the_public_summary_serves_exactly_the_documented_fields() -> None:
    alarm = {"type": "alarm", "v": 1, "kind": "denial_burst", "agency": "ucpd", "user": "x"}
    withheld = {"type": "alert_withheld", "v": 1, "read_owner": "a", "list_owner": "b",
                "list_class": "stolen_vehicle"}
    page = a_search() | {"page_of": "0f8fad5b-d9cb-469f-a165-70867728950e"}
    keys = set(redact(page)) | set(redact(alarm)) | set(redact(withheld))
    assert keys == documented_views()["public"]
    assert redact(page)["later_page"] is True and "page_of" not in redact(page)
    assert "later_page" not in redact(a_search())


def test_the_full_view_is_every_field() -> None:
    assert "every field" in DOC.read_text().split("| `full` |")[1].splitlines()[0]
    assert served(a_search(), Reader("ca-oakland-pd", 1))[1] == a_search()


def a_receipt() -> dict[str, Any]:
    """A purge that deleted reads of agencies 3 and 5 and kept some of 3's for 7's case."""
    return {
        "type": "retention_run", "v": 1, "time": "2026-05-02T03:00:00.000Z", "log_index": 9,
        "run_id": "run-1", "cutoff": "2026-05-02T03:00:00Z",
        "started_at": "2026-05-02T03:00:00Z", "finished_at": "2026-05-02T03:00:05Z",
        "rows_deleted": 12, "rows_in_dropped_partitions": 0, "rows_deleted_in_place": 12,
        "partitions_dropped": [], "partitions_trimmed": ["202604"],
        "counts": [{"owner_id": 3, "day": "2026-03-01", "rows": 5},
                   {"owner_id": 5, "day": "2026-03-01", "rows": 7}],
        "oldest_read": "2026-03-01T00:00:00Z", "newest_read": "2026-03-01T23:00:00Z",
        "holds_honoured": [{"hold_id": "h1", "case_number": "FPD-2026-9", "owner_agency": 3,
                            "case_agency": 7, "rows_copied": 2},
                           {"hold_id": "h2", "case_number": "HPD-2026-4", "owner_agency": 5,
                            "case_agency": 5, "rows_copied": 1}],
        "held_rows_released": 0, "plates_removed": 4, "images_deleted": 1,
        "policies": {"3": {"non_hit_s": 60}, "5": {"non_hit_s": 90}},
        "policy_set_hash": "sha256:22", "agencies": ["3", "5"],
    }  # fmt: skip


def test_an_agency_named_in_a_deletion_receipt_is_served_its_own_part() -> None:
    """Its auditor can check what was deleted of its reads and kept for its cases, and
    learns nothing of another owner's counts or case numbers."""
    mine = served(a_receipt(), Reader("hpd", 5))
    assert mine[0] is View.RECEIPT
    view = mine[1]
    assert (view["counts"], view["rows_deleted"]) == (
        [{"owner_id": 5, "day": "2026-03-01", "rows": 7}], 7)
    assert [h["hold_id"] for h in view["holds_honoured"]] == ["h2"]
    assert view["policies"] == {"5": {"non_hit_s": 90}}
    assert "FPD-2026-9" not in json.dumps(view) and '"3"' not in json.dumps(view)
    assert set(view) == documented_views()["receipt"]
    # the agency whose case a hold on another owner's reads serves sees that hold only
    case_agency = served(a_receipt(), Reader("fpd", 7))
    assert case_agency[0] is View.RECEIPT
    assert [h["hold_id"] for h in case_agency[1]["holds_honoured"]] == ["h1"]
    assert case_agency[1]["counts"] == [] and case_agency[1]["rows_deleted"] == 0
    # an agency the purge did not touch: the public summary
    assert served(a_receipt(), Reader("ucpd", 1))[0] is View.PUBLIC
