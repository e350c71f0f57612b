"""`plateledger login` and `plateledger search` (over HTTP).

``plateledger search PLATE --kind exact|wildcard|fuzzy|area`` searches reads;
``plateledger search timeline|stakeout|convoy|locate|attributes …`` runs the investigative
kinds. Each posts to ``POST /v1/searches`` of a running server with the caller's token,
with the same required parts as the API (purpose, reason, case number, offense type; a
legal basis for a pattern of life), and shows the answer as a table, JSON or CSV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from plateledger import spreadsheet
from plateledger.cli.client import DEFAULT_URL, err, fail_on_error, load_token, save_token

out = Console()

Url = Annotated[str, typer.Option("--url", envvar="PLATELEDGER_URL", help="server address")]


def login(
    url: Url = DEFAULT_URL,
    username: Annotated[str, typer.Option(prompt=True)] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
    totp: Annotated[str, typer.Option(
        prompt="one-time code (empty if your account has no second factor)",
        help="one-time code from your authenticator; every role that reaches reads or "
             "audit contents needs one",
    )] = "",
) -> None:
    """Log in and keep the token (mode 0600) for later commands; asks for the one-time
    code unless ``--totp`` gives it."""
    response = httpx.post(
        f"{url}/v1/auth/token",
        json={"username": username, "password": password, "totp": totp or None},
        timeout=30,
    )
    body = fail_on_error(response)
    path = save_token(url, body["access_token"])
    out.print(f"logged in; token saved in {path} until {body.get('expires_at')}")


def search(
    plate: Annotated[str | None, typer.Argument(help="plate, or pattern with * and ?")] = None,
    kind: Annotated[str, typer.Option(help="exact, wildcard, fuzzy or area")] = "exact",
    purpose: Annotated[str, typer.Option(help="purpose from the closed list")] = "",
    offense: Annotated[str, typer.Option(
        "--offense", help="NIBRS offense code the search is for (required; e.g. 240, 09A; "
                          "the list: GET /v1/offense-types)")] = "",
    case_number: Annotated[str | None, typer.Option("--case")] = None,
    reason: Annotated[str, typer.Option(help="why you search (it is logged)")] = "",
    requested_by: Annotated[
        str | None, typer.Option(help="slug of the agency you search for")
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO-8601 time")] = None,
    until: Annotated[str | None, typer.Option(help="ISO-8601 time")] = None,
    camera: Annotated[list[str] | None, typer.Option(help="camera id (repeatable)")] = None,
    region: Annotated[str | None, typer.Option(help="plate state, e.g. CA")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    page_token: Annotated[str | None, typer.Option(
        help="another page of a search: the token an earlier page printed (the same "
             "options but --offset and --limit); logged as a page of that search")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="table, json or csv")] = "table",
    export: Annotated[Path | None, typer.Option(
        help="write every matching read (up to 10,000) to this .csv or .ndjson file; an "
             "export is its own policy decision and audit entry")] = None,
    url: Url = DEFAULT_URL,
    token: Annotated[str | None, typer.Option(envvar="PLATELEDGER_TOKEN")] = None,
) -> None:
    """Search reads on a running server. Every search is decided by policy and logged."""
    params: dict[str, Any] = {"plate": plate, "limit": limit, "offset": offset}
    for name, value in (("since", since), ("until", until), ("region", region)):
        if value:
            params[name] = value
    if camera:
        params["cameras"] = camera
    body = {
        "kind": kind, "params": params, "purpose": purpose, "case_number": case_number,
        "reason": reason, "requested_by": requested_by, "offense_type": offense or None,
    }
    if export is not None:
        _export(url, token, body, export)
        return
    if page_token:
        body["page_token"] = page_token
    response = httpx.post(
        f"{url}/v1/searches",
        json=body,
        headers={"Authorization": f"Bearer {load_token(url, token)}"},
        timeout=120,
    )
    page = fail_on_error(response)
    if output == "json":
        typer.echo(json.dumps(page, indent=2))
        return
    if output == "csv":
        columns = ["read_id", "ts", "plate", "region", "camera_id", "owner_id", "lat", "lon",
                   "confidence", "distance"]
        _write_csv(page["results"], columns)
        return
    table = Table(title=f"{page['kind']} search: {page['total']} reads "
                        f"(showing {offset + 1}–{offset + len(page['results'])})")
    for column in ("time (UTC)", "plate", "region", "camera", "owner", "lat, lon", "conf"):
        table.add_column(column)
    for r in page["results"]:
        where = "" if r["lat"] is None else f"{r['lat']:.5f}, {r['lon']:.5f}"
        plate_text = r["plate"]
        if r.get("distance") not in (None, 0):
            plate_text += f" (~{r['distance']})"
        table.add_row(r["ts"][:23], plate_text, r["region"], r["camera_id"],
                      owner_label(page, r["owner_id"]), where, f"{r['confidence']:.2f}")
    out.print(table)
    print_denied(page)
    if page.get("audit_index") is not None:
        of = f", a page of search {page['page_of']}" if page.get("page_of") else ""
        out.print(f"logged as audit entry {page['audit_index']}{of}")
    shown = offset + len(page["results"])
    if page.get("page_token") and shown < page["total"]:
        out.print(f"next page: the same options with --offset {shown} --page-token "
                  f"{page['page_token']}", soft_wrap=True)


def owner_label(page: dict[str, Any], owner_id: int | None) -> str:
    """The owner's slug as the answer names it (its id where it names none)."""
    for owner in page.get("owners", []):
        if owner["owner_id"] == owner_id and owner.get("agency"):
            return str(owner["agency"])
    for remote in page.get("remote_owners") or []:
        if remote.get("owner_id") == owner_id and remote.get("agency"):
            return str(remote["agency"])
    return str(owner_id)


