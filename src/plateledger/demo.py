"""The demo city: agencies, cameras, accounts, keys and sharing agreements in the catalog,
and simulated reads in the store. Used by `plateledger demo` and by end-to-end tests.

Only lawful sharing is set up as agreements; the federal immigration unit and the
out-of-state agency have accounts, so their searches of California data show the law
packs denying them (with the statute's policy id).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from plateledger.audit import AuditLog
from plateledger.catalog import Catalog, new_totp_secret
from plateledger.federation import NodeRegistry
from plateledger.federation.registry import operator
from plateledger.hotlist.category import Category
from plateledger.hotlist.store import HotlistStore
from plateledger.sim import City, CityPlan
from plateledger.store import ReadStore

log = logging.getLogger("plateledger.demo")

DEMO_PASSWORD = "plateledger-demo"
RETENTION_DAYS = {"chp": 60, "rpd": 365}
HOT_STOLEN = 12
HOT_AMBER = 2
SHARED_PURPOSES = (
    "stolen_vehicle", "stolen_plate", "wanted_person", "warrant", "missing_person",
    "endangered_person", "amber_alert", "violent_felony", "homicide", "robbery", "trafficking",
)


@dataclass
class DemoAccounts:
    """What a person needs to try the demo: logins and a camera key."""

    users: dict[str, str] = field(default_factory=dict)
    """username → what the account shows."""
    camera_key: str = ""
    camera_id: str = ""
    agency_ids: dict[str, int] = field(default_factory=dict)
    """slug → catalog id."""
    totp_secrets: dict[str, str] = field(default_factory=dict)
    """username → the base32 secret of its second factor (demo accounts only: a real
    agency's users enrol their own authenticator and no file keeps the secret)."""


def seed_catalog(
    catalog: Catalog, plan: CityPlan, *, agencies: Collection[str] | None = None,
    own: Collection[str] | None = None,
) -> DemoAccounts:
    """Add the plan's agencies, cameras, users and agreements to an empty catalog.

    A node of the federated demo holds only ``agencies`` (slugs; default all), and the
    cameras, users and camera key of only those it keeps reads for (``own``; default all);
    the agreements it holds are those among ``agencies``."""
    accounts = DemoAccounts()
    present = [a for a in plan.agencies if agencies is None or a.slug in agencies]
    mine = {a.id for a in present if own is None or a.slug in own}
    for agency in present:
        row = catalog.add_agency(
            agency.name, agency.slug, agency.kind, agency.home_state,
            custodian_contact=f"records@{agency.slug}.example",
            # CHP keeps non-hit reads 60 days (LAWS.md); the cities publish 180
            retention_nonhit_days=RETENTION_DAYS.get(agency.slug, 180),
        )
        accounts.agency_ids[agency.slug] = row.id
    by_sim_id = {a.id: accounts.agency_ids[a.slug] for a in present}
    for camera in plan.cameras:
        if camera.owner_id not in mine:
            continue
        catalog.add_camera(
            camera.camera_id, by_sim_id[camera.owner_id], camera.kind,
            lat=camera.lat if camera.kind == "fixed" else None,
            lon=camera.lon if camera.kind == "fixed" else None,
            heading=None if camera.heading < 0 else float(camera.heading),
        )
    roles_by_user = {
        "investigator": ("investigator",),
        "supervisor": ("supervisor", "investigator"),
        "admin": ("admin",),
        "auditor": ("auditor",),
    }
    for agency in present:
        if agency.id not in mine:
            continue
        for suffix, roles in roles_by_user.items():
            username = f"{agency.slug}.{suffix}"
            # Every role but the admin reaches reads or audit contents: a second factor.
            secret = new_totp_secret() if suffix != "admin" else None
            catalog.add_user(
                by_sim_id[agency.id], username, DEMO_PASSWORD, roles,
                display_name=f"{agency.name} {suffix}", totp_secret=secret,
            )
            if secret is not None:
                accounts.totp_secrets[username] = secret
            accounts.users[username] = f"{agency.name}, {', '.join(roles)}"
    # Lawful sharing among the California agencies in the city (and with CHP).
    california = [a for a in present if a.home_state == "CA" and a.kind != "federal"]
    for owner in california:
        for recipient in california:
            if owner.id == recipient.id:
                continue
            catalog.add_agreement(
                by_sim_id[owner.id], by_sim_id[recipient.id],
                actions=("search", "alert", "export"), purposes=SHARED_PURPOSES,
                created_by=f"{owner.slug}.admin", max_lookback_days=90,
                case_number_required=True,
            )
    # Union City shares "with everyone" — the California pack still forbids the federal
    # and out-of-state recipients, and the denial names the statute.
    union_city = plan.agencies[0]
    for other in present if union_city in present else ():
        if other.home_state != "CA" or other.kind == "federal":
            catalog.add_agreement(
                by_sim_id[union_city.id], by_sim_id[other.id],
                actions=("search", "alert"), purposes=SHARED_PURPOSES,
                created_by=f"{union_city.slug}.admin", case_number_required=True,
            )
    keeper = union_city if union_city.id in mine else next(
        (a for a in present if a.id in mine), None)
    intake = next((c for c in plan.cameras if keeper is not None
                   and c.owner_id == keeper.id and c.kind == "fixed"), None)
    if keeper is not None and intake is not None:
        accounts.camera_id = intake.camera_id
        accounts.camera_key = catalog.issue_api_key(
            by_sim_id[keeper.id], label=f"demo intake (all {keeper.name} cameras)"
        )
    return accounts


def load_reads(
    store: ReadStore, city: City, *, reads: int, seed: int, days: float,
    owner_ids: dict[int, int], retention_days: dict[int, int] | None = None,
    progress: Callable[[int], None] | None = None, only: Collection[int] | None = None,
) -> int:
    """Generate ``reads`` reads ending now into ``store``; owner ids mapped to the catalog's.
    With ``only`` (simulated agency ids), only those agencies' reads are kept (a node of
    the federated demo keeps its own agencies' share of the same city's traffic)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    start = datetime.now(UTC) - timedelta(days=days)
    sim_ids = pa.array(list(owner_ids), pa.uint32())
    catalog_ids = pa.array(list(owner_ids.values()), pa.uint32())
    loaded = 0
    for table in city.generate(
        seed, reads, start, days, retention_days=retention_days, progress=progress
    ):
        if only is not None:
            table = table.filter(pc.is_in(table.column("owner_id"),
                                          value_set=pa.array(sorted(only), pa.uint32())))
        owners = table.column("owner_id")
        if sim_ids != catalog_ids:
            mapped = pc.take(catalog_ids, pc.index_in(owners, value_set=sim_ids))
            table = table.set_column(table.schema.get_field_index("owner_id"),
                                     table.schema.field("owner_id"), mapped)
        store.insert_arrow(table)
        loaded += table.num_rows
    return loaded


def pick_plates(store: ReadStore, count: int) -> list[tuple[str, str]]:
    """The ``count`` most often read plates (with a region), for hot lists and the live feed."""
    rows = store.query(
        "SELECT plate, any(region) AS region, count() AS n FROM {db}.reads "
        "GROUP BY plate ORDER BY n DESC, plate LIMIT {count:UInt32}",
        {"count": count},
    )
    return list(zip(rows.column("plate").to_pylist(), rows.column("region").to_pylist(),
                    strict=True))


def seed_hotlists(
    hotlists: HotlistStore, agency_ids: dict[str, int], plates: list[tuple[str, str]],
) -> dict[str, list[str]]:
    """Hot lists that the live feed's reads will hit: the city police's stolen-vehicle list,
    the Highway Patrol's AMBER alert (each entry with its case number: Union City shares
    alerts with CHP only for entries that have one), and the federal unit's immigration
    list over the same plates, which the California pack must keep from ever matching
    California reads."""
    stolen, amber = plates[:HOT_STOLEN], plates[HOT_STOLEN:HOT_STOLEN + HOT_AMBER]
    union_city, chp, federal = (agency_ids[s] for s in ("ucpd", "chp", "ice-ero-sf"))

    def rows(listed: list[tuple[str, str]], reason: str, case: str) -> list[dict[str, object]]:
        return [{"plate": p, "region": r, "reason": reason, "case_number": f"{case}-{i:03d}",
                 "priority": 2} for i, (p, r) in enumerate(listed, 1)]

    hotlists.import_list(union_city, "stolen vehicles", "NCIC VEH extract (demo)",
                         Category.STOLEN_VEHICLE, rows(stolen, "reported stolen", "UC-2026"))
    hotlists.import_list(chp, "AMBER alert", "CHP (demo)", Category.AMBER_ALERT,
                         rows(amber, "child abduction, suspect vehicle", "AMBER-2026"))
    hotlists.import_list(federal, "removal targets", "federal (demo)",
                         Category.IMMIGRATION_VIOLATOR, rows(stolen + amber, "", "ERO-2026"),
                         description="civil immigration enforcement")
    return {"stolen vehicles": [p for p, _ in stolen], "AMBER alert": [p for p, _ in amber]}


def feed_order(hot: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The hot plates in the order the live feed sends them: the AMBER plates (the last
    `HOT_AMBER` of ``hot``) alternate with the stolen ones, so both lists alert early."""
    stolen, amber = hot[:HOT_STOLEN], hot[HOT_STOLEN:]
    order: list[tuple[str, str]] = []
    for i, plate in enumerate(stolen):
        if amber:
            order.append(amber[i % len(amber)])
        order.append(plate)
    return order + ([] if stolen else amber)


