"""Statutory reports: one generator per statute, each element citing the provision that
asks for it, each figure computed from the public facts of the audit log.

A report is made of `Element` s: a figure computed from the log (``source="audit log"``),
from the reads the read store holds (``"read store"``: when and where the agency's readers
collected, how many plates) or from the hit records (``"hit records"``: matches per
device), or a fact of the agency's configuration (its purposes, custodian, retention clock,
law packs — ``source="configuration"``), or what the system does not record (``source="not
recorded"``, said plainly rather than guessed). Every ``audit log`` figure is recomputed from
the entries in tests/transparency, every ``read store`` and ``hit records`` figure from the
reads and hits themselves.

A report's days are the agency's days: its period runs from midnight to midnight in the
agency's time zone (`AgencyProfile.timezone`), and an entry belongs to the day of its time
in that zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plateledger.transparency.disclosure import SMALLEST_CELL, Window, published_cells
from plateledger.transparency.facts import HIT_DISPOSITION, Fact
from plateledger.transparency.figures import NOT_RECORDED, Figure, offense_rows

__all__ = [
    "REPORTS",
    "AgencyProfile",
    "Element",
    "Holdings",
    "Period",
    "Report",
    "ReportKind",
    "generate",
    "reports_for",
]

AUDIT = "audit log"
CONFIG = "configuration"
ABSENT = "not recorded"
READ_STORE = "read store"
HIT_RECORDS = "hit records"

STOP_ACTIONS = frozenset({"stop", "warning", "citation", "arrest"})
"""The disposition actions that mean a vehicle was stopped (`plateledger.hotlist.disposition`
``STOP_ACTIONS``; a test holds the two equal)."""


@dataclass(frozen=True)
class Period:
    """A closed range of whole days, ``start`` to ``end`` inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    def holds(self, fact: Fact, zone: str = "UTC") -> bool:
        """Whether ``fact`` falls on a day of the period, its day taken in ``zone``."""
        return self.start <= fact.time.astimezone(ZoneInfo(zone)).date() <= self.end

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def first_instant(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    def bounds(self, zone: str = "UTC") -> tuple[datetime, datetime]:
        """The period as instants (UTC): its first midnight in ``zone`` and the midnight
        after its last day (excluded)."""
        here = ZoneInfo(zone)
        first = datetime.combine(self.start, time(), here)
        after = datetime.combine(self.end + timedelta(days=1), time(), here)
        return first.astimezone(UTC), after.astimezone(UTC)


@dataclass(frozen=True)
class AgencyProfile:
    """What a report says of the agency's configuration (catalog and law packs)."""

    slug: str
    name: str
    kind: str
    home_state: str
    law_packs: tuple[str, ...]
    purposes: tuple[str, ...]
    custodian: str
    retention_nonhit_days: float | None
    """The clocks the purge enforces, in days (None: the packs cannot be worked out)."""
    retention_hit_days: float | None
    case_number_required: bool
    sharing_preset: str
    cameras: int
    roles: tuple[str, ...] = ("investigator", "dispatcher", "supervisor", "auditor", "admin")
    timezone: str = "UTC"
    """The IANA zone the agency's days are counted in: its own setting, else its state's."""
    retention_image_days: float | None = None


@dataclass(frozen=True)
class Holdings:
    """What the read store and the hit records hold of the agency's devices over a
    report's period (`plateledger.transparency.activity` gathers it)."""

    readers: Figure
    """Per reader (camera): the hours of the day, in the agency's zone, in which it
    recorded reads; the days on which it did; its reads."""
    plates: int
    """Distinct plates the agency's readers read in the period."""
    reads: int
    held_from: datetime | None
    """From when the store holds the agency's reads of the period: the period's first
    instant when it holds reads from before it, else the period's first read (older ones
    were purged), None when it holds none of the period or before."""
    note: str | None
    """What the readers and plates do not cover (reads purged before the report)."""
    matches_per_device: Figure
    """Per device (camera): hits on its reads delivered in the period."""


@dataclass(frozen=True)
class Element:
    """One element the statute asks for."""

    key: str
    label: str
    citation: str
    source: str
    value: Any
    figure: Figure | None = None
    note: str | None = None
    """What the value does not cover (purged reads, deleted hits), said plainly."""

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "citation": self.citation,
                "source": self.source, "value": self.value,
                "figure": self.figure.as_json() if self.figure else None,
                "note": self.note}


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    statute: str
    agency: str
    period: Period
    generated_at: datetime
    log_size: int
    elements: tuple[Element, ...]
    timezone: str = "UTC"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "statute": self.statute,
            "agency": self.agency, "period": {"start": self.period.start.isoformat(),
                                              "end": self.period.end.isoformat(),
                                              "timezone": self.timezone},
            "generated_at": self.generated_at.isoformat(), "log_size": self.log_size,
            "elements": [e.as_json() for e in self.elements],
        }

    def element(self, key: str) -> Element:
        for e in self.elements:
            if e.key == key:
                return e
        raise KeyError(key)