def print_denied(page: dict[str, Any]) -> None:
    """One line per owner that denied the search: its name, slug and rule ids."""
    for owner in page.get("owners", []):
        if not owner["allowed"]:
            who = (f"{owner['agency_name']} ({owner['agency']})" if owner.get("agency")
                   else f"owner {owner['owner_id']}")
            out.print(f"[yellow]{who} denied[/yellow]: {', '.join(owner['policy_ids'])}")


def _export(url: str, token: str | None, body: dict[str, Any], path: Path) -> None:
    fmt = "ndjson" if path.suffix.lower() in (".ndjson", ".jsonl") else "csv"
    response = httpx.post(
        f"{url}/v1/exports", json={**body, "format": fmt},
        headers={"Authorization": f"Bearer {load_token(url, token)}"}, timeout=600,
    )
    if response.status_code >= 400:
        fail_on_error(response)
    path.write_bytes(response.content)
    exported, total = response.headers.get("x-exported-count"), response.headers.get(
        "x-total-count")
    out.print(f"{exported} of {total} reads written to {path} "
              f"(audit entry {response.headers.get('x-audit-index')})")
    for denied in filter(None, response.headers.get("x-owners-denied", "").split(";")):
        owner, _, ids = denied.partition(":")
        out.print(f"[yellow]owner {owner} denied[/yellow]: {ids}")
    for missing in filter(None, response.headers.get("x-owners-unavailable", "").split(";")):
        owner, _, code = missing.partition(":")
        out.print(f"[yellow]owner {owner} unavailable[/yellow]: {code}")
    fanned = response.headers.get("x-federation-audit-index")
    if fanned:
        out.print(f"sent to partner nodes: audit entry {fanned}")


# -- the investigative kinds --------------------------------------------------------------

INVESTIGATIVE = ("timeline", "stakeout", "convoy", "locate", "attributes")


