"""A real audit log filled with the entries the platform writes (searches, exports, alert
deliveries, withheld hits, alarms, zone drops, reviews, hit dispositions), for recomputing
public figures and report figures from the entries themselves."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine

from plateledger.audit import AuditLog, new_entry, search_entry
from plateledger.audit.changes import change_entry
from plateledger.audit.changes import who as actor

AGENCIES = {"ucpd": "municipal", "fpd": "municipal", "sheriff": "county",
            "ice-ero": "federal", "chp": "state"}
PURPOSES = ("stolen_vehicle", "missing_person", "homicide", "other")
OFFENSES = ("240", "09A", "13A", None)
CLASSES = ("ncic_stolen_vehicle", "state_warrant", "local", "ncic_immigration_violator")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FINDINGS = ("confirmed", "confirmed", "misread", "wrong_state", "dismissed")
ACTIONS = ("none", "stop", "warning", "citation", "arrest", "vehicle_recovered",
           "person_located")
NOTE = "stopped 7ABC123 near Main St, driver J. Doe"


def entries(seed: int, count: int = 400) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    slugs = list(AGENCIES)
    for _ in range(count):
        at = NOW - timedelta(days=rng.randint(0, 420), minutes=rng.randint(0, 1439))
        kind = rng.choice(["search", "search", "search", "export", "alert_delivery",
                           "alert_withheld", "alarm", "zone_drop", "search_review",
                           "hit_disposition"])
        who = rng.choice(slugs)
        owners = rng.sample(slugs, rng.randint(1, len(slugs)))
        allowed = [o for o in owners if rng.random() < 0.6]
        denied = [{"agency": o, "policy_ids": ["rule-x"]} for o in owners if o not in allowed]
        if kind in ("search", "export"):
            e = search_entry(
                user=f"{who}.officer{rng.randint(1, 4)}", agency=who, requested_by_agency=who,
                purpose=rng.choice(PURPOSES),
                case_number=rng.choice([None, "CASE-1"]), kind="exact",
                query={"plate": rng.choice(["7ABC123", "8XYZ999"])},
                owners_allowed=allowed, owners_denied=denied,
                result_count=rng.randint(0, 9), result_digest="d", policy_set_hash="h")
            e["type"] = kind
            offense = rng.choice(OFFENSES)
            if offense:
                e["offense_type"] = offense
        elif kind == "alert_delivery":
            e = new_entry(kind, hit_id=1, agency=who, owner_agency=rng.choice(slugs),
                          list_id=1, category=rng.choice(["stolen_vehicle", "warrant"]),
                          list_class=rng.choice(CLASSES), match_kind="exact",
                          read_id="r", policy_ids=[])
        elif kind == "alert_withheld":
            e = new_entry(kind, read_owner=rng.choice(slugs), list_owner=who,
                          list_class=rng.choice(CLASSES), policy_ids=["rule-y"])
        elif kind == "alarm":
            e = new_entry(kind, kind_=None, agency=who)
            e["kind"] = rng.choice(["denial_burst", "flagged_reason"])
            del e["kind_"]
        elif kind == "zone_drop":
            e = new_entry(kind, owner_agency=who, counts={"wa-sb6002": rng.randint(1, 5)})
        elif kind == "hit_disposition":
            finding = rng.choice(FINDINGS)
            action = rng.choice(ACTIONS) if finding == "confirmed" else "none"
            e = change_entry(kind, actor(f"{who}.officer1", 1), object="hit",
                             object_id=f"hit-{rng.randint(1, 40)}", change="disposition",
                             agency=who, owner_agency=who, list_id=1, before=None,
                             after={"disposition": finding, "action": action, "note": NOTE})
        else:
            e = new_entry(kind, agency=who, user=f"{who}.sup", sample=[1, 2])
        e["time"] = at.isoformat().replace("+00:00", "Z")
        yield e


def busy_days(seed: int, days: int = 6) -> Iterator[dict[str, Any]]:
    """Days on which each agency searched often (16 to 24 times, about half for 240 and
    half for 09A, about half with a case number): the spread-out entries above leave each
    agency a search or two a day, and counts a search's public summary leaves out are
    published only in day cells of at least five among at least five others
    (`plateledger.transparency.disclosure`)."""
    rng = random.Random(seed)
    for back in rng.sample(range(0, 40), days):
        day = NOW - timedelta(days=back)
        for who in AGENCIES:
            for _ in range(rng.randint(16, 24)):
                e = search_entry(
                    user=f"{who}.officer1", agency=who, requested_by_agency=who,
                    purpose="stolen_vehicle", case_number="CASE-2" if rng.random() < 0.5
                    else None, kind="exact", query={"plate": "7ABC123"},
                    owners_allowed=[who], owners_denied=[], result_count=1,
                    result_digest="d", policy_set_hash="h")
                e["offense_type"] = "240" if rng.random() < 0.5 else "09A"
                at = day.replace(hour=rng.randint(0, 23), minute=rng.randint(0, 59))
                e["time"] = at.isoformat().replace("+00:00", "Z")
                yield e


def filled_log(tmp_path: Any, seed: int = 7, count: int = 400, busy: int = 0) -> AuditLog:
    """A log of ``count`` entries spread over 420 days before `NOW`, and ``busy`` busy
    days (`busy_days`)."""
    log = AuditLog(create_engine(f"sqlite:///{tmp_path / f'log{seed}.sqlite'}"), signer=None)
    log.create_tables()
    made = [*entries(seed, count), *busy_days(seed, busy)] if busy else entries(seed, count)
    log.append_many(sorted(made, key=lambda e: e["time"]))
    return log


def raw(log: AuditLog) -> list[dict[str, Any]]:
    """Every entry of ``log`` as stored."""
    out: list[dict[str, Any]] = []
    while len(out) < log.size():
        out += [r.entry for r in log.entries(len(out), 500)]
    return out


def published(
    es: list[dict[str, Any]], value: Callable[[dict[str, Any]], Any], since: datetime,
    until: datetime, now: datetime,
) -> tuple[dict[Any, int], int]:
    """What a figure of the window ``[since, until)`` made at ``now`` may publish of entries
    ``es`` by ``value`` (docs/transparency.md, *Counts the public summary leaves out*):
    entries counted per UTC day, entry type and value (a later page of a search in none); a count is
    shown where its day has ended and lies wholly in the window, and it and the rest of its
    day's entries of that type each hold five or more; and how many entries that leaves
    out."""
    cells: Counter[tuple[date, Any, Any]] = Counter()
    left = 0
    for e in es:
        if e.get("page_of"):  # a later page of a search is in no cell
            left += 1
            continue
        at = datetime.fromisoformat(e["time"].replace("Z", "+00:00")).astimezone(UTC)
        cells[(at.date(), e["type"], value(e))] += 1
    whole: Counter[tuple[date, Any]] = Counter()
    for (day, kind, _), n in cells.items():
        whole[(day, kind)] += n
    shown: Counter[Any] = Counter()
    for (day, kind, key), n in cells.items():
        begins = datetime(day.year, day.month, day.day, tzinfo=UTC)
        ends = begins + timedelta(days=1)
        if since <= begins and ends <= min(until, now) and n >= 5 and whole[(day, kind)] - n >= 5:
            shown[key] += n
        else:
            left += n
    return dict(shown), left