# -- figures shared by the reports -----------------------------------------------------


def _searches(slug: str, facts: Sequence[Fact]) -> list[Fact]:
    """The agency's searches: a later page of a search is not one (it is an access)."""
    return [f for f in facts if f.type == "search" and f.agency == slug and not f.later_page]


def _counter_figure(name: str, title: str, column: str, counter: Counter[str]) -> Figure:
    rows = tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
    return Figure(name, title, (column, "count"), rows)


def searches_total(slug: str, facts: Sequence[Fact]) -> int:
    return len(_searches(slug, facts))


ACCESSES = frozenset({"search", "export", "image_view"})
"""The entries that are accesses to reads by the agency's users (docs/audit.md): a
search, an export of a search's reads, an image opened."""


def _accesses(slug: str, facts: Sequence[Fact]) -> list[Fact]:
    return [f for f in facts if f.type in ACCESSES and f.agency == slug]


def accesses_total(slug: str, facts: Sequence[Fact]) -> int:
    return len(_accesses(slug, facts))


def accesses_by_purpose(slug: str, facts: Sequence[Fact]) -> Figure:
    return _counter_figure("accesses_by_purpose", "Accesses by purpose", "purpose",
                           Counter(f.purpose or NOT_RECORDED for f in _accesses(slug, facts)))


def with_case(key: str, label: str, citation: str, chosen: Sequence[Fact], cells: Window,
              noun: str) -> Element:
    """How many of ``chosen`` recorded a case number, in published cells
    (`plateledger.transparency.disclosure`): whether an access gave a case number is not
    in its public summary."""
    counted = published_cells(chosen, lambda f: f.has_case_number, cells)
    return Element(key, label, citation, AUDIT, counted.shown[True], None,
                   f"{noun} recording a case number, counted by (UTC) days that have ended "
                   f"and lie wholly in the period, on which at least {SMALLEST_CELL} recorded "
                   f"one and {SMALLEST_CELL} did not (later pages of a search left out: they "
                   "repeat its case number); the rest are not counted, so that no count gives "
                   "one away")


def accesses_with_case(p: AgencyProfile, facts: Sequence[Fact], cells: Window, key: str,
                       label: str, citation: str) -> Element:
    return with_case(key, label, citation, _accesses(p.slug, facts), cells, "accesses")


def searches_by_purpose(slug: str, facts: Sequence[Fact]) -> Figure:
    return _counter_figure("searches_by_purpose", "Searches by purpose", "purpose",
                           Counter(f.purpose or NOT_RECORDED for f in _searches(slug, facts)))


def searches_by_offense(p: AgencyProfile, facts: Sequence[Fact], cells: Window) -> Figure:
    """The agency's searches by offense type, in published cells, and those left out."""
    return Figure("searches_by_offense", "Searches by offense type", ("offense_type", "count"),
                  offense_rows(_searches(p.slug, facts), cells))


