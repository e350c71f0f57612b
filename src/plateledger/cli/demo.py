"""`plateledger demo`: a simulated city, loaded and served, with logins to try."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.panel import Panel

from plateledger.catalog import Catalog, new_totp_secret, open_catalog
from plateledger.catalog.totp import totp_code
from plateledger.cli.serving import run_server
from plateledger.cli.simulating import progress_bar
from plateledger.demo import (
    DEMO_PASSWORD,
    FEDERATED_NODES,
    HOT_AMBER,
    HOT_STOLEN,
    RETENTION_DAYS,
    DemoAccounts,
    DemoNode,
    LiveFeed,
    federated_agencies,
    feed_order,
    load_reads,
    pick_plates,
    register_partners,
    seed_catalog,
    seed_hotlists,
)
from plateledger.federation import NodeKey
from plateledger.hotlist.store import HotlistStore
from plateledger.settings import Settings
from plateledger.sim import City, default_plan
from plateledger.sim.planted import PlantedCase, plant_case
from plateledger.store import ReadStore
from plateledger.store.images import open_image_store

out = Console()


FEED_PLATES = 500
DEMO_WITHHELD_SECONDS = 60
"""The demo publishes the hot-list hits it withholds every minute (a deployment: daily)."""
WITHHELD_ENV = "PLATELEDGER_WITHHELD_PUBLISH_SECONDS"


@dataclass
class Prepared:
    accounts: DemoAccounts
    hot: list[tuple[str, str]]
    """hot-listed plates (and regions) that the live feed sends now and then"""
    ordinary: list[tuple[str, str]]
    case: dict[str, object] | None = None
    """the planted stolen car and its companions (`plateledger.sim.planted`)"""


def case_summary(case: PlantedCase) -> dict[str, object]:
    """What the demo prints about the planted case, kept beside the demo's data."""
    return {
        "stolen": case.stolen, "region": case.region, "companions": list(case.companions),
        "since": case.since.isoformat(), "until": case.until.isoformat(),
        "places": [{"camera_id": p.camera_id, "lat": p.lat, "lon": p.lon,
                    "ts": p.ts.isoformat()} for p in case.places],
        "home": {"camera_id": case.home.camera_id, "lat": case.home.lat,
                 "lon": case.home.lon},
    }


def enrol_second_factors(catalog: Catalog, accounts: DemoAccounts) -> dict[str, str]:
    """A second factor for each demo user that has none and needs one."""
    secrets: dict[str, str] = {}
    for username in accounts.users:
        user = catalog.user_by_username(username)
        if user is not None and catalog.needs_totp(user) and not user.totp_secret_encrypted:
            secrets[username] = new_totp_secret()
            catalog.enroll_totp(username, secrets[username])
    return secrets


