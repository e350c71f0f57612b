"""`plateledger admin profile …`: the opt-in profiles among an agency's law packs (the
California strict profile, ``CA-STRICT``), set by the platform operator like the rest of
an agency's packs. A profile only adds rules to the agency's data; this command never
touches its state packs. Each change is an audit entry (`AdminChanges.update_agency`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plateledger.cli.admin import (
    OPERATOR,
    CatalogUrl,
    DataDir,
    agency_id,
    catalog_at,
    changes,
    out,
    show,
)
from plateledger.policy import LAW_PACKS, LawPack, UnknownPack, law_pack

app = typer.Typer(help="Opt-in law-pack profiles of an agency (e.g. CA-STRICT).",
                  no_args_is_help=True)

Slug = Annotated[str, typer.Argument(help="agency slug")]
Profile = Annotated[str, typer.Argument(help="profile code, e.g. CA-STRICT")]


def opt_in_profile(code: str) -> LawPack:
    """The opt-in pack ``code``; `typer.BadParameter` for a state pack or an unknown code."""
    names = ", ".join(p.code for p in LAW_PACKS.values() if p.opt_in)
    try:
        pack = law_pack(code)
    except UnknownPack:
        raise typer.BadParameter(f"no profile `{code[:20]}`: profiles are {names}") from None
    if not pack.opt_in:
        raise typer.BadParameter(
            f"`{pack.code}` is a state's law, not an opt-in profile: profiles are {names}"
        )
    return pack


@app.command("add")
def profile_add(slug: Slug, profile: Profile, data_dir: DataDir = Path("data"),
                catalog: CatalogUrl = None) -> None:
    """Opt an agency in to a profile: its rules apply to the agency's data from the next
    decision."""
    pack = opt_in_profile(profile)
    with catalog_at(data_dir, catalog) as opened:
        found = opened.agency(agency_id(opened, slug))
        assert found is not None
        if pack.code in found.law_packs:
            out.print(f"agency `{slug}` already carries `{pack.code}`")
            return
        changes(opened).update_agency(OPERATOR(), found.id,
                                      law_packs=[*found.law_packs, pack.code])
        out.print(f"agency `{slug}` opted in to `{pack.code}` ({pack.status})")


@app.command("remove")
def profile_remove(slug: Slug, profile: Profile, data_dir: DataDir = Path("data"),
                   catalog: CatalogUrl = None) -> None:
    """Opt an agency out of a profile (its state packs stay)."""
    pack = opt_in_profile(profile)
    with catalog_at(data_dir, catalog) as opened:
        found = opened.agency(agency_id(opened, slug))
        assert found is not None
        if pack.code not in found.law_packs:
            out.print(f"agency `{slug}` does not carry `{pack.code}`")
            return
        kept = [code for code in found.law_packs if code != pack.code]
        changes(opened).update_agency(OPERATOR(), found.id, law_packs=kept)
        out.print(f"agency `{slug}` opted out of `{pack.code}`")


@app.command("list")
def profile_list() -> None:
    """The opt-in profiles and what they are."""
    show("opt-in profiles", ["code", "title", "status"],
         [[p.code, p.title, p.status] for p in LAW_PACKS.values() if p.opt_in])
