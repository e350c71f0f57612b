"""Attacks on supervisors' approvals of pattern-of-life (locate) searches, on supervision
samples, on cases and their reports, and on alarms — by someone who wants reads they
should not get, or wants to leave no trace of getting them.

The promises (docs/investigations.md, docs/cases.md, docs/reports.md, docs/audit.md):

- a locate of Minnesota data waits for a supervisor of the requester's agency, never the
  requester; the approval runs once, for its requester, for what was asked and logged in
  the request — plate, kind, legal basis, purpose, offense, case, reason and the window
  and places the search looks at — within its time; every request and decision is an
  entry, and a refused attempt changes nothing;
- another agency's approvals, cases, samples and alarms answer as if they did not exist;
- a case lists the searches its agency ran under its number — never a request that only
  waited — and its report lists counts and digests, never the reads;
- odd input gets a 4xx, never a 500.

World: two Minnesota cities (Minneapolis `mpd`, St Paul `spd`), each with two
investigators, two supervisors, an auditor, a dispatcher and an admin (`SLUG-SUFFIX`,
second factors on), one camera each near lat 39.41, lon -121.71 (places no other test
file reads at), and the reads of plates starting with ``QAC`` (unique per test).

A test marked ``xfail(strict=True)`` shows a hole the code still has; its reason says where.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from plateledger.api.app import create_app
from plateledger.catalog.approvals import search_approvals
from plateledger.settings import Settings
from tests.api.conftest import AgencyWorld, Seed, add_agencies, catalog_of, refuse_entries
from tests.factories import make_read, unique_plate

NOW = datetime.now(UTC).replace(microsecond=0)
ROLES = {"inv": ["investigator"], "inv2": ["investigator"], "sup": ["supervisor"],
         "sup2": ["supervisor"], "aud": ["auditor"], "disp": ["dispatcher"],
         "admin": ["admin"]}
SEAT = (39.41, -121.71)
BASIS = {"kind": "warrant", "number": "27-CR-26-4411", "court": "Hennepin County District Court"}
CASE = "26-QAC-001"
REASON = "arrest warrant for the driver of the getaway car in the QAC robbery"


@dataclass
class World(AgencyWorld):
    plate: str
    """Read by Minneapolis's camera: twice in the last day, three times 10 to 14 days ago."""
    read_ids: list[str]

    def call(self, method: str, user: str | None, path: str, body: Any = None) -> Any:
        headers = self.login(user) if user else {}
        return self.client.request(method, path, json=body, headers=headers)

    def locate(self, plate: str | None = None, **change: Any) -> dict[str, Any]:
        return {"kind": "locate", "params": {"plate": plate or self.plate},
                "purpose": "warrant", "case_number": CASE, "offense_type": "120",
                "legal_basis": BASIS, "reason": REASON, **change}

    def pending(self, user: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call("POST", user, "/v1/searches", body or self.locate())
        assert response.status_code == 202, response.text
        return dict(response.json())

    def decide(self, user: str, approval_id: str, verb: str = "approve",
               note: str = "warrant checked against the court record") -> Any:
        return self.call("POST", user, f"/v1/approvals/{approval_id}/{verb}", {"note": note})

    def approved(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request of `mpd-inv`, approved by `mpd-sup`."""
        pending = self.pending("mpd-inv", body)
        decided = self.decide("mpd-sup", pending["id"])
        assert decided.status_code == 200, decided.text
        return pending

    def status(self, approval_id: str) -> str:
        with self.client.app.state.catalog.engine.connect() as conn:  # type: ignore[attr-defined]
            return str(conn.execute(select(search_approvals.c.status).where(
                search_approvals.c.id == approval_id)).scalar_one())

    def log_size(self) -> int:
        return int(self.client.app.state.audit_log.size())  # type: ignore[attr-defined]

    def entry(self, index: int) -> dict[str, Any]:
        return dict(self.client.app.state.audit_log.entry(index).entry)  # type: ignore[attr-defined]

    def entries_since(self, size: int) -> list[dict[str, Any]]:
        return [self.entry(i) for i in range(size, self.log_size())]

    def moved(self, username: str, roles: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        """``username`` given ``roles``: the headers of the token held before (revoked by
        the change) and of one issued after."""
        held = self.login(username)
        with catalog_of(self.settings) as catalog:
            catalog.set_roles(username, roles)
            user = catalog.user_by_username(username)
            assert user is not None
            fresh = {"Authorization": f"Bearer {catalog.issue_token_record(user).raw}"}
        return held, fresh

    def refuse_entries(self) -> int:
        """The log still reads but refuses every new entry; its size then."""
        refuse_entries(self.client.app.state.catalog.engine)  # type: ignore[attr-defined]
        return self.log_size()


@pytest.fixture
def world(settings: Settings, seed: Seed) -> Iterator[World]:
    secrets: dict[str, str] = {}
    with catalog_of(settings) as catalog:
        ids = add_agencies(catalog, [("mpd", "Minneapolis PD", "municipal", "MN"),
                                     ("spd", "St Paul PD", "municipal", "MN")],
                           ROLES, secrets, at=SEAT)
    plate = unique_plate("QAC")[:8]
    reads = [make_read(plate, camera="mpd-cam-1", owner=ids["mpd"], state="MN", now=NOW,
                       minutes_ago=minutes, lat=SEAT[0] + 0.001, lon=SEAT[1] - 0.001)
             for minutes in (60, 120, 60 * 24 * 10, 60 * 24 * 12, 60 * 24 * 14)]
    with TestClient(create_app(settings)) as client:
        client.app.state.store.insert_reads(reads)  # type: ignore[attr-defined]
        yield World(client, settings, ids, secrets, plate, [str(r.read_id) for r in reads])


def assert_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()


def since(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


# -- approvals: what an approval runs ----------------------------------------------------


def test_an_approval_asked_for_a_short_window_does_not_run_over_a_longer_one(
    world: World,
) -> None:
    """Promise: the approval runs what was asked and logged in the request. Attack: ask
    for the last two days (the warrant's window, innocuous to approve), then run the
    approved locate over everything the store holds, or from a month back."""
    narrow = world.locate(params={"plate": world.plate, "since": since(2)})
    pending = world.approved(narrow)
    request = world.entry(pending["request_index"])
    assert datetime.fromisoformat(request["query"]["since"]) == NOW - timedelta(days=2)
    approval = {"approval_id": pending["id"]}
    for params in ({"plate": world.plate},
                   {"plate": world.plate, "since": since(30)},
                   {"plate": world.plate, "since": since(2), "cameras": ["spd-cam-1"]}):
        wider = world.call("POST", "mpd-inv", "/v1/searches",
                           world.locate(params=params, **approval))
        assert wider.status_code == 403, (params, wider.text)
        assert wider.json()["error"]["code"] == "approval_mismatch"
        assert "pattern" not in wider.json() and "mpd-cam-1" not in wider.text
        assert world.status(pending["id"]) == "approved"  # a failed try uses nothing up
    ran = world.call("POST", "mpd-inv", "/v1/searches", {**narrow, **approval})
    assert ran.status_code == 200, ran.text
    assert ran.json()["total"] == 2


def test_an_approval_runs_with_its_cameras_in_any_order_and_its_window_in_any_offset(
    world: World,
) -> None:
    """Promise: the approval runs what was asked, and only that — not only the same bytes.
    The cameras asked for in another order, and the same moment written with another UTC
    offset, are the same search; one camera fewer or more is not."""
    cams = ["mpd-cam-1", "spd-cam-1"]
    asked = world.locate(params={"plate": world.plate, "since": since(2), "cameras": cams})
    pending = world.approved(asked)
    moment = (NOW - timedelta(days=2)).astimezone(timezone(timedelta(hours=-6)))
    for cameras in (["mpd-cam-1"], [*cams, "mpd-cam-2"]):
        other = world.call("POST", "mpd-inv", "/v1/searches", world.locate(
            params={"plate": world.plate, "since": since(2), "cameras": cameras},
            approval_id=pending["id"]))
        assert other.status_code == 403, (cameras, other.text)
        assert other.json()["error"]["code"] == "approval_mismatch"
    ran = world.call("POST", "mpd-inv", "/v1/searches", world.locate(
        params={"plate": world.plate, "since": moment.isoformat(),
                "cameras": list(reversed(cams))},
        approval_id=pending["id"]))
    assert ran.status_code == 200, ran.text
    assert ran.json()["total"] == 2


def test_asking_again_for_a_wider_window_is_a_new_request_not_the_narrow_one_back(
    world: World,
) -> None:
    """Promise: the supervisors are not asked twice for the same search, and each request
    is what it says. Attack: while a two-day locate waits, ask for all the plate's reads:
    the answer must not be the two-day request (whose approval would then be taken for the
    wider one), but a request of its own, logged with its own window."""
    narrow = world.pending("mpd-inv", world.locate(params={"plate": world.plate,
                                                           "since": since(2)}))
    again = world.pending("mpd-inv", world.locate(params={"plate": world.plate,
                                                          "since": since(2)}))
    assert again["id"] == narrow["id"]
    wide = world.pending("mpd-inv")
    assert wide["id"] != narrow["id"]
    assert "since" not in world.entry(wide["request_index"])["query"]
    # the supervisor deciding sees which is which: each request's window, from its entry
    listed = world.call("GET", "mpd-sup", "/v1/approvals?status=pending")
    assert listed.status_code == 200, listed.text
    shown = {a["id"]: a["looks_at"] for a in listed.json()}
    assert datetime.fromisoformat(shown[narrow["id"]]["since"]) == NOW - timedelta(days=2)
    assert shown[wide["id"]] == {}


def test_an_approval_runs_the_legal_basis_it_was_asked_under_in_every_field(
    world: World,
) -> None:
    """Promise: an approval is bound to its warrant. Attack: the same warrant number under
    another court, or as a court order rather than a warrant."""
    pending = world.approved()
    for basis in ({**BASIS, "court": "Ramsey County District Court"},
                  {**BASIS, "kind": "court_order"}):
        used = world.call("POST", "mpd-inv", "/v1/searches",
                          world.locate(legal_basis=basis, approval_id=pending["id"]))
        assert used.status_code == 403, used.text
        assert used.json()["error"]["code"] == "approval_mismatch"
    assert world.status(pending["id"]) == "approved"


def test_an_approval_does_not_let_a_user_who_may_no_longer_search_run_it(
    world: World,
) -> None:
    """Promise: the search that uses an approval is decided like any other, per owner.
    Attack: the requester, moved to the auditors after the approval, runs it — with the
    token they held (revoked by the change) and with a new one. The first is refused and
    uses nothing up; the second is denied by the role pack for every owner."""
    pending = world.approved()
    held, fresh = world.moved("mpd-inv", ["auditor"])
    body = world.locate(approval_id=pending["id"])
    revoked = world.client.post("/v1/searches", headers=held, json=body)
    assert revoked.status_code == 401 and "mpd-cam-1" not in revoked.text
    assert world.status(pending["id"]) == "approved"
    used = world.client.post("/v1/searches", headers=fresh, json=body)
    assert used.status_code in (200, 403), used.text
    assert "mpd-cam-1" not in used.text
    if used.status_code == 200:
        answer = used.json()
        assert answer["total"] == 0 and answer["pattern"]["places"] == []
        assert all(not o["allowed"] and "role-search" in o["policy_ids"]
                   for o in answer["owners"])


def test_an_approval_runs_once_even_after_a_refused_second_try(world: World) -> None:
    """Promise: used once. Attack: run it, then run it again, then ask its status — it
    stays used, and the one search that ran names the decision it ran under."""
    pending = world.approved()
    body = world.locate(approval_id=pending["id"])
    first = world.call("POST", "mpd-inv", "/v1/searches", body)
    assert first.status_code == 200, first.text
    search = world.entry(first.json()["audit_index"])
    shown = world.call("GET", "mpd-inv", f"/v1/approvals/{pending['id']}").json()
    assert search["query"]["approval_index"] == shown["decision_index"]
    assert search["query"]["approved_by"] == "mpd-sup"
    again = world.call("POST", "mpd-inv", "/v1/searches", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_used"
    assert world.status(pending["id"]) == "used"


# -- approvals: who decides --------------------------------------------------------------


def test_a_request_past_its_time_cannot_be_approved_or_refused(world: World) -> None:
    """Promise: an approval stays open for its time only. Attack: a supervisor approves a
    request that waited past it (then, failing that, refuses it to tidy the list); no
    decision entry is written and the request stays as it was."""
    pending = world.pending("mpd-inv")
    engine = world.client.app.state.catalog.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(search_approvals).where(search_approvals.c.id == pending["id"])
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    size = world.log_size()
    for verb in ("approve", "refuse"):
        late = world.decide("mpd-sup", pending["id"], verb)
        assert late.status_code == 410, late.text
        assert late.json()["error"]["code"] == "approval_expired"
    assert world.log_size() == size
    assert world.status(pending["id"]) == "pending"
    used = world.call("POST", "mpd-inv", "/v1/searches",
                      world.locate(approval_id=pending["id"]))
    assert used.status_code == 410 and "pattern" not in used.json()


def test_a_request_of_a_user_since_disabled_cannot_be_approved(world: World) -> None:
    """Promise: an approval is for its requester to use. Attack: the requester is
    disabled (suspended while an inquiry runs); a supervisor who did not hear of it
    approves the waiting request, to be there, approved, the day the account is enabled
    again. It is refused as one nobody can use, with nothing decided or logged; refusing
    it (tidying the list) still works."""
    pending = world.pending("mpd-inv")
    with catalog_of(world.settings) as catalog:
        catalog.set_disabled("mpd-inv", True)
    size = world.log_size()
    decided = world.decide("mpd-sup", pending["id"])
    assert decided.status_code == 409, decided.text
    assert decided.json()["error"]["code"] == "requester_disabled"
    assert world.status(pending["id"]) == "pending"
    assert world.log_size() == size
    refused = world.decide("mpd-sup", pending["id"], "refuse", note="officer suspended")
    assert refused.status_code == 200 and refused.json()["status"] == "refused"


def test_a_supervisor_demoted_cannot_decide_with_any_token(world: World) -> None:
    """Promise: who is a supervisor is decided on each request, from the roles the user
    has now. Attack: a supervisor made an investigator approves a colleague's request with
    the token he held (revoked by the change) and with a new one."""
    pending = world.pending("mpd-inv")
    held, fresh = world.moved("mpd-sup", ["investigator"])
    size = world.log_size()
    for headers, status in ((held, 401), (fresh, 403)):
        response = world.client.post(f"/v1/approvals/{pending['id']}/approve",
                                     headers=headers, json={"note": "ok"})
        assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "not_a_supervisor"
    assert world.status(pending["id"]) == "pending" and world.log_size() == size


def test_a_supervisor_of_another_agency_under_the_same_law_cannot_decide_or_list(
    world: World,
) -> None:
    """Promise: a supervisor of the requester's agency decides; another agency's approval
    answers as one that does not exist. Attack: St Paul's supervisor — Minnesota too,
    bound by the same tracking rule — refuses, approves, reads and lists Minneapolis's
    request in every status, after it was approved and used."""
    pending = world.approved()
    world.call("POST", "mpd-inv", "/v1/searches", world.locate(approval_id=pending["id"]))
    size = world.log_size()
    for verb in ("approve", "refuse"):
        response = world.decide("spd-sup", pending["id"], verb)
        assert response.status_code == 404, response.text
        assert world.plate not in response.text
    assert world.call("GET", "spd-sup", f"/v1/approvals/{pending['id']}").status_code == 404
    assert world.log_size() == size
    for status in ("pending", "approved", "refused", "used", "expired", "all"):
        listed = world.call("GET", "spd-sup", f"/v1/approvals?status={status}")
        assert listed.status_code == 200 and listed.json() == [], (status, listed.text)


def test_a_fellow_investigator_lists_none_of_a_colleagues_approvals(world: World) -> None:
    """Promise: anyone who may run the search sees their own approvals only; supervisors
    see the agency's. Attack: a fellow investigator lists every status."""
    pending = world.approved()
    for status in ("pending", "approved", "all"):
        listed = world.call("GET", "mpd-inv2", f"/v1/approvals?status={status}")
        assert listed.status_code == 200 and listed.json() == [], listed.text
    supervisor = world.call("GET", "mpd-sup2", "/v1/approvals?status=all").json()
    assert [a["id"] for a in supervisor] == [pending["id"]]


def test_refused_attempts_to_decide_leave_no_entry_and_decisions_leave_one_each(
    world: World,
) -> None:
    """Promise: every decision is an entry written with it, naming the request it decides;
    a refused attempt changes nothing. Attack: the requester, a fellow investigator, the
    auditor, the dispatcher, the admin and another agency's supervisor each try first."""
    pending = world.pending("mpd-inv")
    size = world.log_size()
    for user in ("mpd-inv", "mpd-inv2", "mpd-aud", "mpd-disp", "mpd-admin", "spd-sup"):
        response = world.decide(user, pending["id"])
        assert response.status_code in (403, 404), (user, response.text)
    assert world.log_size() == size
    assert world.status(pending["id"]) == "pending"
    refused = world.decide("mpd-sup", pending["id"], "refuse", note="warrant names a van")
    assert refused.status_code == 200, refused.text
    [decision] = world.entries_since(size)
    assert decision == {**decision, "type": "search_approval_decision", "user": "mpd-sup",
                        "decision": "refused", "approval_id": pending["id"],
                        "requester": "mpd-inv", "note": "warrant names a van",
                        "request_index": pending["request_index"]}


def test_listing_or_reading_approvals_with_a_log_that_refuses_entries_serves_nothing(
    world: World,
) -> None:
    """Promise: each reading of approvals is logged first (`approval_read`). Attack: the
    log refuses new entries while the supervisor lists and reads the requests."""
    pending = world.pending("mpd-inv")
    size = world.refuse_entries()
    for path in ("/v1/approvals", "/v1/approvals?status=all", f"/v1/approvals/{pending['id']}"):
        response = world.call("GET", "mpd-sup", path)
        assert response.status_code == 503, (path, response.status_code, response.text)
        assert world.plate not in response.text and REASON not in response.text
    assert world.log_size() == size


# -- approvals: odd input ----------------------------------------------------------------


@pytest.mark.parametrize("approval_id", [
    "x" * 37, "' OR '1'='1", "%2e%2e%2fapprovals", "\u202e" + "0" * 35, "%00", "9" * 36,
])
def test_odd_approval_ids_get_a_4xx(world: World, approval_id: str) -> None:
    """Attack: ids too long, quoted, escaping their path, with controls or NULs."""
    for method, path in (("GET", f"/v1/approvals/{approval_id}"),
                         ("POST", f"/v1/approvals/{approval_id}/approve"),
                         ("POST", f"/v1/approvals/{approval_id}/refuse")):
        response = world.call(method, "mpd-sup", path, {"note": ""} if method == "POST"
                              else None)
        assert_4xx(response)
    used = world.call("POST", "mpd-inv", "/v1/searches", world.locate(approval_id=approval_id))
    assert_4xx(used)


@pytest.mark.parametrize("body", [
    {"note": "n" * 2001}, {"note": 7}, {"note": None}, {"note": "ok", "approve": True},
    {"note": ["a"]}, [], "note", None,
])
def test_odd_decision_bodies_get_a_4xx_and_decide_nothing(world: World, body: Any) -> None:
    pending = world.pending("mpd-inv")
    response = world.call("POST", "mpd-sup", f"/v1/approvals/{pending['id']}/approve", body)
    assert_4xx(response)
    assert world.status(pending["id"]) == "pending"


def test_an_approval_listing_takes_only_its_status_words(world: World) -> None:
    for status in ("PENDING", "pending' OR 1=1", "all,used", "", "x" * 5000):
        assert_4xx(world.call("GET", "mpd-sup", f"/v1/approvals?status={status}"))


# -- cases -------------------------------------------------------------------------------


def test_a_case_lists_the_locate_that_ran_and_never_a_request_that_only_waited(
    world: World,
) -> None:
    """Promise: a case's searches are the searches (and exports) its agency ran under its
    number. Attack: look in the case for the plates of requests that waited or were
    refused — a supervisor's refusal must not leave the plate in the case file as if it
    had been searched."""
    assert world.call("POST", "mpd-inv", "/v1/cases", {"number": CASE}).status_code == 201
    refused_plate = unique_plate("QAC")[:8]
    waiting_plate = unique_plate("QAC")[:8]
    refused = world.pending("mpd-inv", world.locate(refused_plate))
    assert world.decide("mpd-sup", refused["id"], "refuse").status_code == 200
    world.pending("mpd-inv", world.locate(waiting_plate))
    pending = world.approved()
    ran = world.call("POST", "mpd-inv", "/v1/searches", world.locate(approval_id=pending["id"]))
    assert ran.status_code == 200, ran.text
    shown = world.call("GET", "mpd-inv2", f"/v1/cases/{CASE}")
    assert shown.status_code == 200, shown.text
    [search] = shown.json()["searches"]
    assert (search["kind"], search["plate"], search["audit_index"]) == (
        "locate", world.plate, ran.json()["audit_index"])
    assert search["legal_basis"] == f"warrant {BASIS['number']} ({BASIS['court']})"
    assert refused_plate not in shown.text and waiting_plate not in shown.text


def test_a_case_report_names_no_read_the_searches_returned(world: World) -> None:
    """Promise: a report lists counts and digests, never the reads. Attack: a timeline of
    the plate under the case, then the report in every format — looking for read ids,
    cameras, coordinates or times of the reads."""
    assert world.call("POST", "mpd-inv", "/v1/cases", {"number": CASE}).status_code == 201
    timeline = world.call("POST", "mpd-inv", "/v1/searches", {
        "kind": "timeline", "params": {"plate": world.plate}, "purpose": "warrant",
        "legal_basis": BASIS,  # Minnesota tracking for a warrant names it (13.824 subd. 2)
        "case_number": CASE, "offense_type": "120", "reason": REASON})
    assert timeline.status_code == 200, timeline.text
    returned = [r["read_id"] for r in timeline.json()["results"]]
    assert sorted(returned) == sorted(world.read_ids)
    for fmt in ("json", "html", "pdf"):
        report = world.call("GET", "mpd-sup", f"/v1/cases/{CASE}/report?format={fmt}")
        assert report.status_code == 200, (fmt, report.text[:300])
        body = report.content.decode("latin-1")
        for read_id in world.read_ids:
            assert read_id not in body, fmt
        assert "mpd-cam-1" not in body and f"{SEAT[0] + 0.001:.3f}" not in body, fmt
    data = world.call("GET", "mpd-inv", f"/v1/cases/{CASE}/report?format=json").json()
    assert data["reads_listed"] is False
    [search] = data["searches"]
    assert (search["result_count"], search["returned"]) == (5, 5)


def test_another_agency_under_the_same_law_gets_no_case_report_and_leaves_no_entry(
    world: World,
) -> None:
    """Promise: another agency's case answers 404 in every form, as one that does not
    exist, and a refused request writes nothing. Attack: St Paul's supervisor and
    investigator read, report (each format), close and list Minneapolis's case."""
    world.call("POST", "mpd-inv", "/v1/cases", {"number": CASE, "title": "QAC robbery"})
    size = world.log_size()
    for user in ("spd-sup", "spd-inv"):
        for method, path, body in (
                ("GET", f"/v1/cases/{CASE}", None),
                ("PATCH", f"/v1/cases/{CASE}", {"status": "closed"}),
                *(("GET", f"/v1/cases/{CASE}/report?format={f}", None)
                  for f in ("json", "html", "pdf"))):
            response = world.call(method, user, path, body)
            assert response.status_code == 404, (user, path, response.text)
            assert response.json()["error"]["code"] == "no_such_case"
            assert "QAC robbery" not in response.text
        assert world.call("GET", user, "/v1/cases?status=open").json() == []
    assert world.log_size() == size


def test_a_refused_case_change_leaves_no_entry_and_each_change_one(world: World) -> None:
    """Promise: each open, close and reopen is one `case_change` entry written with it.
    Attack: close a closed case, reopen an open one, open one twice — refused, and the log
    does not grow — then close it once for real."""
    opened = world.call("POST", "mpd-inv", "/v1/cases", {"number": CASE})
    assert opened.status_code == 201
    size = world.log_size()
    for method, body in (("PATCH", {"status": "open"}), ("POST", {"number": CASE})):
        path = f"/v1/cases/{CASE}" if method == "PATCH" else "/v1/cases"
        assert world.call(method, "mpd-inv2", path, body).status_code == 409
    assert world.log_size() == size
    closed = world.call("PATCH", "mpd-sup", f"/v1/cases/{CASE}", {"status": "closed"})
    assert closed.status_code == 200
    [entry] = world.entries_since(size)
    assert entry == {**entry, "type": "case_change", "change": "close", "object_id": CASE}
    size = world.log_size()
    again = world.call("PATCH", "mpd-inv", f"/v1/cases/{CASE}", {"status": "closed"})
    assert again.status_code == 409 and world.log_size() == size


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/v1/cases/" + "C" * 65, None),
    ("GET", f"/v1/cases/{CASE}/report?format=xml", None),
    ("GET", f"/v1/cases/{CASE}/report?format=", None),
    ("GET", "/v1/cases?status=deleted", None),
    ("PATCH", f"/v1/cases/{CASE}", {"status": "deleted"}),
    ("PATCH", f"/v1/cases/{CASE}", {"status": "closed", "closed_by": "someone-else"}),
    ("PATCH", f"/v1/cases/{CASE}", []),
    ("POST", "/v1/cases", {"number": 26}),
    ("POST", "/v1/cases", {"number": "C" * 65}),
    ("POST", "/v1/cases", {"number": "26-1", "title": "t" * 201}),
    ("POST", "/v1/cases", {"number": "26-1", "agency": "spd"}),
    ("POST", "/v1/cases", {"number": "26-\u202e1"}),
    ("POST", "/v1/cases", {"number": "26-\x001"}),
    ("POST", "/v1/cases", "26-1"),
])
def test_odd_case_requests_get_a_4xx(world: World, method: str, path: str, body: Any) -> None:
    world.call("POST", "mpd-inv", "/v1/cases", {"number": CASE})
    assert_4xx(world.call(method, "mpd-inv", path, body))


# -- supervision -------------------------------------------------------------------------


def test_another_agencys_sample_cannot_be_read_or_signed_off_by_its_index(
    world: World,
) -> None:
    """Promise: a sample is its agency's. Attack: St Paul's supervisor, told the index of
    Minneapolis's sample, reads it and signs it off as all justified."""
    for _ in range(2):
        assert world.call("POST", "mpd-inv", "/v1/searches", {
            "kind": "exact", "params": {"plate": world.plate}, "purpose": "warrant",
            "case_number": CASE, "offense_type": "120",
            "reason": REASON}).status_code == 200
    drawn = world.call("POST", "mpd-sup", "/v1/supervision/samples", {"size": 2})
    assert drawn.status_code == 201, drawn.text
    sample = drawn.json()
    findings = {str(i["index"]): "justified" for i in sample["items"]}
    path = f"/v1/supervision/samples/{sample['sample']}"
    size = world.log_size()
    for user in ("spd-sup", "spd-aud"):
        shown = world.call("GET", user, path)
        assert shown.status_code == 404, shown.text
        signed = world.call("POST", user, f"{path}/review", {"findings": findings})
        assert signed.status_code == 404, signed.text
        assert "mpd-inv" not in shown.text + signed.text and REASON not in shown.text
    assert world.log_size() == size


def test_analytics_and_samples_show_a_plate_only_as_a_token(world: World) -> None:
    """Promise: a supervisor sees that a plate was searched again and again without seeing
    the plate. Attack: the operator searches one plate without a case number, often; the
    supervisor looks for the plate in the analytics and a sample."""
    for _ in range(3):
        assert world.call("POST", "mpd-inv", "/v1/searches", {
            "kind": "exact", "params": {"plate": world.plate}, "purpose": "warrant",
            "offense_type": "120", "reason": REASON}).status_code == 200
    analytics = world.call("GET", "mpd-sup", "/v1/supervision/operators")
    assert analytics.status_code == 200
    [operator] = analytics.json()["operators"]
    assert "same_plate_without_case" in operator["flags"]
    sample = world.call("POST", "mpd-sup", "/v1/supervision/samples", {"size": 3})
    assert sample.status_code == 201
    shown = world.call("GET", "mpd-aud", f"/v1/supervision/samples/{sample.json()['sample']}")
    for response in (analytics, sample, shown):
        assert world.plate not in response.text


@pytest.mark.parametrize("body", [
    {"findings": {str(i): "justified" for i in range(20_000)}},
    {"findings": {str(i): "justified" for i in range(10**12, 10**12 + 150)}},
    {"findings": {"1": "justified"}, "note": "n" * 2001},
    {"findings": {"1": "x" * 100_000}},
    {"findings": [], "note": ""},
    {"findings": {"1": "justified"}, "signed": False},
    {"findings": {"-1": "justified"}},
])
def test_odd_sign_offs_get_a_4xx_and_sign_nothing(world: World, body: dict[str, Any]) -> None:
    world.call("POST", "mpd-inv", "/v1/searches", {
        "kind": "exact", "params": {"plate": world.plate}, "purpose": "warrant",
        "case_number": CASE, "offense_type": "120", "reason": REASON})
    sample = world.call("POST", "mpd-sup", "/v1/supervision/samples", {"size": 1}).json()
    size = world.log_size()
    response = world.call("POST", "mpd-sup2",
                          f"/v1/supervision/samples/{sample['sample']}/review", body)
    assert_4xx(response)
    assert len(response.content) < 4096  # a refusal does not echo the body back
    assert world.log_size() == size


# -- alarms ------------------------------------------------------------------------------


def test_a_flagged_locate_request_alarms_its_own_agency_without_plate_case_or_warrant(
    world: World,
) -> None:
    """Promise: an alarm goes to the user's own agency and carries no plate, query, case
    number or reason text. Attack: a pattern-of-life request whose reason names an
    immigration detainer; read the alarm as the agency's admin, and as the other
    agency's supervisor."""
    reason = "ICE detainer for the driver, immigration hold"
    world.call("POST", "mpd-inv", "/v1/searches", world.locate(reason=reason))
    mine = world.call("GET", "mpd-admin", "/v1/alarms")
    assert mine.status_code == 200, mine.text
    alarms = mine.json()["alarms"]
    assert [(a["kind"], a["user"], a["agency"]) for a in alarms] == [
        ("flagged_reason", "mpd-inv", "mpd")]
    text_ = json.dumps(alarms)
    for secret in (world.plate, CASE, "detainer", BASIS["number"], BASIS["court"]):
        assert secret not in text_
    assert world.call("GET", "spd-sup", "/v1/alarms").json() == {"alarms": []}
    entry = world.entry(alarms[0]["index"])
    assert world.plate not in json.dumps(entry) and "detainer" not in json.dumps(entry)


@pytest.mark.parametrize("limit", ["0", "-1", "501", "abc", str(10**30), "1e3"])
def test_odd_alarm_limits_get_a_4xx(world: World, limit: str) -> None:
    assert_4xx(world.call("GET", "mpd-sup", f"/v1/alarms?limit={limit}"))


def test_those_who_may_not_follow_alarms_get_none(world: World) -> None:
    """Promise: alarms are for supervisors, auditors and admins (`role-view-alarms`).
    Attack: an investigator and a dispatcher, whose own searches raised the alarm."""
    world.call("POST", "mpd-inv", "/v1/searches", world.locate(reason="ICE detainer"))
    for user in ("mpd-inv", "mpd-disp"):
        for path in ("/v1/alarms", "/v1/alarms/stream"):
            response = world.call("GET", user, path)
            assert response.status_code == 403, (user, path, response.text)
            assert "flagged_reason" not in response.text
