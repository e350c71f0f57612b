"""Running the investigative search kinds (timeline, stakeout, convoy, attributes, and the
pattern of life behind its legal-basis gate) for `plateledger.access.searches`, over the
scope policy decided."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from plateledger.access.errors import AccessDenied
from plateledger.search.attributes import AttributesError, search_attributes
from plateledger.search.convoy import Convoy, ConvoyError, search_convoy
from plateledger.search.filters import Filters
from plateledger.search.locate import search_locate
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.search.stakeout import StakeoutError, search_stakeout
from plateledger.search.timeline import search_timeline
from plateledger.store import ReadStore

if TYPE_CHECKING:
    from plateledger.access.searches import LocatePage, SearchCreate

INVESTIGATIONS = frozenset({"timeline", "stakeout", "convoy", "attributes"})


def run_investigation(
    store: ReadStore, body: SearchCreate, scope: Scope, filters: Filters, *, rows_offset: int = 0
) -> SearchPage:
    """``body``'s investigative search over ``scope``; ``rows_offset``: of a stakeout's or
    convoy's page, the first of its plates' reads to give (`search_stakeout`)."""
    plate = body.params.plate
    if body.kind in {"timeline", "convoy"} and not plate:
        raise AccessDenied("plate_required", f"a {body.kind} search needs `params.plate`")
    try:
        if body.kind == "timeline":
            timeline = search_timeline(store, plate or "", scope, filters)
            return timeline.page.model_copy(
                update={"path": [asdict(s) for s in timeline.path]})
        if body.kind == "stakeout":
            if body.stakeout is None:
                raise AccessDenied("stakeout_required", "a stakeout search needs `stakeout`")
            staked = search_stakeout(store, body.stakeout, scope, filters,
                                     rows_offset=rows_offset)
            return staked.page.model_copy(
                update={"stakeout": [asdict(p) for p in staked.plates]})
        if body.kind == "convoy":
            found = search_convoy(store, plate or "", body.convoy or Convoy(), scope, filters,
                                  rows_offset=rows_offset)
            return found.page.model_copy(
                update={"companions": [asdict(c) for c in found.companions]})
        if body.vehicle is None:
            raise AccessDenied("vehicle_required", "an attributes search needs `vehicle`")
        return search_attributes(store, body.vehicle, scope, filters, plate)
    except (ConvoyError, AttributesError) as exc:
        raise AccessDenied("unbounded_search", str(exc)) from None
    except StakeoutError as exc:
        raise AccessDenied("stakeout_refused", str(exc)) from None


def run_locate(store: ReadStore, body: SearchCreate, scope: Scope) -> LocatePage:
    """The plate's pattern of life over ``scope``: counts, no rows (``total``: its reads)."""
    from plateledger.access.searches import LocatePage

    filters = body.params.filters()
    pattern = search_locate(store, body.params.plate or "", scope, filters)
    return LocatePage(
        kind="locate", total=pattern.total, limit=filters.limit, offset=0, results=[],
        pattern={"by_hour": pattern.by_hour, "by_weekday": pattern.by_weekday,
                 "places": [asdict(p) for p in pattern.places]},
    )