class SearchGroup(TyperGroup):
    """``plateledger search``: a subcommand per investigative kind; anything else (a plate,
    or an option) is the plate search, ``plateledger search PLATE --kind …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["plates", *args]
        return super().parse_args(ctx, args)


search_app = typer.Typer(
    cls=SearchGroup, no_args_is_help=True,
    help="Search reads on a running server (`search PLATE --kind …`, or one of the "
         "investigative kinds below). Every search is decided by policy and logged.",
)
search_app.command("plates", help="Reads of a plate, pattern or area: `plateledger search "
                   "PLATE --kind exact|wildcard|fuzzy|area` (the default command).")(search)

Purpose = Annotated[str, typer.Option(help="purpose from the closed list")]
Reason = Annotated[str, typer.Option(help="why you search; it is logged")]
Case = Annotated[str, typer.Option("--case", help="case number")]
Offense = Annotated[str, typer.Option(
    "--offense", help="NIBRS offense code, e.g. 240 or 09A (GET /v1/offense-types)")]
RequestedBy = Annotated[str | None, typer.Option(help="slug of the agency you search for")]
Since = Annotated[str | None, typer.Option(help="ISO-8601 time")]
Until = Annotated[str | None, typer.Option(help="ISO-8601 time")]
Limit = Annotated[int, typer.Option(min=1, max=1000, help="rows (or plates) per page")]
Offset = Annotated[int, typer.Option(min=0, help="rows (or plates) to skip")]
AsJson = Annotated[bool, typer.Option("--json", help="print the whole answer as JSON")]
AsCsv = Annotated[bool, typer.Option("--csv", help="print the page as CSV")]
Token = Annotated[str | None, typer.Option(envvar="PLATELEDGER_TOKEN")]

READ_COLUMNS = ["read_id", "ts", "plate", "region", "camera_id", "owner_id", "lat", "lon",
                "confidence", "vehicle_make", "vehicle_color", "vehicle_type"]


def _post_search(url: str, token: str | None, body: dict[str, Any]) -> Any:
    response = httpx.post(
        f"{url}/v1/searches", json=body,
        headers={"Authorization": f"Bearer {load_token(url, token)}"}, timeout=300,
    )
    if response.status_code == 202:
        approval = response.json()
        err.print(f"[yellow]waiting for a supervisor[/yellow]: approval {approval.get('id')} "
                  f"({approval.get('status')}); once approved, run the search again with "
                  f"--approval {approval.get('id')}")
        raise typer.Exit(3)
    return fail_on_error(response)


def _body(kind: str, *, plate: str | None, since: str | None, until: str | None,
          limit: int, offset: int, purpose: str, reason: str, case: str, offense: str,
          requested_by: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if plate:
        params["plate"] = plate
    for name, value in (("since", since), ("until", until)):
        if value:
            params[name] = value
    body = {"kind": kind, "params": params, "purpose": purpose, "reason": reason,
            "case_number": case, "offense_type": offense, "requested_by": requested_by}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


Warrant = Annotated[str | None, typer.Option(help="warrant number")]
CourtOrder = Annotated[str | None, typer.Option(help="court-order number")]
Court = Annotated[str | None, typer.Option(help="the court that issued the warrant or order")]


def _basis(warrant: str | None, court_order: str | None, court: str | None, *,
           required: bool) -> dict[str, str] | None:
    """The legal basis the options name (`--warrant` or `--court-order`, with `--court`);
    ``None`` where none is named and none is ``required``."""
    if warrant is None and court_order is None and court is None and not required:
        return None
    if (warrant is None) == (court_order is None) or not court:
        raise typer.BadParameter("give one legal basis: --warrant NUMBER or --court-order "
                                 "NUMBER, with --court")
    if warrant is not None:
        return {"kind": "warrant", "number": warrant, "court": court}
    return {"kind": "court_order", "number": str(court_order), "court": court}


def _write_csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """``rows`` as CSV on stdout: text that would start a formula is prefixed (a camera
    names the vehicle), rows end in CRLF (`plateledger.spreadsheet`)."""
    writer = spreadsheet.dict_writer(sys.stdout, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet.cell(v) for k, v in row.items()} for row in rows)


def _reads_table(title: str, rows: list[dict[str, Any]],
                 page: dict[str, Any] | None = None) -> Table:
    table = Table(title=title)
    for column in ("time (UTC)", "plate", "region", "camera", "owner", "lat, lon", "vehicle"):
        table.add_column(column)
    for r in rows:
        where = "" if r["lat"] is None else f"{r['lat']:.5f}, {r['lon']:.5f}"
        vehicle = " ".join(v for v in (r.get("vehicle_color"), r.get("vehicle_make"),
                                       r.get("vehicle_type")) if v)
        table.add_row(r["ts"][:23], r["plate"], r["region"], r["camera_id"],
                      owner_label(page or {}, r["owner_id"]), where, vehicle)
    return table


def _footer(page: dict[str, Any]) -> None:
    print_denied(page)
    if page.get("audit_index") is not None:
        out.print(f"search {page.get('search_id')}, logged as audit entry "
                  f"{page['audit_index']}")


def _shown(page: dict[str, Any], offset: int, what: str = "reads") -> str:
    n = len(page["results"]) if what == "reads" else len(page.get(what) or [])
    return f"showing {offset + 1}–{offset + n}" if n else "none on this page"


@search_app.command("timeline")
def timeline(
    plate: Annotated[str, typer.Argument(help="the plate")],
    purpose: Purpose, reason: Reason, case: Case, offense: Offense,
    since: Since = None, until: Until = None, requested_by: RequestedBy = None,
    limit: Limit = 100, offset: Offset = 0, as_json: AsJson = False, as_csv: AsCsv = False,
    warrant: Warrant = None, court_order: CourtOrder = None, court: Court = None,
    url: Url = DEFAULT_URL, token: Token = None,
) -> None:
    """Every read of a plate in the window, oldest first, and its path camera by camera.

    --warrant or --court-order, with --court, name the search's legal basis (recorded in
    its audit entry): Minnesota's pack asks for it when the purpose is a warrant or order.
    """
    page = _post_search(url, token, _body(
        "timeline", plate=plate, since=since, until=until, limit=limit, offset=offset,
        purpose=purpose, reason=reason, case=case, offense=offense, requested_by=requested_by,
        legal_basis=_basis(warrant, court_order, court, required=False)))
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    if as_csv:
        _write_csv(page["results"], READ_COLUMNS)
        return
    out.print(_reads_table(f"timeline of {plate}: {page['total']} reads "
                           f"({_shown(page, offset)})", page["results"], page))
    path = Table(title=f"path: {len(page.get('path') or [])} stops")
    for column in ("camera", "first seen (UTC)", "last seen (UTC)", "reads", "lat, lon"):
        path.add_column(column)
    for stop in page.get("path") or []:
        where = "" if stop["lat"] is None else f"{stop['lat']:.5f}, {stop['lon']:.5f}"
        path.add_row(stop["camera_id"], str(stop["first_seen"])[:23],
                     str(stop["last_seen"])[:23], str(stop["reads"]), where)
    out.print(path)
    _footer(page)


def _area(spec: str, shape: str) -> dict[str, Any]:
    """``LAT,LON,METERS,SINCE,UNTIL`` (circle) or ``SOUTH,WEST,NORTH,EAST,SINCE,UNTIL``."""
    parts = [p.strip() for p in spec.split(",")]
    names = (["lat", "lon", "meters"] if shape == "circle"
             else ["south", "west", "north", "east"])
    if len(parts) != len(names) + 2:
        raise typer.BadParameter(
            f"a {shape} is {','.join(n.upper() for n in names)},SINCE,UNTIL", param_hint=shape)
    try:
        numbers = {n: float(v) for n, v in zip(names, parts, strict=False)}
    except ValueError:
        raise typer.BadParameter(f"`{spec}`: the coordinates must be numbers",
                                 param_hint=shape) from None
    return {"shape": shape, **numbers, "since": parts[-2], "until": parts[-1]}


@search_app.command("stakeout")
def stakeout(
    purpose: Purpose, reason: Reason, case: Case, offense: Offense,
    circle: Annotated[list[str] | None, typer.Option(
        help="an area: LAT,LON,METERS,SINCE,UNTIL (repeatable)")] = None,
    box: Annotated[list[str] | None, typer.Option(
        help="an area: SOUTH,WEST,NORTH,EAST,SINCE,UNTIL (repeatable)")] = None,
    areas: Annotated[Path | None, typer.Option(
        help="a JSON file with a list of areas as the API takes them (polygons too)")] = None,
    min_areas: Annotated[int | None, typer.Option(
        help="seen in at least this many areas (default: all of them)")] = None,
    requested_by: RequestedBy = None, limit: Limit = 100, offset: Offset = 0,
    as_json: AsJson = False, as_csv: AsCsv = False, url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Plates seen in at least k of several areas, each in its own time window."""
    listed = [_area(c, "circle") for c in circle or []] + [_area(b, "box") for b in box or []]
    if areas is not None:
        listed += json.loads(areas.read_text())
    if not listed:
        raise typer.BadParameter("give at least one area (--circle, --box or --areas)")
    page = _post_search(url, token, _body(
        "stakeout", plate=None, since=None, until=None, limit=limit, offset=offset,
        purpose=purpose, reason=reason, case=case, offense=offense, requested_by=requested_by,
        stakeout={"areas": listed, "min_areas": min_areas or len(listed)}))
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    plates = page.get("stakeout") or []
    if as_csv:
        _write_csv([{**p, "areas_matched": " ".join(str(a) for a in p["areas_matched"])}
                    for p in plates], ["plate", "areas_matched", "reads"])
        return
    table = Table(title=f"stakeout: {page['total']} plates in at least "
                        f"{min_areas or len(listed)} of {len(listed)} areas "
                        f"({_shown(page, offset, 'stakeout')})")
    for column in ("plate", "areas (0 = first)", "reads"):
        table.add_column(column)
    for p in plates:
        table.add_row(p["plate"], ", ".join(str(a) for a in p["areas_matched"]), str(p["reads"]))
    out.print(table)
    out.print(_reads_table("their reads inside the areas", page["results"], page))
    _footer(page)