def searches_with_case(p: AgencyProfile, facts: Sequence[Fact], cells: Window, key: str,
                       label: str, citation: str) -> Element:
    return with_case(key, label, citation, _searches(p.slug, facts), cells, "searches")


def hits(slug: str, facts: Sequence[Fact]) -> list[Fact]:
    return [f for f in facts if f.type == "alert_delivery" and f.owner == slug]


def hits_by_category(slug: str, facts: Sequence[Fact]) -> Figure:
    return _counter_figure("hits_by_category", "Hits on this agency's reads by list category",
                           "category", Counter(f.category or NOT_RECORDED
                                               for f in hits(slug, facts)))


def databases_compared(slug: str, facts: Sequence[Fact]) -> Figure:
    """The hot-list sources (list classes) this agency's reads matched or were kept from."""
    seen = Counter(f.list_class or NOT_RECORDED for f in facts
                   if f.type in ("alert_delivery", "alert_withheld") and f.owner == slug)
    return _counter_figure("databases_compared", "Hot-list sources compared", "list_class",
                           seen)


def decisions_by_class(slug: str, facts: Sequence[Fact], classes: Mapping[str, str],
                       *, allowed: bool) -> Figure:
    counter: Counter[str] = Counter()
    for f in facts:
        asking = f.requester
        if not f.access or f.type == "alert_withheld" or not asking or asking == slug:
            continue
        if (slug in f.released) if allowed else (slug in f.denied):
            counter[classes.get(asking, "unknown")] += 1
    word = "released" if allowed else "denied"
    return _counter_figure(f"{word}_by_class",
                           f"Accesses by other agencies to this agency's data, {word}",
                           "requester_class", counter)


def reviews(slug: str, facts: Sequence[Fact]) -> int:
    """Sign-offs of samples by the agency's supervisors."""
    return sum(1 for f in facts if f.type == "search_review" and f.agency == slug)