def prepare(settings: Settings, *, reads: int, seed: int, days: float) -> Prepared:
    """Seed the catalog, load reads and import hot lists once; later runs reuse them."""
    city = City(default_plan())
    accounts_file = settings.data_dir / "demo-accounts.json"
    case_file = settings.data_dir / "demo-case.json"
    catalog = open_catalog(settings)
    try:
        if not catalog.agencies():
            accounts = seed_catalog(catalog, city.plan)
            accounts_file.write_text(json.dumps(accounts.__dict__, indent=2))
            accounts_file.chmod(0o600)
        else:
            accounts = DemoAccounts(**json.loads(accounts_file.read_text()))
            if not accounts.totp_secrets:
                # A demo made before every such role needed a second factor: enrol them.
                accounts.totp_secrets = enrol_second_factors(catalog, accounts)
                accounts_file.write_text(json.dumps(accounts.__dict__, indent=2))
    finally:
        catalog.engine.dispose()
    store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
    try:
        if store.count(include_expired=True) == 0:
            owner_ids = {a.id: accounts.agency_ids[a.slug] for a in city.plan.agencies}
            retention = {a.id: RETENTION_DAYS.get(a.slug, 180) for a in city.plan.agencies}
            bar, advance = progress_bar("simulating the city and loading its reads", reads)
            with bar:
                load_reads(store, city, reads=reads, seed=seed, days=days,
                           owner_ids=owner_ids, retention_days=retention, progress=advance)
            case = plant_case(city.plan, end=datetime.now(UTC), owner_ids=owner_ids,
                              images=open_image_store(settings.images_url,
                                                      settings.images_dir),
                              retention_days=retention[city.plan.agencies[0].id])
            store.insert_reads(case.reads)
            case_file.write_text(json.dumps(case_summary(case), indent=2))
        plates = pick_plates(store, HOT_STOLEN + HOT_AMBER + FEED_PLATES)
    finally:
        store.close()
    summary = json.loads(case_file.read_text()) if case_file.exists() else None
    hot, ordinary = plates[:HOT_STOLEN + HOT_AMBER], plates[HOT_STOLEN + HOT_AMBER:]
    if summary is not None:
        # The planted stolen car heads the stolen-vehicle list.
        hot = [(str(summary["stolen"]), str(summary["region"])), *hot[:HOT_STOLEN - 1],
               *hot[HOT_STOLEN:]]
    catalog = open_catalog(settings)
    try:
        hotlists = HotlistStore(catalog.engine)
        if not hotlists.lists():
            seed_hotlists(hotlists, accounts.agency_ids, hot)
    finally:
        catalog.engine.dispose()
    return Prepared(accounts, hot, ordinary, summary)


def case_instructions(case: dict[str, object] | None, url: str) -> str:
    """How to find the planted stolen car, its companions and its places on the map."""
    if case is None:
        return ""
    places = case["places"]
    assert isinstance(places, list)
    where = "\n".join(f"    {p['camera_id']} at {p['lat']:.5f}, {p['lon']:.5f} "
                      f"({p['ts'][:16]} UTC)" for p in places)
    companions = ", ".join(str(c) for c in case["companions"])  # type: ignore[attr-defined]
    return (
        f"A case to work on the map ({url}/workspace, as ucpd.investigator):\n"
        f"  {case['stolen']} is on Union City's stolen-vehicle list. From "
        f"{str(case['since'])[:16]} to {str(case['until'])[:16]} UTC:\n"
        f"  - Plate timeline of {case['stolen']}: its path on the map, reads in time order;\n"
        f"  - Convoy from its row: the vehicles that travelled with it ({companions});\n"
        f"  - Stakeout: draw a circle (or use the form) over each of these three places,\n"
        f"    seen in at least 3 areas:\n{where}\n\n"
    )