@search_app.command("convoy")
def convoy(
    plate: Annotated[str, typer.Argument(help="the target plate")],
    purpose: Purpose, reason: Reason, case: Case, offense: Offense,
    since: Annotated[str, typer.Option(help="ISO-8601 time (required: at most 31 days)")],
    until: Annotated[str, typer.Option(help="ISO-8601 time (required)")],
    window_seconds: Annotated[int, typer.Option(
        min=1, max=3600, help="seconds before or after the target that count as together")
    ] = 120,
    min_places: Annotated[int, typer.Option(
        min=1, help="cameras at which a companion was seen with the target")] = 2,
    requested_by: RequestedBy = None, limit: Limit = 100, offset: Offset = 0,
    as_json: AsJson = False, as_csv: AsCsv = False,
    rows: Annotated[bool, typer.Option(
        "--rows", help="with --csv: the companions' reads instead of the companions")] = False,
    warrant: Warrant = None, court_order: CourtOrder = None, court: Court = None,
    url: Url = DEFAULT_URL, token: Token = None,
) -> None:
    """Vehicles seen with a target at several of its cameras, ranked, and their reads there.

    A page is a page of companions, with the reads of those companions at the shared places.
    --warrant or --court-order, with --court, name its legal basis, as for a timeline.
    """
    page = _post_search(url, token, _body(
        "convoy", plate=plate, since=since, until=until, limit=limit, offset=offset,
        purpose=purpose, reason=reason, case=case, offense=offense, requested_by=requested_by,
        convoy={"window_seconds": window_seconds, "min_places": min_places},
        legal_basis=_basis(warrant, court_order, court, required=False)))
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    companions = page.get("companions") or []
    if as_csv:
        if rows:
            _write_csv(page["results"], READ_COLUMNS)
        else:
            _write_csv(companions, ["plate", "places", "co_occurrences", "first_seen",
                                    "last_seen"])
        return
    table = Table(title=f"convoy of {plate}: {page['total']} companions "
                        f"({_shown(page, offset, 'companions')})")
    for column in ("plate", "places", "together", "first seen (UTC)", "last seen (UTC)"):
        table.add_column(column)
    for c in companions:
        table.add_row(c["plate"], str(c["places"]), str(c["co_occurrences"]),
                      str(c["first_seen"])[:23], str(c["last_seen"])[:23])
    out.print(table)
    out.print(_reads_table("their reads at the shared places", page["results"], page))
    _footer(page)


