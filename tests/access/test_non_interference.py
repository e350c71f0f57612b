"""Non-interference, route by route: whatever the requester's users receive is a function
of the data its decision allows and of nothing else.

Each Hypothesis example draws a world (requester class and state, owners in several
states, agreements, reads whose plates collide across owners, a hot list), runs the real
app over it twice — once with every owner's reads, once without the reads of the owners
that deny the requester every data action — and asks every route that reveals anything
derived from reads, as the requester's investigator, supervisor and auditor. The two runs
must answer alike, byte for byte once wall-clock times and generated ids are set aside.

`ROUTES` names every route of the app with the probe that covers it here, or why it
reveals nothing derived from reads; `test_every_route_is_accounted_for` fails when a route
is added without joining this suite.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, example, given, note, settings
from starlette.routing import Mount, Route

from plateledger.api.app import create_app
from plateledger.audit.tiles import Tile, split_entry_bundle
from plateledger.catalog.agencies import state_zone
from plateledger.read import derive_read_id
from plateledger.settings import Settings
from tests.access.world import (
    CASE,
    NOW,
    PURPOSE,
    REASON,
    Owner,
    Session,
    Sharing,
    World,
    normalise,
    observe,
    wall_clock_free,
    worlds,
)

ASK = {"purpose": PURPOSE, "case_number": CASE, "reason": REASON, "offense_type": "240"}
WINDOW = {"since": (NOW.replace(hour=0) - timedelta(days=4)).isoformat(),
          "until": NOW.isoformat()}


def searches(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    bodies = {
        "exact": {"plate": "7ABC123"},
        "wildcard": {"plate": "7A*"},
        "wildcard-suffix": {"plate": "*12?"},
        "fuzzy": {"plate": "7ABC123"},
        "area": {"cameras": [f"{o.slug}-cam" for o in world.owners] + ["req-cam"], **WINDOW},
    }
    for (name, params), (limit, offset) in itertools.product(
        bodies.items(), [(100, 0), (2, 0), (2, 2)]
    ):
        kind = name.split("-")[0]
        seen[f"POST /v1/searches {name} {limit}/{offset}"] = s.post(
            "investigator", "/v1/searches",
            {"kind": kind, "params": {**params, "limit": limit, "offset": offset}, **ASK})
    seen["GET /v1/searches"] = s.get("investigator", "/v1/searches", kind="fuzzy",
                                     plate="7ABC128", **ASK)
    # a later page asked with the first page's token: decided and answered as a page
    for name in ("exact", "wildcard", "area"):
        kind = name.split("-")[0]
        first = {"kind": kind, "params": {**bodies[name], "limit": 2, "offset": 0}, **ASK}
        status, page = s.post("investigator", "/v1/searches", first)
        if status == 200:
            later = {**first, "params": {**first["params"], "offset": 2},
                     "page_token": page["page_token"]}
            seen[f"POST /v1/searches {name} page 2 by token"] = s.post(
                "investigator", "/v1/searches", later)
    everywhere = {"shape": "box", "south": -90, "west": -180, "north": 90, "east": 180,
                  **WINDOW}
    investigations = {
        "timeline": {"params": {"plate": "7ABC123", **WINDOW}},
        "convoy": {"params": {"plate": "7ABC123", **WINDOW},
                   "convoy": {"window_seconds": 3600, "min_places": 1}},
        "stakeout": {"params": {}, "stakeout": {"areas": [everywhere], "min_areas": 1}},
        "attributes": {"params": {"plate": "7A*", **WINDOW}, "vehicle": {"color": "red"}},
        "locate": {"params": {"plate": "7ABC123", **WINDOW}, "legal_basis": {
            "kind": "warrant", "number": "25-SW-0042", "court": "Alameda County Superior Court"}},
    }
    for kind, body in investigations.items():
        seen[f"POST /v1/searches {kind}"] = s.post(
            "investigator", "/v1/searches", {"kind": kind, **body, **ASK})
    return seen


def proxies(s: Session, world: World) -> dict[str, Any]:
    """Searches a local officer runs for the federal unit, which no owner shares with: the
    answer may not depend on any owner's reads, not even the officer's own agency's."""
    seen: dict[str, Any] = {}
    for kind, plate in (("exact", "7ABC123"), ("wildcard", "7A*"), ("fuzzy", "7ABC123")):
        status, body = s.post("investigator", "/v1/searches", {
            "kind": kind, "params": {"plate": plate}, "requested_by": "fedunit", **ASK})
        seen[f"POST /v1/searches for fedunit {kind}"] = (status, body)
        if status == 200:
            assert (body["results"], body["candidates"], body["total"]) == ([], [], 0)
    return seen