def demo(
    data_dir: Annotated[Path, typer.Option(help="where the demo keeps its data")] = Path(
        "data/demo"
    ),
    reads: Annotated[int, typer.Option(min=1000, help="reads to simulate")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="simulation seed")] = 7,
    days: Annotated[float, typer.Option(min=1, help="days of traffic, ending now")] = 14.0,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8080,
    serve: Annotated[bool, typer.Option(help="serve after loading")] = True,
    live: Annotated[bool, typer.Option(
        help="while serving, post a few reads a second from a demo camera, some of them "
             "hot-listed, so that alerts arrive live")] = True,
    federated: Annotated[bool, typer.Option(
        help="run the demo as three nodes (Union City, Alameda County's hub, the federal "
             "unit), each its own process, data directory, log and key, on consecutive "
             "ports from --port, the partners registered with each other; data under "
             "DATA_DIR/federated")] = False,
    federated_node: Annotated[str | None, typer.Option(
        hidden=True, help="prepare this node of the federated demo in DATA_DIR and exit "
                          "(each node's store is opened by its own process)")] = None,
) -> None:
    """Simulate a small city (five California agencies, Reno PD and a federal immigration
    unit), load its reads, and serve the API with demo logins."""
    if federated_node is not None:
        prepare_node(data_dir, federated_node, reads=reads, seed=seed, days=days)
        return
    if federated:
        run_federated(data_dir / "federated", reads=reads, seed=seed, days=days, host=host,
                      port=port, serve=serve)
        return
    settings = demo_settings(data_dir, host, port)
    data_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare(settings, reads=reads, seed=seed, days=days)
    accounts = prepared.accounts
    url = f"http://{host}:{port}"
    hot = ", ".join(p for p, _ in prepared.hot[:3])
    feed = (
        f"Live feed: {accounts.camera_id} posts a few reads a second; hot-listed plates\n"
        f"  ({hot} …) come by every 15 s, the Highway Patrol's AMBER plates among them.\n"
        f"  Watch them arrive as ucpd.investigator (or chp.investigator for AMBER):\n"
        f"  curl -N -H 'Authorization: Bearer TOKEN' {url}/v1/alerts/stream\n"
        f"  or list them with GET {url}/v1/hits\n\n"
        if live and serve else ""
    )
    users = "\n".join(f"  {name:<28} {what}" for name, what in accounts.users.items()
                      if name.endswith((".investigator", ".auditor")))
    out.print(Panel.fit(
        f"[bold]plateledger demo[/bold] — {url}\n\n"
        f"API docs:      {url}/docs\n"
        f"Transparency:  {url}/transparency\n\n"
        f"Logins (password [bold]{DEMO_PASSWORD}[/bold]; each also needs a one-time code —\n"
        f"  [bold]plateledger demo-code USERNAME --data-dir {data_dir}[/bold] prints the "
        f"current one):\n"
        f"{users}\n"
        f"  and for each agency SLUG.supervisor (supervisor, investigator) and SLUG.admin\n"
        f"  (admin; an admin has no one-time code: log in with --totp '')\n\n"
        f"Camera key for {accounts.camera_id}'s agency: {accounts.camera_key}\n\n"
        f"{feed}"
        f"{case_instructions(prepared.case, url)}"
        f"Try:\n"
        f"  plateledger login --url {url} --username ucpd.investigator "
        f"--totp $(plateledger demo-code ucpd.investigator --data-dir {data_dir})\n"
        f"  plateledger search {prepared.hot[0][0] if prepared.hot else '7ABC123'} "
        f"--url {url} --kind fuzzy --purpose stolen_vehicle --offense 240 "
        f"--case UC-2026-0042 --reason 'stolen white pickup'\n"
        f"  plateledger audit verify --url {url}",
        title="ready",
    ))
    if serve:
        feeder = None
        if live:
            feeder = LiveFeed(url, accounts.camera_key, accounts.camera_id, prepared.ordinary,
                              feed_order(prepared.hot), seed=seed)
            feeder.start()
        try:
            run_server(settings)
        finally:
            if feeder is not None:
                feeder.stop()


def demo_settings(data_dir: Path, host: str, port: int) -> Settings:
    """The demo server's settings: the environment's, but for withheld hits published
    every minute (unless the environment says otherwise), so that they show while the
    demo runs."""
    settings = Settings(data_dir=data_dir, host=host, port=port)
    if WITHHELD_ENV in os.environ:
        return settings
    return settings.model_copy(update={"withheld_publish_seconds": DEMO_WITHHELD_SECONDS})


def demo_code(
    username: Annotated[str, typer.Argument(help="a demo login, e.g. ucpd.investigator")],
    data_dir: Annotated[Path, typer.Option(help="where the demo keeps its data")] = Path(
        "data/demo"
    ),
) -> None:
    """Print the current one-time code of a demo login (the demo keeps its users'
    second-factor secrets in its data directory; a real deployment keeps none)."""
    accounts_file = data_dir / "demo-accounts.json"
    if not accounts_file.exists():
        out.print(f"[red]no demo in `{data_dir}`: run plateledger demo first[/red]")
        raise typer.Exit(2)
    secrets = DemoAccounts(**json.loads(accounts_file.read_text())).totp_secrets
    secret = secrets.get(username)
    if secret is None:
        known = ", ".join(sorted(secrets))
        out.print(f"[red]`{username}` is not a demo login with a second factor; "
                  f"these are: {known}[/red]")
        raise typer.Exit(2)
    typer.echo(totp_code(secret, datetime.now(UTC)))