def _counted(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _sign_offs(count: int) -> str:
    return f"in {count} sign-off{'' if count == 1 else 's'} of sampled searches"


def searches_reviewed(slug: str, facts: Sequence[Fact]) -> int:
    """Searches the agency's supervisors signed off, one finding each."""
    return sum(f.reviewed for f in facts if f.type == "search_review" and f.agency == slug)


def alarms(slug: str, facts: Sequence[Fact]) -> Figure:
    return _counter_figure("alarms", "Alarms raised on this agency's users", "alarm",
                           Counter(f.alarm or NOT_RECORDED for f in facts
                                   if f.type == "alarm" and f.agency == slug))


# -- the reports -----------------------------------------------------------------------


Builder = Callable[[AgencyProfile, Sequence[Fact], Mapping[str, str], Holdings | None, Window],
                   list[Element]]
"""A report's elements from its profile, its period's facts, the agencies' classes, what the
store holds, and its period as instants with the time it is made (for the counts published
in cells, `plateledger.transparency.disclosure`)."""

NO_STORE = "not computed: this report was generated without the read store"
NO_HITS = "not computed: this report was generated without the hit records"


def dispositions(slug: str, facts: Sequence[Fact]) -> Figure:
    """The hits the agency's officers disposed of, by what they found and what followed:
    the last disposition recorded in the period for each hit."""
    last: dict[str, Fact] = {}
    for f in facts:
        if f.type == HIT_DISPOSITION and f.agency == slug and f.hit:
            last[f.hit] = f
    return _counter_figure(
        "dispositions", "Hits disposed of, by finding and action", "outcome",
        Counter(f"{f.disposition or NOT_RECORDED}, {f.action or NOT_RECORDED}"
                for f in last.values()))


def stops(figure: Figure) -> int:
    """The stops in a `dispositions` figure: confirmed hits whose action was a stop."""
    total = 0
    for outcome, count in figure.rows:
        found, _, action = str(outcome).partition(", ")
        if found == "confirmed" and action in STOP_ACTIONS:
            total += int(count)
    return total


def _active_times(p: AgencyProfile, held: Holdings | None, citation: str) -> Element:
    label = "Times of day readers actively collected data"
    if held is None:
        return Element("active_times", label, citation, ABSENT, NO_STORE)
    active = len(held.readers.rows)
    return Element(
        "active_times", label, citation, READ_STORE,
        f"{active} reader{'s' if active != 1 else ''} collected {held.reads} reads; "
        f"hours of the day ({p.timezone}) in which each recorded reads, below",
        held.readers, held.note)


def _plates(held: Holdings | None, citation: str) -> Element:
    label = "Vehicles or plates on which data were collected"
    if held is None:
        return Element("plates_collected", label, citation, ABSENT, NO_STORE)
    return Element("plates_collected", label + " (distinct plates read)", citation,
                   READ_STORE, held.plates, None, held.note)


def _per_device(slug: str, facts: Sequence[Fact], held: Holdings | None,
                citation: str) -> Element:
    label = "Matches per device"
    if held is None:
        return Element("matches_per_device", label, citation, ABSENT, NO_HITS)
    total = sum(int(n) for n in held.matches_per_device.column("matches"))
    logged = len(hits(slug, facts))
    note = None
    if total < logged:
        note = (f"{logged - total} of the period's {logged} matches in the audit log are no "
                "longer in the hit records (deleted under the hit retention): their device "
                "is not counted")
    return Element("matches_per_device", label, citation, HIT_RECORDS, total,
                   held.matches_per_device, note)


def _retention(p: AgencyProfile) -> str:
    if p.retention_nonhit_days is None:
        return "set by the agency's law packs (see the policy page)"
    return f"{duration(p.retention_nonhit_days)} (non-hit reads)"


def duration(days: float) -> str:
    """A clock in days as a person reads it: ``21 days``, ``1 day``, ``3 minutes``."""
    for unit, size in (("day", 1.0), ("hour", 1 / 24), ("minute", 1 / 1440)):
        if days >= size or unit == "minute":
            count = round(days / size, 2)
            return f"{count:g} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def _california(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
                held: Holdings | None, cells: Window) -> list[Element]:
    c = "Cal. Civ. Code 1798.90.51(b) / 1798.90.53(b)"
    return [
        Element("authorized_purposes", "Authorized purposes", f"{c}(2)(A)", CONFIG,
                ", ".join(p.purposes)),
        Element("job_titles", "Job titles of those authorized to use or access, and training",
                f"{c}(2)(B)", CONFIG,
                "roles: " + ", ".join(p.roles) + "; training: not recorded by the system"),
        Element("monitoring", "Monitoring of use to ensure compliance", f"{c}(2)(C)", AUDIT,
                f"{_counted(searches_total(p.slug, facts), 'search', 'searches')} logged; "
                f"{_counted(reviews(p.slug, facts), 'supervisor review')} signed off"),
        Element("sharing_released", "Sharing: accesses released to other agencies",
                f"{c}(2)(D)", AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=True)),
        Element("sharing_denied", "Sharing: accesses denied to other agencies",
                f"{c}(2)(D)", AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=False)),
        Element("custodian", "Custodian or owner of the system", f"{c}(2)(E)", CONFIG,
                p.custodian or ABSENT),
        Element("accuracy", "Accuracy of the data and correction of errors: hits on reads",
                f"{c}(2)(F)", AUDIT, len(hits(p.slug, facts))),
        Element("retention", "Length of time the data is retained", f"{c}(2)(G)", CONFIG,
                _retention(p)),
        Element("access_log", "Access records kept (date, time, query, user, purpose)",
                "Cal. Civ. Code 1798.90.52", AUDIT, accesses_total(p.slug, facts),
                accesses_by_purpose(p.slug, facts),
                "searches, exports and images opened by the agency's users"),
    ]