@search_app.command("locate")
def locate(
    plate: Annotated[str, typer.Argument(help="the plate")],
    purpose: Purpose, reason: Reason, case: Case, offense: Offense,
    court: Annotated[str, typer.Option(help="the court that issued the warrant or order")],
    warrant: Warrant = None, court_order: CourtOrder = None,
    approval: Annotated[str | None, typer.Option(
        help="the supervisor's approval id (after an answer that waits for one)")] = None,
    since: Since = None, until: Until = None, requested_by: RequestedBy = None,
    as_json: AsJson = False, as_csv: AsCsv = False, url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """A plate's pattern of life: its reads by hour, weekday and camera.

    Only under a warrant or court order: --warrant or --court-order, and --court.
    """
    page = _post_search(url, token, _body(
        "locate", plate=plate, since=since, until=until, limit=100, offset=0,
        purpose=purpose, reason=reason, case=case, offense=offense, requested_by=requested_by,
        legal_basis=_basis(warrant, court_order, court, required=True), approval_id=approval))
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    pattern = page.get("pattern") or {"by_hour": [], "by_weekday": [], "places": []}
    if as_csv:
        _write_csv(pattern["places"], ["camera_id", "lat", "lon", "reads"])
        return
    out.print(f"pattern of life of {plate}: {page['total']} reads")
    hours = Table(title="by hour of day (UTC)")
    for h in range(0, 24):
        hours.add_column(f"{h:02d}", justify="right")
    hours.add_row(*(str(n) for n in pattern["by_hour"]))
    out.print(hours)
    days = Table(title="by weekday")
    for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        days.add_column(d, justify="right")
    days.add_row(*(str(n) for n in pattern["by_weekday"]))
    out.print(days)
    places = Table(title="by camera")
    for column in ("camera", "lat, lon", "reads"):
        places.add_column(column)
    for p in pattern["places"]:
        where = "" if p["lat"] is None else f"{p['lat']:.5f}, {p['lon']:.5f}"
        places.add_row(p["camera_id"], where, str(p["reads"]))
    out.print(places)
    _footer(page)


@search_app.command("attributes")
def attributes(
    purpose: Purpose, reason: Reason, case: Case, offense: Offense,
    since: Annotated[str, typer.Option(help="ISO-8601 time (required: at most 31 days)")],
    until: Annotated[str, typer.Option(help="ISO-8601 time (required)")],
    make: Annotated[str | None, typer.Option(help="vehicle make")] = None,
    color: Annotated[str | None, typer.Option(help="vehicle colour")] = None,
    vehicle_type: Annotated[str | None, typer.Option("--type", help="vehicle type")] = None,
    plate: Annotated[str | None, typer.Option(help="partial plate, with * and ?")] = None,
    requested_by: RequestedBy = None, limit: Limit = 100, offset: Offset = 0,
    as_json: AsJson = False, as_csv: AsCsv = False, url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Reads in a window by what the vehicle looks like, newest first."""
    page = _post_search(url, token, _body(
        "attributes", plate=plate, since=since, until=until, limit=limit, offset=offset,
        purpose=purpose, reason=reason, case=case, offense=offense, requested_by=requested_by,
        vehicle={"make": make, "color": color, "vehicle_type": vehicle_type}))
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    if as_csv:
        _write_csv(page["results"], READ_COLUMNS)
        return
    out.print(_reads_table(f"attributes: {page['total']} reads ({_shown(page, offset)})",
                           page["results"], page))
    _footer(page)