NODES_FILE = "demo-nodes.json"
"""Written beside the federated demo's nodes once every node answers; removed at exit."""
NODE_FILE = "demo-node.json"
"""In each node's directory: its name, agencies, and a plate its cameras read often."""


def prepare_node(data_dir: Path, name: str, *, reads: int, seed: int, days: float) -> None:
    """Prepare one node of the federated demo in ``data_dir``, in this process (a node's
    read store is opened by one process only): a catalog holding every node's agencies
    with their class, the users, cameras and agreements of this node's own agencies, and
    their share of the simulated city's reads. Later runs reuse them."""
    node = next((n for n in FEDERATED_NODES if n.name == name), None)
    if node is None:
        out.print(f"[red]no node `{name}` in the federated demo[/red]")
        raise typer.Exit(2)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir)
    plan = City(default_plan()).plan
    accounts_file = data_dir / "demo-accounts.json"
    catalog = open_catalog(settings)
    try:
        if not catalog.agencies():
            accounts = seed_catalog(catalog, plan, agencies=federated_agencies(),
                                    own=node.agencies)
            accounts_file.write_text(json.dumps(accounts.__dict__, indent=2))
            accounts_file.chmod(0o600)
        else:
            accounts = DemoAccounts(**json.loads(accounts_file.read_text()))
    finally:
        catalog.engine.dispose()
    own = {a.id for a in plan.agencies if a.slug in node.agencies}
    plate = None
    if any(c.owner_id in own for c in plan.cameras):
        store = ReadStore.open(data_dir=settings.store_dir, partitioning=settings.partitioning)
        try:
            if store.count(include_expired=True) == 0:
                present = [a for a in plan.agencies if a.slug in accounts.agency_ids]
                load_reads(store, City(plan), reads=reads, seed=seed, days=days,
                           owner_ids={a.id: accounts.agency_ids[a.slug] for a in present},
                           retention_days={a.id: RETENTION_DAYS.get(a.slug, 180)
                                           for a in present},
                           only=own)
            picked = pick_plates(store, 1)
            plate = picked[0][0] if picked else None
        finally:
            store.close()
    (data_dir / NODE_FILE).write_text(json.dumps(
        {"node": node.name, "agencies": list(node.agencies), "plate": plate}, indent=2))


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the node at {url} exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/v1/audit/checkpoint", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the node at {url} did not start in time")


def url_node(urls: dict[DemoNode, str], url: str) -> str:
    return next(node.name for node, u in urls.items() if u == url)


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def federated_panel(base: Path, urls: dict[DemoNode, str]) -> tuple[str, list[dict[str, object]]]:
    """What the federated demo prints, and what it writes to `NODES_FILE`."""
    rows: list[dict[str, object]] = []
    lines = []
    for node, url in urls.items():
        accounts = DemoAccounts(**json.loads((base / node.name / "demo-accounts.json")
                                             .read_text()))
        about = json.loads((base / node.name / NODE_FILE).read_text())
        logins = [u for u in accounts.users if u.endswith((".investigator", ".auditor"))]
        rows.append({"node": node.name, "url": url, "agencies": list(node.agencies),
                     "data_dir": str(base / node.name), "logins": logins,
                     "plate": about["plate"]})
        lines.append(f"  [bold]{node.name:<10}[/bold] {url}  {node.about} "
                     f"({', '.join(node.agencies)})\n"
                     f"  {'':<10} logins: {', '.join(logins)}\n"
                     f"  {'':<10} data:   {base / node.name}")
    plate = next((str(r["plate"]) for r in rows if r["plate"]), "7ABC123")
    county = next((r for r in rows if r["node"] == "alameda"), rows[0])
    federal = next((r for r in rows if r["node"] == "federal"), rows[-1])
    text = (
        f"[bold]plateledger federated demo[/bold] — {len(rows)} nodes, each its own process, "
        f"data directory, catalog, audit log and node key;\n"
        f"each registered the others for their agencies (plateledger node list --data-dir "
        f"DIR)\n\n" + "\n\n".join(lines) + "\n\n"
        f"Password [bold]{DEMO_PASSWORD}[/bold]; the one-time code of a login:\n"
        f"  plateledger demo-code USERNAME --data-dir <that node's data directory>\n\n"
        f"Try, on the county's node ({plate} is often read by Union City's cameras):\n"
        f"  plateledger login --url {county['url']} --username acso.investigator "
        f"--totp $(plateledger demo-code acso.investigator --data-dir {county['data_dir']})\n"
        f"  plateledger search {plate} --url {county['url']} --purpose stolen_vehicle "
        f"--offense 240 --case AC-2026-0042 --reason 'stolen white pickup' -o json\n"
        f"  Union City's node decides under its own agreements and logs the search in its "
        f"own log;\n  the answer's remote_owners lists it, with the index of its entry. "
        f"The same search as\n  ice-ero-sf.investigator on {federal['url']} is refused by "
        f"every California node\n  (ca-civ-1798.90.55b-no-federal), and logged on both "
        f"sides under one search UUID."
    )
    return text, rows