def _virginia(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
              held: Holdings | None, cells: Window) -> list[Element]:
    c = "Va. Code 2.2-5517 (as amended 2025)"
    return [
        Element("queries", "System queries (de-identified)", c, AUDIT,
                searches_total(p.slug, facts), searches_by_purpose(p.slug, facts)),
        searches_with_case(p, facts, cells, "queries_with_justification",
                           "Queries recording a case number", c),
        Element("hits", "Alerts on this agency's reads", c, AUDIT, len(hits(p.slug, facts)),
                hits_by_category(p.slug, facts)),
        Element("shared", "Accesses by other agencies, released", c, AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=True)),
        Element("refused", "Accesses by other agencies, denied", c, AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=False)),
        Element("retention", "Retention period", c, CONFIG, _retention(p)),
    ]


def _oregon(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
            held: Holdings | None, cells: Window) -> list[Element]:
    c = "Or. SB 1516 (2026)"
    return [
        Element("searches", "Searches run by the agency's users", c, AUDIT,
                searches_total(p.slug, facts), searches_by_purpose(p.slug, facts)),
        Element("offense_types", "Searches by offense type", c, AUDIT, None,
                searches_by_offense(p, facts, cells),
                f"a type is counted by (UTC) days that have ended and lie wholly in the "
                f"period, on which at least {SMALLEST_CELL} searches were of it and "
                f"{SMALLEST_CELL} of others; the rest are counted together, so that no count "
                "gives one search away"),
        searches_with_case(p, facts, cells, "with_case", "Searches recording a case number", c),
        Element("released", "Accesses by other agencies, released", c, AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=True)),
        Element("denied", "Accesses by other agencies, denied", c, AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=False)),
        Element("alarms", "Alarms (denial bursts, flagged reasons)", c, AUDIT, None,
                alarms(p.slug, facts)),
        Element("reviews", "Searches reviewed by supervisors", c, AUDIT,
                searches_reviewed(p.slug, facts), None, _sign_offs(reviews(p.slug, facts))),
        Element("posting", "Posted within two days of the end of the period", c, CONFIG,
                "written by the report schedule; see docs/reports.md"),
    ]


def _minnesota(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
               held: Holdings | None, cells: Window) -> list[Element]:
    c = "Minn. Stat. 13.824"
    return [
        _active_times(p, held, f"{c} subd. 5(a)(1)"),
        _plates(held, f"{c} subd. 5(a)(2)"),
        Element("databases", "State and federal databases the data were compared with",
                f"{c} subd. 5(a)(2)", AUDIT, None, databases_compared(p.slug, facts)),
        Element("hits_by_category", "Hits by category", f"{c} subd. 5(a)(3)", AUDIT,
                len(hits(p.slug, facts)), hits_by_category(p.slug, facts)),
        Element("accesses", "Accesses, each with its factual basis and case number",
                f"{c} subd. 7", AUDIT, accesses_total(p.slug, facts), None,
                "searches, exports and images opened by the agency's users"),
        accesses_with_case(p, facts, cells, "accesses_with_case",
                           "Accesses recording a case number", f"{c} subd. 7"),
        Element("shared", "Data shared with other agencies", f"{c} subd. 8", AUDIT, None,
                decisions_by_class(p.slug, facts, classes, allowed=True)),
        Element("retention", "Retention", f"{c} subd. 3", CONFIG, _retention(p)),
    ]


def _vermont(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
             held: Holdings | None, cells: Window) -> list[Element]:
    c = "23 V.S.A. 1607"
    released = decisions_by_class(p.slug, facts, classes, allowed=True)
    denied = decisions_by_class(p.slug, facts, classes, allowed=False)
    return [
        Element("readers", "ALPR readers operated", c, CONFIG, p.cameras),
        Element("requests", "Requests for historical data (searches) logged", c, AUDIT,
                searches_total(p.slug, facts), searches_by_purpose(p.slug, facts)),
        Element("requests_granted", "Requests from other agencies granted", c, AUDIT,
                sum(released.column("count")), released),
        Element("requests_denied", "Requests from other agencies denied", c, AUDIT,
                sum(denied.column("count")), denied),
        Element("alerts", "Alerts on this agency's reads", c, AUDIT,
                len(hits(p.slug, facts)), hits_by_category(p.slug, facts)),
        Element("retention", "Retention", c, CONFIG, _retention(p)),
    ]


