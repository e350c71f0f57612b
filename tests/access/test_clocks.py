"""An owner's images clock limits what a search shows: images of reads older than it are
not referenced (the purge deletes them); an owner whose clocks cannot be worked out shows
none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from plateledger.access.clocks import agency_retention, with_image_clocks
from plateledger.catalog import Agency
from plateledger.retention.holds import LegalHold, ReadSelection
from plateledger.search import OwnerLimit, Scope

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def agency(agency_id: int, **fields: object) -> Agency:
    """An agency as the catalog holds it (not stored: only its fields are read)."""
    base: dict[str, object] = {
        "id": agency_id, "name": f"Agency {agency_id}", "slug": f"a{agency_id}",
        "kind": "municipal", "home_state": "CA", "law_packs": ["CA"],
    }
    return Agency(**(base | fields))


def test_an_owners_images_clock_hides_the_images_of_older_reads() -> None:
    scope = with_image_clocks(
        Scope({1: OwnerLimit(), 2: OwnerLimit(images=False)}),
        {1: agency(1, retention_image_days=1), 2: agency(2)}, NOW,
    )
    assert scope.owners[1].images_since == NOW - timedelta(days=1)
    read = uuid.uuid4()
    assert scope.images_shown(1, NOW - timedelta(hours=23), "6ABC123", read)
    assert not scope.images_shown(1, NOW - timedelta(days=2), "6ABC123", read)
    assert not scope.images_shown(2, NOW, "6ABC123", read)  # policy shares no images
    assert not scope.images_shown(3, NOW, "6ABC123", read)  # not in scope at all


def test_without_its_own_images_clock_an_owner_keeps_images_as_long_as_its_reads() -> None:
    owner = agency(1, retention_nonhit_days=30, retention_hit_days=30)
    scope = with_image_clocks(Scope({1: OwnerLimit()}), {1: owner}, NOW)
    assert agency_retention(owner).images == timedelta(days=30)
    assert scope.images_shown(1, NOW - timedelta(days=29), "6ABC123", uuid.uuid4())
    assert not scope.images_shown(1, NOW - timedelta(days=31), "6ABC123", uuid.uuid4())


def test_an_owner_whose_clocks_cannot_be_worked_out_shows_no_image() -> None:
    broken = agency(1, law_packs=["not-a-state"])
    scope = with_image_clocks(Scope({1: OwnerLimit()}), {1: broken}, NOW)
    assert not scope.images_shown(1, NOW, "6ABC123", uuid.uuid4())
    unknown = with_image_clocks(Scope({2: OwnerLimit()}), {}, NOW)
    assert not unknown.images_shown(2, NOW, "6ABC123", uuid.uuid4())


def test_a_read_a_legal_hold_selects_keeps_its_images_past_the_clock() -> None:
    """The purge keeps the images of the reads an active hold selects; a search shows
    them. Holds are only looked up where an images clock is shorter than a read's."""
    hold = LegalHold(case_number="26-1", reason="robbery evidence", approver="sgt",
                     owner_agency=1, selection=ReadSelection(plates=("6HELD12",)),
                     expires_at=NOW + timedelta(days=30))
    asked: list[int] = []

    def holds() -> list[LegalHold]:
        asked.append(1)
        return [hold]

    scope = with_image_clocks(
        Scope({1: OwnerLimit(), 2: OwnerLimit()}),
        {1: agency(1, retention_image_days=1), 2: agency(2, retention_image_days=1)}, NOW, holds,
    )
    old = NOW - timedelta(days=3)
    assert scope.images_shown(1, old, "6HELD12", uuid.uuid4())
    assert not scope.images_shown(1, old, "6FREE12", uuid.uuid4())
    assert not scope.images_shown(2, old, "6HELD12", uuid.uuid4())  # another owner's read
    assert asked == [1]  # once per search, however many owners
    with_image_clocks(Scope({1: OwnerLimit()}), {1: agency(1)}, NOW, holds)
    assert asked == [1]  # no images clock shorter than the reads': no look-up
