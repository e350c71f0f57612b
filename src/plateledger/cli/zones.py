"""`plateledger admin zone …`: an agency's collection zones, directly in the catalog.

A zone is a circle (``--lat``, ``--lon``, ``--radius``) or a polygon (``--point LAT,LON``
three times or more). Each add and revoke is written with its audit entry in one
transaction, by the same function the API's admin routes call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plateledger.catalog import CatalogError
from plateledger.cli.admin import (
    OPERATOR,
    Agency,
    CatalogUrl,
    DataDir,
    agency_id,
    catalog_at,
    changes,
    out,
    show,
)

app = typer.Typer(help="Collection zones: places where an agency collects no reads.",
                  no_args_is_help=True)


def parse_point(text: str) -> tuple[float, float]:
    """``"47.61,-122.33"`` as (lat, lon)."""
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        return float(parts[0]), float(parts[1])
    except ValueError:
        raise CatalogError(f"point `{text}` is not `LAT,LON`") from None


@app.command("add")
def zone_add(
    name: Annotated[str, typer.Argument()],
    agency: Agency,
    place: Annotated[str, typer.Option(
        help="school, place_of_worship, courthouse, food_bank, immigration_facility, "
        "health_care, shelter, other")],
    lat: Annotated[float | None, typer.Option(help="circle centre, latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="circle centre, longitude")] = None,
    radius: Annotated[float | None, typer.Option(help="circle radius, metres")] = None,
    point: Annotated[list[str] | None, typer.Option(
        help="polygon point LAT,LON (repeat, three or more)")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Add a collection zone of an agency (a circle or a polygon)."""
    with catalog_at(data_dir, catalog) as opened:
        centre = None if lat is None or lon is None else (lat, lon)
        if (lat is None) != (lon is None):
            raise CatalogError("a circle needs both `--lat` and `--lon`")
        polygon = [parse_point(p) for p in point] if point else None
        zone = changes(opened).add_zone(OPERATOR(), agency_id(opened, agency), name, place,
                                        centre=centre, radius_m=radius, polygon=polygon)
        out.print(f"zone {zone.id} added under rule `{zone.rule_id}`")


@app.command("list")
def zone_list(
    agency: Annotated[str | None, typer.Option(help="agency slug")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """List zones (of one agency), revoked ones included."""
    with catalog_at(data_dir, catalog) as opened:
        owner = None if agency is None else agency_id(opened, agency)
        show("zones", ["id", "agency", "name", "place", "shape", "rule", "revoked"], [
            [z.id, z.agency_id, z.name, z.place,
             f"circle {z.centre_lat},{z.centre_lon} r={z.radius_m:g} m"
             if z.radius_m is not None else f"polygon of {len(z.polygon or [])} points",
             z.rule_id, z.revoked_at] for z in opened.zones(owner)
        ])


@app.command("revoke")
def zone_revoke(
    zone_id: Annotated[int, typer.Argument()],
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Revoke a zone now: it no longer applies."""
    with catalog_at(data_dir, catalog) as opened:
        changes(opened).revoke_zone(OPERATOR(), zone_id)
        out.print(f"zone {zone_id} revoked")
