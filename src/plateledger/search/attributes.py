"""Vehicle attributes: reads by make, colour and type, with an optional partial plate."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plateledger.plates import parse_wildcard
from plateledger.search.filters import Filters
from plateledger.search.keyed import SHOWN_SQL, read_outs
from plateledger.search.reads import fetch_page
from plateledger.search.result import SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.schema import TIE

MAX_WINDOW = timedelta(days=31)


class AttributesError(ValueError):
    """An attribute search without the bounds that keep it from reading everything."""


class Vehicle(BaseModel):
    """What the reads say about the vehicle (compared without case)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    make: str | None = Field(default=None, max_length=64)
    color: str | None = Field(default=None, max_length=32)
    vehicle_type: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _something(self) -> Vehicle:
        if not any(v and v.strip() for v in (self.make, self.color, self.vehicle_type)):
            raise ValueError("give at least one of make, color, vehicle_type")
        return self


def search_attributes(
    store: ReadStore, vehicle: Vehicle, scope: Scope, filters: Filters,
    plate: str | None = None,
) -> SearchPage:
    """Reads in a window whose vehicle matches, newest first."""
    if filters.since is None or filters.until is None:
        raise AttributesError("an attribute search needs both `since` and `until`")
    if filters.until - filters.since > MAX_WINDOW:
        raise AttributesError("an attribute search window may be at most 31 days")
    empty = SearchPage(kind="attributes", total=0, limit=filters.limit,
                       offset=filters.offset, results=[])
    if scope.is_empty():
        return empty
    params: dict[str, object] = {}
    parts = [scope.sql(params), filters.sql(params)]
    for column, value in (("vehicle_make", vehicle.make), ("vehicle_color", vehicle.color),
                          ("vehicle_type", vehicle.vehicle_type)):
        if value and value.strip():
            params[f"v_{column}"] = value.strip()
            parts.append(f"lower({column}) = lower({{v_{column}:String}})")
    if plate:
        wildcard = parse_wildcard(plate)
        params["v_like"] = wildcard.like
        parts.append("plate LIKE {v_like:String}")
    rows, total = fetch_page(store, scope, filters, " AND ".join(parts), params,
                             order=f"ts DESC, {TIE}", select=SHOWN_SQL)
    return SearchPage(
        kind="attributes", total=total, limit=filters.limit, offset=filters.offset,
        results=read_outs(rows, scope),
    )
