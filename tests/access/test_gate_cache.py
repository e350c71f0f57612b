"""The gate reads agencies and cameras once per catalog generation, not once per owner
per search: a search after no change asks the database no camera query, and a camera
added — by this process or by another one on the same catalog — is counted by the very
next search."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from plateledger.access.searches import SearchCreate, SearchParams, search
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.access.conftest import CASE, PURPOSE, REASON, Office
from tests.factories import make_read

PLATE = "7CAM321"


def ask(now: datetime, **params: Any) -> SearchCreate:
    return SearchCreate(
        kind="exact",
        params=SearchParams(plate=PLATE, since=now - timedelta(days=1), **params),
        purpose=PURPOSE,
        case_number=CASE,
        reason=REASON,
        offense_type="240",
    )


@contextmanager
def camera_queries(office: Office) -> Iterator[list[str]]:
    """The statements that read the cameras table while the block runs."""
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM cameras" in statement:
            seen.append(statement)

    event.listen(office.catalog.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(office.catalog.engine, "before_cursor_execute", watch)


def devices(office: Office, index: int | None) -> int:
    assert index is not None
    value = office.audit_log.entry(index).entry["devices_searched"]
    assert isinstance(value, int)
    return value


def test_cameras_are_read_once_per_generation_and_a_new_one_is_counted_next(
    office: Office,
    now: datetime,
) -> None:
    office.share()
    office.catalog.add_camera("fpd-1", office.fpd.id, lat=37.55, lon=-122.0)
    office.catalog.add_camera("uc-1", office.ucpd.id, lat=37.6, lon=-122.0)
    office.add(make_read(PLATE, owner=office.fpd.id, now=now))
    ivy = office.user(office.ucpd, "ivy", "investigator")

    first = search(office.gate, office.store, office.holds, ask(now), ivy)
    assert devices(office, first.audit_index) == 2
    with camera_queries(office) as seen:
        again = search(office.gate, office.store, office.holds, ask(now), ivy)
    assert devices(office, again.audit_index) == 2
    assert seen == [], "no camera query while the catalog is unchanged"

    office.catalog.add_camera("fpd-2", office.fpd.id, lat=37.56, lon=-122.0)
    with camera_queries(office) as seen:
        after = search(office.gate, office.store, office.holds, ask(now), ivy)
    assert devices(office, after.audit_index) == 3, "the new camera is in the next search"
    assert seen, "the cameras were read again after the change"
    named = search(
        office.gate,
        office.store,
        office.holds,
        ask(now, cameras=["fpd-2", "uc-1", "elsewhere"]),
        ivy,
    )
    assert devices(office, named.audit_index) == 2  # narrowed to the cameras it names


def test_a_camera_added_by_another_process_is_counted_by_the_next_search(
    office: Office,
    now: datetime,
    tmp_path: Path,
) -> None:
    office.share()
    office.catalog.add_camera("fpd-1", office.fpd.id, lat=37.55, lon=-122.0)
    ivy = office.user(office.ucpd, "ivy", "investigator")
    first = search(office.gate, office.store, office.holds, ask(now), ivy)
    assert devices(office, first.audit_index) == 1
    # `plateledger admin` on the same catalog: another Catalog, its own caches
    url = office.catalog.engine.url.render_as_string(hide_password=False)
    other = open_catalog(
        Settings(
            data_dir=tmp_path / "admin", catalog_url=url, secret_key="k" * 32, require_totp=False
        ),
        password_hasher=FAST,
    )
    try:
        other.add_camera("fpd-2", office.fpd.id, lat=37.56, lon=-122.0)
        other.add_camera("fpd-3", office.fpd.id, lat=37.57, lon=-122.0)
        other.set_camera_active("fpd-1", False)
    finally:
        other.close()

    after = search(office.gate, office.store, office.holds, ask(now), ivy)

    # every camera of the owner is in scope, as before the cache (inactive ones included)
    assert devices(office, after.audit_index) == 3


def test_an_owner_that_stops_releasing_takes_its_cameras_out_of_the_count(
    office: Office,
    now: datetime,
) -> None:
    office.catalog.add_camera("fpd-1", office.fpd.id, lat=37.55, lon=-122.0)
    office.catalog.add_camera("uc-1", office.ucpd.id, lat=37.6, lon=-122.0)
    ivy = office.user(office.ucpd, "ivy", "investigator")
    office.share()
    shared = search(office.gate, office.store, office.holds, ask(now), ivy)
    assert devices(office, shared.audit_index) == 2
    [agreement] = office.catalog.agreements(owner_id=office.fpd.id)
    office.catalog.revoke_agreement(agreement.id)
    office.policy.invalidate()

    alone = search(office.gate, office.store, office.holds, ask(now), ivy)

    assert devices(office, alone.audit_index) == 1
