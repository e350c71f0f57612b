"""The public transparency portal of each agency, from live data; no login.

Every figure is computed from the public facts of the audit log (`plateledger.transparency`),
the catalog's public attributes of agencies and cameras, the enforced law packs, and the
engine's answer to who can reach the agency's data. Plates never appear; officers' names
appear only on the page of an agency that publishes them (``portal_officer_names``), and
only for its own users' searches. The
count of reads an agency's cameras took is the agency's own published count (as every
vendor portal publishes it); docs/transparency.md says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.exc import SQLAlchemyError

from plateledger.access.policy_source import PolicySource
from plateledger.api.deps import AuditLogDep, CatalogDep, PolicyDep, StoreDep, service
from plateledger.api.errors import ApiError
from plateledger.audit import AuditError, AuditLog
from plateledger.catalog import Catalog
from plateledger.catalog.agencies import agency_timezone
from plateledger.catalog.models import Agency
from plateledger.policy.lawpack import LAW_PACKS, PLATFORM_PACKS
from plateledger.store import ReadStore
from plateledger.transparency.answers import AnswerCache
from plateledger.transparency.facts import Fact
from plateledger.transparency.figures import (
    Figure,
    local_days,
    portal_figures,
    searches_by_officer,
)
from plateledger.transparency.render import figure_csv
from plateledger.transparency.service import (
    FactCache,
    classes,
    packs_of,
    profile_of,
    reads_detected,
)

__all__ = ["answer_cache", "fact_cache", "freshness", "portal", "public_facts", "router"]

router = APIRouter(prefix="/v1/transparency", tags=["transparency"])

WINDOW_DAYS = 30
MAX_DAYS = 366

DETECTED = (
    "plate characters, as read",
    "the state or region of the plate, when read",
    "date and time",
    "the camera, its place and heading",
    "a crop image of the plate",
    "vehicle colour, make, model and type, when the camera reports them",
)
NOT_DETECTED = (
    "faces or people",
    "vehicle occupants",
    "speed",
    "audio",
    "any plate read inside a collection zone the agency records (dropped, only counted)",
)

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="days up to today")]


def fact_cache(request: Request, log: AuditLog) -> FactCache:
    """The app's cache of public facts of ``log`` (made on first use)."""
    cache = getattr(request.app.state, "transparency_facts", None)
    if not isinstance(cache, FactCache) or cache.log is not log:
        cache = FactCache(log)
        request.app.state.transparency_facts = cache
    return cache


def answer_cache(request: Request) -> AnswerCache:
    """The server's public answers kept a short while (`plateledger.transparency.answers`);
    none kept where the server installed none."""
    found = service(request, "transparency_answers", AnswerCache)
    return found if found is not None else AnswerCache(timedelta(0))


def freshness(log: AuditLog, catalog: Catalog) -> tuple[int, int]:
    """What a public answer was computed from, besides its agency and period: the audit
    log's size and the catalog's generation (either changed: a new answer)."""
    try:
        return log.size(), catalog.generation()
    except AuditError as exc:
        raise ApiError(503, "audit_unavailable", str(exc)) from exc
    except SQLAlchemyError as exc:  # the log cannot be read: nothing is told
        raise ApiError(503, "audit_unavailable", "the audit log cannot be read") from exc


def public_facts(request: Request, log: AuditLog) -> tuple[list[Fact], int]:
    try:
        return fact_cache(request, log).facts()
    except AuditError as exc:
        raise ApiError(503, "audit_unavailable", str(exc)) from exc
    except SQLAlchemyError as exc:  # the log cannot be read: nothing is told
        raise ApiError(503, "audit_unavailable", "the audit log cannot be read") from exc


def _agency(catalog: Catalog, slug: str) -> Agency:
    agency = catalog.agency_by_slug(slug)
    if agency is None:
        raise ApiError(404, "unknown_agency", f"no agency `{slug}`")
    return agency


def _policy(agency: Agency) -> list[dict[str, Any]]:
    """The enforced Cedar packs of the agency's data, rule by rule with their citations."""
    packs = [*packs_of(agency), *sorted(PLATFORM_PACKS)]
    out = []
    for code in packs:
        pack = LAW_PACKS.get(code)
        if pack is None:
            continue
        out.append(
            {
                "code": pack.code,
                "title": pack.title,
                "citation": pack.citation,
                "version": pack.version,
                "status": pack.status,
                "rules": [
                    {"id": n.policy_id, "citation": n.citation, "text": n.reason}
                    for n in pack.notes
                ],
            }
        )
    return out


def _checkpoint(log: AuditLog) -> dict[str, Any] | None:
    try:
        note = log.checkpoint()
    except AuditError:
        return None
    lines = note.splitlines()
    return {
        "note": note,
        "origin": lines[0] if lines else "",
        "size": int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else None,
        "root_hash": lines[2] if len(lines) > 2 else "",
        "verify": [
            "plateledger audit checkpoint --url SERVER > checkpoint.txt",
            "plateledger audit verify --url SERVER --checkpoint checkpoint.txt "
            '--key "$(cat verifier.key)"',
        ],
        "key_url": "/v1/audit/key",
    }


