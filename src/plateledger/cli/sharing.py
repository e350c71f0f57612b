"""`plateledger admin sharing …`: an agency's sharing preset, directly in the catalog.

A preset is how an agency shares by default (docs/policies.md, "Sharing presets"): ``none``,
``agreements`` (the default), ``in_state``, ``named_states`` (``--state``, repeatable),
``similar_law`` or ``radius`` (``--radius-km`` from the agency's seat, ``--lat``/``--lon``).
Each change is written with its audit entry in one transaction, by the same function the
API's ``PUT /v1/admin/sharing-preset`` calls, and is in force for the next decision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from plateledger.access.policy_source import compile_engine
from plateledger.catalog import CatalogError
from plateledger.cli.admin import OPERATOR, CatalogUrl, DataDir, agency_id, catalog_at, changes, out
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.preset import PresetKind, preset_from_settings

app = typer.Typer(help="Sharing presets: how an agency shares by default.",
                  no_args_is_help=True)

Slug = Annotated[str, typer.Argument(help="agency slug")]


@app.command("set")
def sharing_set(
    slug: Slug,
    preset: Annotated[str, typer.Option(help=", ".join(k.value for k in PresetKind))],
    state: Annotated[list[str] | None, typer.Option(
        help="a state a named_states preset admits (repeatable)")] = None,
    radius_km: Annotated[float | None, typer.Option(help="a radius preset's radius")] = None,
    lat: Annotated[float | None, typer.Option(help="the agency's seat, latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="the agency's seat, longitude")] = None,
    data_dir: DataDir = Path("data"),
    catalog: CatalogUrl = None,
) -> None:
    """Choose an agency's sharing preset (in force for the next decision)."""
    states = sorted({s.strip() for s in state}) if state else None
    with catalog_at(data_dir, catalog) as opened:
        owner = agency_id(opened, slug)
        try:
            preset_from_settings(owner, preset, states, radius_km)
        except PolicyCompileError as exc:
            raise CatalogError(str(exc)) from None
        settings: dict[str, Any] = {"sharing_preset": preset, "sharing_states": states,
                                    "sharing_radius_km": radius_km}
        if lat is not None:
            settings["lat"] = lat
        if lon is not None:
            settings["lon"] = lon
        changes(opened).update_agency(OPERATOR(), owner, **settings)
        report = compile_engine(opened).sharing_report(owner, datetime.now(UTC))
        out.print(report.description)
        admitted = ", ".join(f"{p.name} ({p.agency_id})" for p in report.admitted_by_preset)
        out.print(f"admitted today: {admitted or 'no one'}")


@app.command("show")
def sharing_show(slug: Slug, data_dir: DataDir = Path("data"),
                 catalog: CatalogUrl = None) -> None:
    """An agency's preset, the Cedar it compiles to and the agencies it admits today."""
    with catalog_at(data_dir, catalog) as opened:
        report = compile_engine(opened).sharing_report(agency_id(opened, slug),
                                                       datetime.now(UTC))
        out.print(report.description)
        if report.policy:
            out.print(report.policy, markup=False, highlight=False)
        admitted = ", ".join(f"{p.name} ({p.agency_id})" for p in report.admitted_by_preset)
        out.print(f"admitted today: {admitted or 'no one'}")