def _new_hampshire(p: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
                   held: Holdings | None, cells: Window) -> list[Element]:
    c = "N.H. RSA 261:75-b"
    outcomes = dispositions(p.slug, facts)
    return [
        Element("devices", "Devices operated", c, CONFIG, p.cameras),
        Element("matches", "Matches (hits) on this agency's reads", c, AUDIT,
                len(hits(p.slug, facts)), hits_by_category(p.slug, facts)),
        _per_device(p.slug, facts, held, c),
        Element("stops_outcomes", "Stops made and their outcomes", c, AUDIT,
                stops(outcomes), outcomes,
                "stops are confirmed hits whose recorded action was a stop, warning, "
                "citation or arrest, by the last disposition the agency's officers recorded "
                "in the period for each hit; a stop made on a hit nobody disposed of, or "
                "without the system, is not counted"),
        Element("purge", "Non-hit reads purged within three minutes", c, CONFIG,
                _retention(p)),
    ]


@dataclass(frozen=True)
class ReportKind:
    code: str
    title: str
    statute: str
    cadence: str
    """``annual``, ``monthly`` or ``quarterly``: when the schedule writes it."""
    build: Builder


REPORTS: dict[str, ReportKind] = {k.code: k for k in (
    ReportKind("ca-policy", "California usage and privacy policy elements",
               "Cal. Civ. Code 1798.90.51, 1798.90.52, 1798.90.53", "annual", _california),
    ReportKind("va-annual", "Virginia annual report", "Va. Code 2.2-5517", "annual",
               _virginia),
    ReportKind("or-monthly", "Oregon monthly audit", "Or. SB 1516 (2026)", "monthly",
               _oregon),
    ReportKind("or-quarterly", "Oregon quarterly audit", "Or. SB 1516 (2026)", "quarterly",
               _oregon),
    ReportKind("mn-audit", "Minnesota log and audit", "Minn. Stat. 13.824", "annual",
               _minnesota),
    ReportKind("vt-annual", "Vermont annual report", "23 V.S.A. 1607", "annual", _vermont),
    ReportKind("nh-annual", "New Hampshire annual report", "N.H. RSA 261:75-b", "annual",
               _new_hampshire),
)}
"""Every report by its code."""


def generate(
    code: str, profile: AgencyProfile, facts: Sequence[Fact], classes: Mapping[str, str],
    period: Period, *, now: datetime, log_size: int, held: Holdings | None = None,
) -> Report:
    """Report ``code`` for ``profile``'s agency over ``period`` (days in the agency's zone),
    from ``facts`` and what the read store and hit records ``held`` over the period."""
    kind = REPORTS[code]
    inside = [f for f in facts if period.holds(f, profile.timezone)]
    cells = Window(*period.bounds(profile.timezone), now)
    return Report(kind.code, kind.title, kind.statute, profile.slug, period, now, log_size,
                  tuple(kind.build(profile, inside, classes, held, cells)),
                  profile.timezone)


PACK_REPORTS: dict[str, tuple[str, ...]] = {
    "CA": ("ca-policy",), "CA-STRICT": ("ca-policy",), "VA": ("va-annual",),
    "OR": ("or-monthly", "or-quarterly"), "MN": ("mn-audit",), "VT": ("vt-annual",),
    "NH": ("nh-annual",),
}
"""The reports each law pack's statute asks of an agency under it."""


def reports_for(law_packs: Sequence[str]) -> tuple[str, ...]:
    """The report codes an agency under ``law_packs`` must produce, in a stable order."""
    found: list[str] = []
    for pack in law_packs:
        for code in PACK_REPORTS.get(pack.upper(), ()):
            if code not in found:
                found.append(code)
    return tuple(found)