def exports(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for fmt in ("csv", "ndjson"):
        status, body = s.post("investigator", "/v1/exports", {
            "kind": "wildcard", "params": {"plate": "7A*"}, "format": fmt, **ASK})
        text = body.decode() if isinstance(body, bytes) else body
        seen[f"POST /v1/exports {fmt}"] = (status, wall_clock_free(str(text)))
    return seen


def image_views(s: Session, world: World) -> dict[str, Any]:
    """Every read of every owner, asked for by id: a denied owner's read must answer as a
    read that does not exist."""
    seen: dict[str, Any] = {}
    everyone = [("req", world.own_reads)] + [(o.slug, o.reads) for o in world.owners]
    for slug, reads in everyone:
        for plate, minutes in reads:
            ts = NOW - timedelta(minutes=minutes)
            read_id = derive_read_id(f"{slug}-cam", ts, plate)
            seen[f"GET image {slug} {plate} {minutes}"] = s.get(
                "investigator", f"/v1/reads/{read_id}/images/plate", plate=plate, **ASK)
    return seen


def hits(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for user in ("investigator", "supervisor"):
        status, listed = s.get(user, "/v1/hits", limit=1000)
        seen[f"GET /v1/hits {user}"] = (status, _by_read(listed))
        seen[f"GET /v1/hits/stats {user}"] = s.get(user, "/v1/hits/stats")
        if status == 200:
            seen[f"GET /v1/hits/{{id}} {user}"] = sorted(
                str(normalise(_by_read([s.get(user, f"/v1/hits/{h['hit_id']}")[1]])))
                for h in listed)
    seen["GET /v1/webhooks/outbox"] = s.get("supervisor", "/v1/webhooks/outbox")
    seen["GET /v1/hotlists"] = s.get("supervisor", "/v1/hotlists")
    return seen


def _by_read(listed: Any) -> Any:
    if not isinstance(listed, list):
        return listed
    # Hits of one batch are stored in no set order: compare them as a set. A hit's own
    # expiry runs from when it was matched (wall-clock time).
    return sorted(({k: v for k, v in h.items() if k != "expires_at"} for h in listed),
                  key=lambda h: str(normalise(h)))


def policy(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    status, me = s.get("investigator", "/v1/me")
    seen["GET /v1/me"] = (status, me)
    for action in ("search_wildcard", "export", "view_image", "receive_alert"):
        seen[f"POST /v1/policy/explain {action}"] = s.post(
            "investigator", "/v1/policy/explain", {"action": action, **ASK})
    seen["GET /v1/policy/purposes"] = s.get("investigator", "/v1/policy/purposes")
    if isinstance(me, dict) and "agency_id" in me:
        seen["GET sharing"] = s.get("supervisor", f"/v1/agencies/{me['agency_id']}/sharing")
    return seen


DECLASSIFIED = "alert_withheld"
"""The one kind of entry that denied data causes, by design: each hot-list hit an owner's
law withheld is logged, at the end of its period, and counted in public (docs/audit.md).
The worlds' period is 31 days, so that none is appended while the probes run; the suite
sets aside any that is, and with it every log position and size that counts it."""


def _public_part(page: Any) -> Any:
    if isinstance(page, dict) and isinstance(page.get("entries"), list):
        kept = [e for e in page["entries"]
                if e.get("summary", {}).get("type") != DECLASSIFIED]
        return page | {"entries": kept}
    return page


EXPORT_VOLATILE = ("ID", "Search Time (UTC)", "Search Time (Local)", "Time Frame End",
                   "Leaf Index", "Inclusion Proof", "Checkpoint Size", "Policy Set")


def audit(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for user in ("auditor", "supervisor", None):
        for full in (None, 1):
            params = {"limit": 1000} | ({"full": full} if full else {})
            status, page = s.get(user, "/v1/audit/entries", **params)
            seen[f"GET /v1/audit/entries {user} {full}"] = (status, _public_part(page))
    status, public = s.get(None, "/v1/audit/entries", limit=1000)
    assert status == 200, public
    kept = _public_part(public)["entries"]
    for ordinal, item in enumerate(kept):
        for user, full in (("auditor", 1), (None, None)):
            params = {"full": full} if full else {}
            seen[f"GET /v1/audit/entries/{{index}} #{ordinal} {user}"] = s.get(
                user, f"/v1/audit/entries/{item['index']}", **params)
    for user in ("auditor", "supervisor", None):
        status, body = s.get(user, "/v1/audit/export", format="ndjson")
        rows = [json.loads(line) for line in body.decode().splitlines()] \
            if status == 200 and isinstance(body, bytes) else body
        if isinstance(rows, list):  # log positions, times and hashes differ run to run
            rows = [{k: v for k, v in row.items() if k not in EXPORT_VOLATILE}
                    for row in rows]
        seen[f"GET /v1/audit/export {user}"] = (status, rows)
        status, page = s.get(user, "/v1/audit/export", format="json", decision="denied",
                             limit=3)
        if isinstance(page, dict) and isinstance(page.get("rows"), list):
            page = {**page, "rows": [{k: v for k, v in row.items() if k not in EXPORT_VOLATILE}
                                     for row in page["rows"]]}
        seen[f"GET /v1/audit/export json page {user}"] = (status, page)
    status, counts = s.get(None, "/v1/audit/counts")
    if isinstance(counts, dict):
        counts = {k: v for k, v in counts.items() if "withheld" not in k}
        counts.get("by_type", {}).pop(DECLASSIFIED, None)
    seen["GET /v1/audit/counts"] = (status, counts)
    for user in ("supervisor", "auditor"):
        seen[f"GET /v1/alarms {user}"] = s.get(user, "/v1/alarms")
    status, checkpoint = s.get(None, "/v1/audit/checkpoint")
    seen["GET /v1/audit/checkpoint"] = (status, str(checkpoint).splitlines()[:1])
    for user in ("auditor", "supervisor", None):
        seen[f"GET /v1/audit/tlog/tile/entries {user}"] = _bundles(s, user)
    return seen


def _bundles(s: Session, user: str | None) -> Any:
    """Every entry bundle of the log as ``user`` is served it: the statuses met, and the
    entries of the bundles served (the withheld-hit ones set aside, see DECLASSIFIED)."""
    status, note = s.get(None, "/v1/audit/tlog/checkpoint")
    assert status == 200, note
    size = int(str(note).splitlines()[1])
    statuses, entries = set(), []
    for first in range(0, size, 256):
        path = Tile(-1, first // 256, min(256, size - first)).path()
        status, body = s.get(user, f"/v1/audit/tlog/{path}")
        statuses.add(status)
        if status == 200 and isinstance(body, bytes):
            entries += [e for e in map(json.loads, split_entry_bundle(body))
                        if e.get("type") != DECLASSIFIED]
    return sorted(statuses), entries


# Counted on purpose, never a function of the requester's decision: hits withheld from the
# requester (as in /v1/audit/counts), what each owner's own cameras detected (the owner
# publishes it, docs/transparency.md; in a report, the elements taken from the read store
# and the hit records, always of the report's own agency), and the log's size and head
# (withheld hits are entries too).
PUBLISHED_BY_OWNER = ("withheld", "vehicles_detected", "hit_ratio", "checkpoint",
                      "log_size", "generated_at")
WITHHELD_FIGURES = ("withheld_alerts_by_list_class", "databases_compared")
OWN_SOURCES = ("read store", "hit records")


def _published(value: Any) -> Any:
    if isinstance(value, dict) and value.get("source") in OWN_SOURCES:
        return None
    if isinstance(value, dict):
        if isinstance(value.get("figure"), dict) \
                and value["figure"].get("name") in WITHHELD_FIGURES:
            return None
        return {k: _published(v) for k, v in value.items()
                if not any(word in k for word in PUBLISHED_BY_OWNER)
                and k not in WITHHELD_FIGURES}
    if isinstance(value, list):
        return [_published(v) for v in value]
    return value


def transparency(s: Session, world: World) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    seen["GET /v1/transparency/agencies"] = s.get(None, "/v1/transparency/agencies")
    seen["GET /v1/reports"] = s.get(None, "/v1/reports")
    for slug in ["req", *(o.slug for o in world.owners)]:
        status, body = s.get(None, f"/v1/transparency/agencies/{slug}")
        assert status == 200, body
        seen[f"GET /v1/transparency/agencies/{{slug}} {slug}"] = (status, _published(body))
        for figure in ("searches_by_day", "searches_by_purpose", "partners"):
            seen[f"GET /v1/transparency/agencies/{{slug}}/figures/{{figure}} {slug} {figure}"] \
                = s.get(None, f"/v1/transparency/agencies/{slug}/figures/{figure}",
                        format="csv")
        for code in ("ca-policy", "va-annual", "or-monthly", "mn-audit", "vt-annual",
                     "nh-annual"):
            today = NOW.date().isoformat()
            status, body = s.get(None, f"/v1/reports/{code}", agency=slug,
                                 start=(NOW.date() - timedelta(days=7)).isoformat(), end=today)
            seen[f"GET /v1/reports/{{code}} {slug} {code}"] = (status, _published(body))
        status, page = s.get(None, f"/transparency/{slug}")
        seen[f"GET /transparency/{{slug}} {slug}"] = (status, _page_published(str(page)))
    return seen


_OWNER_PUBLISHED_HTML = re.compile(
    r'<dd id="f-(detected|ratio|withheld)">.*?</dd>|<pre id="portal-checkpoint">.*?</pre>'
    r'|<table id="fig-withheld_alerts_by_list_class">.*?</table>'
    r"|at \d{4}-\d\d-\d\d \d\d:\d\d UTC", re.DOTALL)


def _page_published(html: str) -> str:
    """The portal page less what `_published` leaves out of its JSON."""
    return _OWNER_PUBLISHED_HTML.sub("<published>", html)


def supervision(s: Session, world: World) -> dict[str, Any]:
    """The analytics in full; of a random sample, what does not depend on the draw."""
    seen: dict[str, Any] = {}
    for user in ("supervisor", "auditor", "investigator"):
        status, body = s.get(user, "/v1/supervision/operators")
        if isinstance(body, dict):
            body.pop("audit_index", None)
        seen[f"GET /v1/supervision/operators {user}"] = (status, body)
    status, drawn = s.post("supervisor", "/v1/supervision/samples", {"size": 3})
    assert status == 201, drawn
    seen["POST /v1/supervision/samples"] = (status, drawn["pool"], len(drawn["items"]))
    path = f"/v1/supervision/samples/{drawn['sample']}"
    status, shown = s.get("auditor", path)
    seen["GET /v1/supervision/samples/{sample}"] = (  # the draw is random: not its items
        status, sorted(i["purpose"] for i in shown["items"]))
    findings = {str(i["index"]): "justified" for i in drawn["items"]}
    status, signed = s.post("supervisor", f"{path}/review", {"findings": findings})
    seen["POST /v1/supervision/samples/{sample}/review"] = (status, signed.get("counts"))
    return seen


PROBES = (searches, proxies, exports, image_views, hits, policy, audit, transparency,
          supervision)


def denied_everything(world: World) -> list[str]:
    """Owners no data action of the requester may reach: no agreement, or an agreement the
    requester's class or state cannot use under the owner's packs (California data to a
    federal or out-of-state unit, Virginia data to anyone outside Virginia)."""
    denied = []
    for owner in world.owners:
        foreign = owner.state != world.requester_state
        federal = world.requester_kind == "federal"
        packs_forbid = (owner.state in ("CA", "VA") and (foreign or federal))
        if owner.sharing is None or packs_forbid:
            denied.append(owner.slug)
    return denied


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds())
@example(world=World(  # the first wave's finding: a federal unit, California owners
    requester_state="CA", requester_kind="federal",
    owners=(
        Owner("owner0", "CA", "municipal",
              Sharing(("search", "export", "alert"), True, None, None, False),
              (("7ABC123", 30), ("7ABC128", 90), ("7A8C123", 200))),
        Owner("owner1", "NV", "municipal",
              Sharing(("search", "export", "alert"), True, 1, 2, True),
              (("7ABC123", 60), ("7AXY900", 120), ("7ABC123", 2000))),
        Owner("owner2", "IL", "county", None, (("7ABC128", 45), ("8ABC123", 400))),
    ),
    own_reads=(("7ABC123", 10),), hotlist=("7ABC123", "7ABC128"),
))
def test_a_denied_owners_reads_change_no_answer(
    world: World, tmp_path_factory: Any, store_path: Path
) -> None:
    denied = set(denied_everything(world))
    note(f"owners denied every data action: {sorted(denied)}")
    everyone = {o.slug for o in world.owners}
    # Per-day figures count by each agency's local day: a pair of runs that straddles a
    # local midnight would differ by the clock, not by a denied owner's reads. Observe the
    # pair again when any agency's local date turned during it (once is enough: runs take
    # seconds, and midnights in the world's zones are at least an hour apart).
    for _ in range(2):
        days = local_days(world)
        with_denied = observe(world, tmp_path_factory.mktemp("w"), store_path,
                              present=everyone, probes=PROBES)
        without = observe(world, tmp_path_factory.mktemp("w"), store_path,
                          present=everyone - denied, probes=PROBES)
        if local_days(world) == days:
            break
    assert with_denied.keys() == without.keys()
    differing = {key: first_difference(with_denied[key], without[key])
                 for key in with_denied if with_denied[key] != without[key]}
    assert not differing, f"answers depend on a denied owner's reads: {differing}"


def local_days(world: World) -> dict[str, date]:
    """Today's date in the zone of each of the world's agencies."""
    states = {world.requester_state, "CA", *(o.state for o in world.owners)}
    return {state: datetime.now(ZoneInfo(state_zone(state))).date() for state in states}


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two answers part, for the failure message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path or '.'}: {str(a)[:400]} != {str(b)[:400]}"


def _routes(app: FastAPI) -> set[str]:
    found: set[str] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            if isinstance(route, APIRoute | Route):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    found.add(f"{method} {route.path}")
            elif isinstance(route, Mount):
                found.add(f"MOUNT {route.path}")
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(app.routes)
    return found


ROUTES: dict[str, str] = {
    # Routes that reveal reads or anything derived from them: each names its probe.
    "POST /v1/searches": "searches",
    "GET /v1/searches": "searches",
    "POST /v1/federation/searches": "a partner node's signed search of any kind, decided per owner "
    "by the same gate as POST /v1/searches and logged; only allowed owners' reads "
    "(tests/federation/test_searches.py)",
    "POST /v1/federation/exports": "a partner node's signed export, decided per owner as "
    "`export` by the same gate as POST /v1/exports and logged; a denied owner's read "
    "changes no byte of it (tests/federation/test_searches.py), only allowed owners' reads "
    "(tests/federation/test_exports.py, tests/federation/test_kinds.py)",
    "POST /v1/federation/hits": "a partner node's signed hit on a list this node shared "
    "with it, decided by the partner's gate; stored for the list's owner only and answered "
    "with the entry index alone (tests/federation/test_shared_hotlists.py)",
    "POST /v1/federation/hotlists": "a partner node's signed list, stored under its remote "
    "agency; answered with counts and an entry index, no read data "
    "(tests/federation/test_shared_hotlists.py)",
    "POST /v1/hotlists/{list_id}/shares": "write: the caller's own list; no read data",
    "GET /v1/hotlists/{list_id}/shares": "the caller's own list's shares: no read data",
    "DELETE /v1/hotlists/{list_id}/shares/{node}": "write: the caller's own list",
    "POST /v1/exports": "exports",
    "GET /v1/reads/{read_id}/images/{kind}": "image_views",
    "GET /v1/hits": "hits",
    "GET /v1/hits/stats": "hits",
    "GET /v1/hits/{hit_id}": "hits",
    "GET /v1/webhooks/outbox": "hits",
    "GET /v1/hotlists": "hits",
    "GET /v1/me": "policy",
    "POST /v1/policy/explain": "policy",
    "GET /v1/policy/purposes": "policy",
    "GET /v1/agencies/{agency_id}/sharing": "policy",
    "GET /v1/audit/entries": "audit",
    "GET /v1/audit/checkpoint": "audit",
    "GET /v1/audit/entries/{index}": "audit",
    "GET /v1/audit/counts": "audit",
    "GET /v1/audit/export": "audit",
    "GET /v1/alarms": "audit",
    "GET /v1/alarms/stream": "the same alarms as GET /v1/alarms, live (tests/access)",
    "GET /v1/transparency/agencies": "transparency",
    "GET /v1/transparency/agencies/{slug}": "transparency",
    "GET /v1/transparency/agencies/{slug}/figures/{figure}": "transparency",
    "GET /v1/reports": "transparency",
    "GET /v1/reports/{code}": "transparency",
    "GET /v1/supervision/operators": "supervision",
    "POST /v1/supervision/samples": "supervision",
    "GET /v1/supervision/samples/{sample}": "supervision",
    "POST /v1/supervision/samples/{sample}/review": "supervision",
    # Writes: each only ever adds to or changes the caller's own agency's data.
    "POST /v1/reads": "write: a key adds reads of its own agency (tests/api/test_ingest_http.py)",
    "POST /v1/reads/{format_name}": "write: as POST /v1/reads",
    "POST /v1/ingest/{credential}/{format_name}": "write: as POST /v1/reads, one camera "
    "of the URL's agency; the credential opens nothing else (tests/api/test_reads_ingest_url.py)",
    "POST /v1/images": "write: as POST /v1/reads",
    "POST /v1/recognize/box": "reads only the caller's upload; stores and reveals nothing",
    "POST /v1/hotlists": "write: the caller's own list",
    "POST /v1/hotlists/import": "write: the caller's own list",
    "DELETE /v1/hotlists/{list_id}": "write: the caller's own list",
    "GET /v1/hotlists/{list_id}/entries": "the caller's own list's entries: no read data",
    "POST /v1/hotlists/{list_id}/entries": "write: the caller's own list",
    "DELETE /v1/hotlists/{list_id}/entries/{entry_id}": "write: the caller's own list",
    "POST /v1/hotlists/{list_id}/entries/{entry_id}/expire": "write: the caller's own list",
    "POST /v1/hits/{hit_id}/disposition": "write: a hit already delivered to the caller",
    "GET /v1/webhooks": "the caller's own subscriptions: no read data",
    "POST /v1/webhooks": "the caller's own subscriptions: no read data",
    "PATCH /v1/webhooks/{subscription_id}": "the caller's own subscriptions: no read data",
    "DELETE /v1/webhooks/{subscription_id}": "the caller's own subscriptions: no read data",
    "POST /v1/webhooks/outbox/{item_id}/retry": "the caller's own deliveries",
    "GET /v1/alerts/stream": "the same hits as GET /v1/hits, live (tests/hotlist/test_api.py)",
    "POST /v1/retention/run": "admin: purges by the owners' own clocks",
    "GET /v1/retention/policies": "clocks of agencies, no read data",
    "GET /v1/retention/holds": "the caller's own agency's holds",
    "POST /v1/retention/holds": "write: holds on the caller's own agency's reads",
    "POST /v1/retention/holds/{hold_id}/release": "write: the caller's own hold",
    "GET /v1/audit/key": "the log's public key",
    "GET /v1/offense-types": "a fixed list shipped with the package: no read data",
    "GET /v1/approvals": "pattern-of-life requests of the caller's own agency: what was "
    "asked, never what was found (tests/api/test_approvals_http.py)",
    "GET /v1/approvals/{approval_id}": "as GET /v1/approvals",
    "POST /v1/approvals/{approval_id}/approve": "write: a supervisor's decision on a request "
    "of the caller's own agency; no read data",
    "POST /v1/approvals/{approval_id}/refuse": "as POST /v1/approvals/{approval_id}/approve",
    "GET /v1/admin/search-rules": "admin of the caller's own agency",
    "GET /v1/cases": "the caller's own agency's case numbers and titles: no read data",
    "POST /v1/cases": "write: a case of the caller's own agency",
    "PATCH /v1/cases/{number}": "write: a case of the caller's own agency",
    "GET /v1/cases/{number}": "the caller's own agency's search entries under a case: the "
    "counts and digests its searches' decisions allowed, as logged (tests/access/test_cases.py)",
    "GET /v1/cases/{number}/report": "as GET /v1/cases/{number}, with inclusion proofs "
    "(tests/api/test_cases_http.py)",
    "PUT /v1/admin/search-rules": "admin of the caller's own agency",
    "GET /v1/audit/proof/inclusion": "hashes of entries the caller may already hold",
    "GET /v1/audit/proof/consistency": "hashes of tree heads",
    "GET /v1/audit/tlog/checkpoint": "the checkpoint of GET /v1/audit/checkpoint with its "
    "witnesses' cosignatures: a tree head, no read data (tests/audit/test_tiles.py)",
    "GET /v1/audit/tlog/tile/{path:path}": "hashes of entries, as the proofs "
    "(tests/audit/test_tiles.py)",
    "GET /v1/audit/tlog/tile/entries/{path:path}": "audit",
    "POST /v1/audit/tlog/cosignatures": "write: a trusted witness's cosignature of a "
    "checkpoint; no read data (tests/audit/test_witness_protocol.py)",
    "POST /v1/witness/add-checkpoint": "write: another log's checkpoint, cosigned; no read "
    "data (tests/audit/test_witness_protocol.py)",
    "GET /v1/witness/status": "partners' checkpoints as this node's witness holds them: "
    "tree heads, no read data (tests/federation/test_cross_witness.py)",
    "POST /v1/auth/token": "a login: the caller's own token",
    "POST /v1/auth/logout": "a logout: the caller's own token",
    "GET /v1/admin/agency": "admin of the caller's own agency",
    "GET /v1/admin/users": "admin of the caller's own agency",
    "POST /v1/admin/users": "admin of the caller's own agency",
    "POST /v1/admin/users/{username}/unlock": "admin of the caller's own agency",
    "POST /v1/admin/users/{username}/revoke-tokens": "admin of the caller's own agency",
    "GET /v1/admin/cameras": "admin of the caller's own agency",
    "GET /v1/admin/quarantine": "admin of the caller's own agency: what its own credentials "
    "sent; another agency's items are never listed (tests/api/test_quarantine_http.py)",
    "POST /v1/admin/quarantine/{item_id}/replay": "write: an item of the caller's own agency, "
    "stored as its own read, whole or (partial=true) in part, the reads left out named "
    "with plates as tokens (tests/api/test_quarantine_http.py, "
    "tests/api/test_ingest_refused_versions.py)",
    "POST /v1/admin/quarantine/{item_id}/discard": "write: an item of the caller's own agency",
    "PUT /v1/admin/quarantine/credentials/{kind}/{prefix}": "write: a credential of the "
    "caller's own agency",
    "GET /v1/admin/camera-aliases": "admin of the caller's own agency",
    "POST /v1/admin/camera-aliases": "write: an alias to a camera of the caller's own agency",
    "DELETE /v1/admin/camera-aliases/{source_format}/{external_key}": "write: the caller's "
    "own agency's alias",
    "GET /v1/basemap": "the caller's own agency's cameras, their hull, zones and seat: no "
    "read data (tests/web/test_workspace.py, tests/web/test_basemap.py)",
    "GET /v1/basemap/tiles.pmtiles": "the operator's PMTiles map file: map data, no read "
    "data (tests/web/test_workspace.py)",
    "POST /v1/admin/cameras": "admin of the caller's own agency",
    "GET /v1/admin/keys": "admin of the caller's own agency",
    "POST /v1/admin/keys": "admin of the caller's own agency",
    "DELETE /v1/admin/keys/{prefix}": "admin of the caller's own agency",
    "GET /v1/admin/agreements": "admin of the caller's own agency",
    "POST /v1/admin/agreements": "admin of the caller's own agency",
    "DELETE /v1/admin/agreements/{agreement_id}": "admin of the caller's own agency",
    "GET /v1/admin/zones": "admin of the caller's own agency",
    "POST /v1/admin/zones": "admin of the caller's own agency",
    "DELETE /v1/admin/zones/{zone_id}": "admin of the caller's own agency",
    "PATCH /v1/admin/agency": "admin of the caller's own agency",
    "GET /v1/admin/sharing-preset": "admin of the caller's own agency",
    "PUT /v1/admin/sharing-preset": "admin of the caller's own agency",
    "GET /v1/admin/declarations": "admin of the caller's own agency",
    "DELETE /v1/admin/declarations/{declaration_id}": "admin of the caller's own agency",
    "PUT /v1/admin/users/{username}/acting-for": "admin of the caller's own agency",
    "PUT /v1/admin/users/{username}/roles": "admin of the caller's own agency",
    "GET /openapi.json": "the schema",
    "GET /docs": "the schema",
    "GET /docs/oauth2-redirect": "the schema",
    "GET /redoc": "the schema",
    "MOUNT /static": "files shipped with the package",
    "GET /": "a page shell: data comes from the API routes above",
    "GET /login": "a page shell",
    "GET /search": "a page shell: data comes from the API routes above",
    "GET /workspace": "a page shell: data comes from the API routes above",
    "GET /reads/{read_id}": "a page shell: data comes from the API routes above",
    "GET /cameras": "a page shell: data comes from the API routes above",
    "GET /alerts": "a page shell: data comes from the API routes above",
    "GET /hotlists": "a page shell: data comes from the API routes above",
    "GET /audit": "a page shell: data comes from the API routes above",
    "GET /transparency": "public page (tests/web): searches by agency, released/denied",
    "GET /transparency/{slug}": "transparency",
    "GET /reports": "a page shell: the statutes and links to GET /v1/reports/{code}",
    "GET /supervision": "a page shell: data comes from the API routes above",
    "GET /cases": "a page shell: data comes from the API routes above",
    "GET /approvals": "a page shell: data comes from the API routes above",
    "GET /cases/{number}": "a page shell: data comes from the API routes above",
}


def test_every_route_is_accounted_for(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, store_path=tmp_path / "s",
                              secret_key="k" * 32))
    routes = _routes(app)
    assert sorted(routes - ROUTES.keys()) == [], "a route joined the app but not this suite"
    assert sorted(ROUTES.keys() - routes) == [], "a route left the app but not this suite"
    probes = {p.__name__ for p in PROBES}
    assert {v for v in ROUTES.values() if " " not in v} <= probes