def portal(
    agency: Agency,
    catalog: Catalog,
    store: ReadStore,
    facts: list[Fact],
    partners: list[dict[str, Any]],
    now: datetime,
    days: int,
    officers: Mapping[int, str] | None = None,
) -> tuple[dict[str, Any], list[Figure]]:
    """The portal of ``agency``: every field and figure, from live data, its days taken in
    the agency's time zone (as its reports take them); with the agency's
    ``portal_officer_names`` on, its searches by officer (``officers``: entry index to
    user)."""
    profile = profile_of(catalog, agency)
    zone = profile.timezone
    counts, figures = portal_figures(agency.slug, facts, classes(catalog), now, days, zone)
    named = bool(agency.portal_officer_names) and officers is not None
    if named and officers is not None:
        figures.append(searches_by_officer(agency.slug, facts, officers, now, days, zone))
    first, _ = local_days(now, days, zone)
    since = datetime.combine(first, time(), ZoneInfo(zone))
    detected = reads_detected(store, agency.id, since)
    cameras = [c for c in catalog.cameras(agency.id) if c.active]
    prohibited = [
        {"rule": r["id"], "citation": r["citation"], "text": r["text"]}
        for p in _policy(agency)
        for r in p["rules"]
    ]
    body = {
        "agency": {
            "slug": agency.slug,
            "name": agency.name,
            "class": agency.kind,
            "home_state": agency.home_state,
            "jurisdiction": agency.jurisdiction,
        },
        "generated_at": now.isoformat(),
        "window_days": days,
        "timezone": zone,
        "detected": list(DETECTED),
        "not_detected": list(NOT_DETECTED),
        "acceptable_uses": list(profile.purposes),
        "prohibited_uses": prohibited,
        "access_policy": {
            "case_number_required": agency.case_number_required,
            "roles": list(profile.roles),
            "sharing_preset": agency.sharing_preset,
            "every_access_logged": True,
        },
        "retention": {
            "non_hit_days": profile.retention_nonhit_days,
            "hit_days": profile.retention_hit_days,
            "image_days": profile.retention_image_days,
        },
        "policy": _policy(agency),
        "custodian": agency.custodian_contact,
        "cameras_owned": len(cameras),
        "vehicles_detected": detected,
        "searches": counts.searches,
        "reads_matched": counts.reads_matched,
        "hits": counts.hits,
        "hit_ratio": round(counts.hits / detected, 6) if detected else None,
        "hotlist_alerts": counts.alerts_received,
        "alerts_withheld": counts.alerts_withheld,
        "agencies_with_access": partners,
        "accesses_released_to_others": counts.releases_to_others,
        "accesses_denied_to_others": counts.denials_to_others,
        "officer_names": (
            "shown: the agency publishes the names of its officers who searched"
            if named
            else "not shown"
        ),
        "figures": {f.name: f.as_json() for f in figures},
    }
    return body, figures


async def _partners(source: PolicySource, agency: Agency, now: datetime) -> list[dict[str, Any]]:
    engine = source.engine()
    if agency.id not in engine.agencies:
        return []
    found = await asyncio.to_thread(engine.sharing_partners, agency.id, now)
    return [
        {
            "agency_id": p.agency_id,
            "name": p.name,
            "class": str(engine.agencies[p.agency_id].kind),
            "actions": [a.value for a in p.actions],
        }
        for p in found
    ]


@router.get("/agencies", summary="Every agency with a public portal")
def list_agencies(catalog: CatalogDep) -> dict[str, Any]:
    return {
        "agencies": [
            {
                "slug": a.slug,
                "name": a.name,
                "class": a.kind,
                "home_state": a.home_state,
                "portal": f"/transparency/{a.slug}",
                "json": f"/v1/transparency/agencies/{a.slug}",
            }
            for a in catalog.agencies()
        ]
    }


class PortalData:
    """The dependencies of a portal request, gathered once."""

    def __init__(
        self,
        request: Request,
        catalog: CatalogDep,
        store: StoreDep,
        log: AuditLogDep,
        source: PolicyDep,
    ) -> None:
        self.request, self.catalog, self.store, self.log, self.source = (
            request,
            catalog,
            store,
            log,
            source,
        )

    async def build(self, slug: str, days: int) -> tuple[dict[str, Any], list[Figure]]:
        """The portal of ``slug`` over ``days``: the answer kept for the same agency, window
        (its days in the agency's zone), log size and catalog generation, if one is kept,
        else computed (and kept)."""
        agency = _agency(self.catalog, slug)
        now = datetime.now(UTC)
        today = now.astimezone(ZoneInfo(agency_timezone(agency))).date()
        key = ("portal", agency.slug, days, today, now.date(),  # cells: the UTC days ended
               *freshness(self.log, self.catalog))
        answers = answer_cache(self.request)
        kept: tuple[dict[str, Any], list[Figure]] | None = answers.get(key)
        if kept is not None:
            return kept
        facts, _ = public_facts(self.request, self.log)
        officers = (
            fact_cache(self.request, self.log).officers() if agency.portal_officer_names else None
        )
        partners = await _partners(self.source, agency, now)
        body, figures = await asyncio.to_thread(
            portal, agency, self.catalog, self.store, facts, partners, now, days, officers
        )
        body["checkpoint"] = _checkpoint(self.log)
        answers.put(key, (body, figures))
        return body, figures


Data = Annotated[PortalData, Depends()]


@router.get("/agencies/{slug}", summary="An agency's public portal: every field, as JSON")
async def get_portal(slug: Slug, data: Data, days: Days = WINDOW_DAYS) -> dict[str, Any]:
    body, _ = await data.build(slug, days)
    return body


@router.get(
    "/agencies/{slug}/figures/{figure}", summary="One figure of an agency's portal, as JSON or CSV"
)
async def get_figure(
    slug: Slug,
    figure: Annotated[str, Path(max_length=64)],
    data: Data,
    days: Days = WINDOW_DAYS,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    _, figures = await data.build(slug, days)
    found = {f.name: f for f in figures}
    if figure not in found:
        raise ApiError(
            404,
            "unknown_figure",
            f"no figure `{figure[:64]}`: figures are {', '.join(sorted(found))}",
        )
    if format == "csv":
        return PlainTextResponse(
            figure_csv(found[figure]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={slug}-{figure}.csv"},
        )
    return found[figure].as_json()
