"""The live sources of the public pages and reports: the audit log's public facts (read
once, then only the entries appended since), the catalog's agencies and cameras, the read
store's reads per owner and the hit records (`plateledger.transparency.activity`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from plateledger.audit import AuditLog, new_entry
from plateledger.catalog import Catalog
from plateledger.catalog.agencies import agency_timezone
from plateledger.catalog.models import Agency
from plateledger.policy.clocks import RetentionError, RetentionPolicy, policy_in_days
from plateledger.policy.lawpack import default_packs
from plateledger.policy.purpose import Purpose
from plateledger.store import ReadStore
from plateledger.store.schema import READ_IDENTITY, READS
from plateledger.transparency.activity import holdings
from plateledger.transparency.facts import Fact, fact_of
from plateledger.transparency.reports import AgencyProfile, Period, Report, generate

__all__ = ["REPORT_GENERATED", "FactCache", "build_report", "profile_of", "reads_detected",
           "record_report"]

REPORT_GENERATED = "report_generated"
"""Audit entry type of a statutory report written (who, which report, which period)."""

PAGE = 1000


class FactCache:
    """The public facts of every entry of ``log``, extended as the log grows; beside them,
    and never in a fact, the user who ran each search (`officers`), for the portals of the
    agencies that publish their officers' names."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._facts: list[Fact] = []
        self._officers: dict[int, str] = {}
        self._lock = threading.Lock()

    def officers(self) -> dict[int, str]:
        """The user named by each ``search`` entry read so far, by the entry's index."""
        with self._lock:
            return dict(self._officers)

    def facts(self) -> tuple[list[Fact], int]:
        """Every fact so far and the log size they cover."""
        with self._lock:
            size = self.log.size()
            at = len(self._facts)
            while at < size:
                page = self.log.entries(at, min(PAGE, size - at))
                if not page:
                    break
                self._facts += [fact_of(r.index, r.entry) for r in page]
                self._officers.update(
                    (r.index, str(r.entry["user"])) for r in page
                    if r.entry.get("type") == "search" and isinstance(r.entry.get("user"), str))
                at += len(page)
            return list(self._facts), len(self._facts)


def classes(catalog: Catalog) -> dict[str, str]:
    """Each agency's requester class by slug (a public attribute of the catalog)."""
    return {a.slug: a.kind for a in catalog.agencies()}


def packs_of(agency: Agency) -> tuple[str, ...]:
    """The packs that govern the agency's data (a federal agency's: none by default)."""
    if agency.law_packs or agency.kind == "federal":
        return tuple(agency.law_packs)
    return default_packs(agency.home_state)


def profile_of(catalog: Catalog, agency: Agency) -> AgencyProfile:
    """What the portal and the reports publish of ``agency``: its retention is the clocks
    the purge enforces (the strictest of its own settings and its packs' presets, else
    the platform default), not what was typed in."""
    packs = packs_of(agency)
    purposes = tuple(agency.purposes) if agency.purposes else tuple(p.value for p in Purpose)
    clocks = enforced_clocks(agency)
    day = timedelta(days=1)
    return AgencyProfile(
        slug=agency.slug, name=agency.name, kind=agency.kind, home_state=agency.home_state,
        law_packs=packs, purposes=purposes, custodian=agency.custodian_contact,
        retention_nonhit_days=None if clocks is None else clocks.non_hit / day,
        retention_hit_days=None if clocks is None else clocks.hit / day,
        retention_image_days=None if clocks is None else clocks.images / day,
        case_number_required=agency.case_number_required,
        sharing_preset=agency.sharing_preset,
        cameras=len(catalog.cameras(agency.id)),
        timezone=agency_timezone(agency),
    )


def enforced_clocks(agency: Agency) -> RetentionPolicy | None:
    """The retention clocks the purge applies to ``agency``'s reads; None where its packs
    cannot be worked out."""
    try:
        return policy_in_days(agency.law_packs, agency.retention_nonhit_days,
                              agency.retention_hit_days, agency.retention_image_days)
    except RetentionError:
        return None


def reads_detected(store: ReadStore, owner_id: int, since: datetime) -> int:
    """Reads the owner's cameras took since ``since`` (expired ones included: this is a
    count of what was detected, not of what is kept)."""
    table = store.query(
        f"SELECT uniqExact({READ_IDENTITY}) AS n FROM {{db}}.{READS} "
        "WHERE owner_id = {owner:UInt32} AND ts >= {since:DateTime64(3, 'UTC')}",
        {"owner": owner_id, "since": since.astimezone(UTC)},
    )
    return int(table.column("n")[0].as_py())


def record_report(log: AuditLog, report: Report, *, by: str, path: str | None) -> int:
    """Append the ``report_generated`` entry of ``report`` and return its index."""
    return log.append(new_entry(
        REPORT_GENERATED, owner_agency=report.agency, report=report.kind,
        statute=report.statute, period_start=report.period.start.isoformat(),
        period_end=report.period.end.isoformat(), log_size=report.log_size,
        generated_by=by, **({"file": path} if path else {}),
    ))


def build_report(
    catalog: Catalog, store: ReadStore | None, agency: Agency, code: str, period: Period,
    facts: list[Fact], size: int, *, now: datetime,
) -> Report:
    """Report ``code`` of ``agency`` over ``period``, from the log's ``facts`` (the first
    ``size`` entries) and, given a ``store``, what the read store and the hit records hold
    (without one, those elements say they were not computed)."""
    profile = profile_of(catalog, agency)
    held = None if store is None else holdings(store, catalog.engine, agency.id, period,
                                               profile.timezone)
    return generate(code, profile, facts, classes(catalog), period, now=now, log_size=size,
                    held=held)


@dataclass(frozen=True)
class Generated:
    report: Report
    audit_index: int


def generate_logged(
    log: AuditLog, cache: FactCache, catalog: Catalog, agency: Agency, code: str,
    period: Period, *, now: datetime, by: str, path: str | None = None,
    store: ReadStore | None = None,
) -> Generated:
    """Generate report ``code`` and log it; fail closed: no entry, no report."""
    facts, size = cache.facts()
    report = build_report(catalog, store, agency, code, period, facts, size, now=now)
    index = record_report(log, report, by=by, path=path)
    return Generated(report, index)


