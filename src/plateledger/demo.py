"""The demo city: agencies, cameras, accounts, keys and sharing agreements in the catalog,
and simulated reads in the store. Used by `plateledger demo` and by end-to-end tests.

Only lawful sharing is set up as agreements; the federal immigration unit and the
out-of-state agency have accounts, so their searches of California data show the law
packs denying them (with the statute's policy id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from plateledger.catalog import Catalog
from plateledger.sim import City, CityPlan
from plateledger.store import ReadStore

DEMO_PASSWORD = "plateledger-demo"
RETENTION_DAYS = {"chp": 60, "rpd": 365}
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


def seed_catalog(catalog: Catalog, plan: CityPlan) -> DemoAccounts:
    """Add the plan's agencies, cameras, users and agreements to an empty catalog."""
    accounts = DemoAccounts()
    for agency in plan.agencies:
        row = catalog.add_agency(
            agency.name, agency.slug, agency.kind, agency.home_state,
            custodian_contact=f"records@{agency.slug}.example",
            # CHP keeps non-hit reads 60 days (LAWS.md); the cities publish 180
            retention_nonhit_days=RETENTION_DAYS.get(agency.slug, 180),
        )
        accounts.agency_ids[agency.slug] = row.id
    by_sim_id = {a.id: accounts.agency_ids[a.slug] for a in plan.agencies}
    for camera in plan.cameras:
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
    for agency in plan.agencies:
        for suffix, roles in roles_by_user.items():
            if agency.kind == "federal" and suffix != "investigator":
                continue
            username = f"{agency.slug}.{suffix}"
            catalog.add_user(
                by_sim_id[agency.id], username, DEMO_PASSWORD, roles,
                display_name=f"{agency.name} {suffix}",
            )
            accounts.users[username] = f"{agency.name}, {', '.join(roles)}"
    # Lawful sharing among the California agencies in the city (and with CHP).
    california = [a for a in plan.agencies if a.home_state == "CA" and a.kind != "federal"]
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
    for other in plan.agencies:
        if other.home_state != "CA" or other.kind == "federal":
            catalog.add_agreement(
                by_sim_id[union_city.id], by_sim_id[other.id],
                actions=("search", "alert"), purposes=SHARED_PURPOSES,
                created_by=f"{union_city.slug}.admin", case_number_required=True,
            )
    intake = next(c for c in plan.cameras if c.owner_id == union_city.id and c.kind == "fixed")
    accounts.camera_id = intake.camera_id
    accounts.camera_key = catalog.issue_api_key(
        by_sim_id[union_city.id], label="demo intake (all Union City cameras)"
    )
    return accounts


def load_reads(
    store: ReadStore, city: City, *, reads: int, seed: int, days: float,
    owner_ids: dict[int, int], retention_days: dict[int, int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Generate ``reads`` reads ending now into ``store``; owner ids mapped to the catalog's."""
    import pyarrow as pa
    import pyarrow.compute as pc

    start = datetime.now(UTC) - timedelta(days=days)
    sim_ids = pa.array(list(owner_ids), pa.uint32())
    catalog_ids = pa.array(list(owner_ids.values()), pa.uint32())
    loaded = 0
    for table in city.generate(
        seed, reads, start, days, retention_days=retention_days, progress=progress
    ):
        owners = table.column("owner_id")
        if sim_ids != catalog_ids:
            mapped = pc.take(catalog_ids, pc.index_in(owners, value_set=sim_ids))
            table = table.set_column(table.schema.get_field_index("owner_id"),
                                     table.schema.field("owner_id"), mapped)
        store.insert_arrow(table)
        loaded += table.num_rows
    return loaded