def run_federated(base: Path, *, reads: int, seed: int, days: float, host: str, port: int,
                  serve: bool) -> None:
    """The demo as `FEDERATED_NODES`: each node prepared by its own process, the node keys
    exchanged (each node registers the others, as ``plateledger node add`` does), then
    each served by its own ``plateledger serve`` process on consecutive ports from
    ``port`` until interrupted. `NODES_FILE` lists them once every node answers."""
    base.mkdir(parents=True, exist_ok=True)
    (base / NODES_FILE).unlink(missing_ok=True)
    urls = {node: f"http://{host}:{port + i}" for i, node in enumerate(FEDERATED_NODES)}
    out.print(f"preparing {len(urls)} nodes under {base} (each in its own process) …")
    preparing = [
        subprocess.Popen([sys.executable, "-m", "plateledger.cli.main", "demo", "--data-dir",
                          str(base / node.name), "--federated-node", node.name, "--reads",
                          str(reads), "--seed", str(seed), "--days", str(days)])
        for node in urls
    ]
    try:
        failed = [p.args for p in preparing if p.wait() != 0]
    finally:
        _stop(preparing)
    if failed:
        out.print("[red]a node could not be prepared[/red]")
        raise typer.Exit(1)
    keys = {node.name: NodeKey.load_or_create(base / node.name).public.text() for node in urls}
    for node in urls:
        catalog = open_catalog(Settings(data_dir=base / node.name))
        try:
            register_partners(catalog, node, urls, keys)
        except ValueError as exc:
            out.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        finally:
            catalog.engine.dispose()
    text, rows = federated_panel(base, urls)
    if not serve:
        out.rule("prepared (not serving)")
        out.print(text, soft_wrap=True)
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for node, url in urls.items():
            with (base / node.name / "server.log").open("ab") as log:
                servers.append(subprocess.Popen(
                    [sys.executable, "-m", "plateledger.cli.main", "serve", "--data-dir",
                     str(base / node.name), "--host", host, "--port", url.rsplit(":", 1)[1]],
                    stdout=log, stderr=subprocess.STDOUT,
                    env={WITHHELD_ENV: str(DEMO_WITHHELD_SECONDS), **os.environ}))
        for server, url in zip(servers, urls.values(), strict=True):
            try:
                _wait_ready(url, server)
            except RuntimeError as exc:
                out.print(f"[red]{exc}; its log: {base / url_node(urls, url)}/server.log[/red]")
                raise typer.Exit(1) from None
        out.rule("ready")
        out.print(text, soft_wrap=True)
        (base / NODES_FILE).write_text(json.dumps(rows, indent=2))
        while all(s.poll() is None for s in servers):
            time.sleep(0.5)
        out.print("[red]a node stopped; stopping the others[/red]")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        (base / NODES_FILE).unlink(missing_ok=True)
        _stop(servers)
        signal.signal(signal.SIGTERM, previous)