class LiveFeed(threading.Thread):
    """Posts reads to a running demo server, as a camera would, so that hot lists alert live.

    Every ``interval`` seconds it sends a small batch of ordinary plates through
    ``POST /v1/reads`` with the demo camera key; every ``hot_every``-th batch also carries a
    hot-listed plate.
    """

    def __init__(
        self, url: str, key: str, camera_id: str, plates: list[tuple[str, str]],
        hot: list[tuple[str, str]], *, interval: float = 1.0, batch: int = 5,
        hot_every: int = 15, seed: int = 7,
    ) -> None:
        super().__init__(name="demo-live-feed", daemon=True)
        self.url, self.key, self.camera_id = url.rstrip("/"), key, camera_id
        self.plates, self.hot = plates, hot
        self.interval, self.batch, self.hot_every = interval, batch, hot_every
        self.random = random.Random(seed)
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()

    def _wait_for_server(self, client: httpx.Client) -> bool:
        while not self.stopped.is_set():
            try:
                if client.get(f"{self.url}/v1/audit/checkpoint").status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            self.stopped.wait(0.5)
        return False

    def next_batch(self, number: int) -> list[dict[str, object]]:
        now = datetime.now(UTC)
        chosen = self.random.sample(self.plates, min(self.batch, len(self.plates)))
        if self.hot and (number - 1) % self.hot_every == 0:
            chosen.append(self.hot[((number - 1) // self.hot_every) % len(self.hot)])
        return [
            {"camera_id": self.camera_id, "ts": (now - timedelta(milliseconds=50 * i)).isoformat(),
             "plate": plate, "region": region, "region_confidence": 0.8,
             "confidence": round(self.random.uniform(0.82, 0.99), 3)}
            for i, (plate, region) in enumerate(chosen)
        ]

    def run(self) -> None:
        headers = {"X-API-Key": self.key}
        with httpx.Client(timeout=10.0, headers=headers) as client:
            if not self._wait_for_server(client):
                return
            number = 1
            while not self.stopped.wait(self.interval):
                try:
                    response = client.post(f"{self.url}/v1/reads", json=self.next_batch(number))
                    if response.status_code >= 300:
                        log.warning("demo feed: the server refused a batch: %s",
                                    response.text[:200])
                except httpx.TransportError as exc:
                    log.warning("demo feed: %s", exc)
                number += 1


@dataclass(frozen=True)
class DemoNode:
    """One node of the federated demo: its name, the agencies it keeps reads for (and
    answers for to its partners), and a line on what it stands for."""

    name: str
    agencies: tuple[str, ...]
    about: str


FEDERATED_NODES: tuple[DemoNode, ...] = (
    DemoNode("unioncity", ("ucpd",), "Union City's own node"),
    DemoNode("alameda", ("acso", "fpd", "hpd"),
             "Alameda County's hub: the sheriff's node, also kept for two smaller cities"),
    DemoNode("federal", ("ice-ero-sf",), "the federal immigration unit's node"),
)
"""The federated demo's nodes. The Highway Patrol and Reno PD are not in it."""


def federated_agencies(nodes: Collection[DemoNode] = FEDERATED_NODES) -> list[str]:
    """Every agency some node of the federated demo keeps: each node's catalog holds them."""
    return [slug for node in nodes for slug in node.agencies]


def register_partners(catalog: Catalog, node: DemoNode, partners: dict[DemoNode, str],
                      keys: dict[str, str]) -> list[str]:
    """Register, in ``node``'s catalog, each partner node at its URL (``partners``) with its
    public key (``keys``, by node name) for the agencies it keeps, as an operator does
    with ``plateledger node add``; a node registered already is left as it is. Returns
    the names registered now. A node registered at another URL is refused (`ValueError`):
    a registration is never changed, so the demo runs on the ports it was set up on."""
    registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
    known = {n.name: n.url for n in registry.list()}
    added = []
    for partner, url in partners.items():
        if partner.name == node.name:
            continue
        if partner.name in known:
            if known[partner.name] != url:
                raise ValueError(
                    f"node `{partner.name}` is registered at {known[partner.name]} in "
                    f"`{node.name}`'s catalog: run the demo on the same ports, or in "
                    f"another data directory")
            continue
        registry.add(operator(), partner.name, url, keys[partner.name], partner.agencies)
        added.append(partner.name)
    return added
