"""The read as submitted and as stored: its derived id and how a stored read is built."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from plateledger.read import (
    OWNER_NAMESPACE,
    READ_NAMESPACE,
    PlateRead,
    ReadSubmission,
    derive_read_id,
    owner_read_id,
    to_utc_millis,
)
from plateledger.store.literals import moment


def test_a_derived_read_id_is_the_version_5_uuid_of_camera_time_and_plate() -> None:
    """The fast derivation gives exactly ``uuid.uuid5``: ids stored by earlier versions,
    and ids clients compute themselves, stay the same."""
    rng = random.Random(7)
    start = datetime(1969, 12, 31, 23, 59, 58, tzinfo=UTC)
    for _ in range(2_000):
        camera = "".join(rng.choice("abcXYZ-_.:0123456789") for _ in range(rng.randint(1, 64)))
        plate = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
                        for _ in range(rng.randint(1, 10)))
        ts = start + timedelta(milliseconds=rng.randrange(10**13))
        millis = int(ts.timestamp() * 1000)
        expected = uuid.uuid5(READ_NAMESPACE, f"{camera}\x1f{millis}\x1f{plate}")
        derived = derive_read_id(camera, ts, plate)
        assert derived == expected
        assert str(derived) == str(expected) and hash(derived) == hash(expected)
        assert derived.version == 5 and derived.variant == uuid.RFC_4122


def test_the_id_is_derived_from_the_normalised_plate() -> None:
    ts = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    spaced = ReadSubmission(camera_id="cam-1", ts=ts, plate=" 7abc-123 ", confidence=0.9)
    plain = ReadSubmission(camera_id="cam-1", ts=ts, plate="7ABC123", confidence=0.9)
    assert spaced.stable_id(3) == plain.stable_id(3) == derive_read_id("cam-1", ts, "7ABC123")


def test_a_clients_own_id_names_a_read_of_its_owner_only() -> None:
    """A client's id is stored scoped to the agency that sent it: the version-5 UUID of
    owner and client id. The same id sent by two agencies names two reads (neither can
    learn of, or claim, the other's), a retry by one agency the same read, and no client
    id can be stored as an id the server derives."""
    ts = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    chosen = derive_read_id("b-cam", ts, "7ABC123")  # another agency's read, guessed
    sub = ReadSubmission(read_id=chosen, camera_id="a-cam", ts=ts, plate="7ABC123",
                         confidence=0.9)
    assert sub.stable_id(3) == uuid.uuid5(OWNER_NAMESPACE, f"3\x1f{chosen}")
    assert sub.stable_id(3) == owner_read_id(3, chosen) == sub.stable_id(3)
    assert sub.stable_id(3) != sub.stable_id(4)
    assert chosen not in (sub.stable_id(3), sub.stable_id(4))
    assert _stored(sub).read_id == owner_read_id(3, chosen)
    for owner in range(50):
        made = owner_read_id(owner, uuid.UUID(int=owner))
        assert made == uuid.uuid5(OWNER_NAMESPACE, f"{owner}\x1f{uuid.UUID(int=owner)}")
        assert made.version == 5 and made.variant == uuid.RFC_4122


def _stored(sub: ReadSubmission) -> PlateRead:
    now = datetime(2026, 12, 4, 12, 0, 5, tzinfo=UTC)
    return PlateRead.from_submission(
        sub, owner_id=3, origin_state="CA", received_at=now,
        expires_at=now + timedelta(days=30), lat=37.5, lon=-122.1,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"plate": "7abc 123", "confidence": 0.9},
        {"plate": "8XYZ999", "confidence": 0.5, "region": "ca", "lat": 1.5, "lon": 2.5,
         "heading": 90, "read_id": "5b1f3f3e-3a53-4b8e-8f0b-6a1d2c7e9a11",
         "vehicle": {"color": "white", "make": "Ford"}, "images": {"plate": "p.jpg"}},
    ],
)
def test_a_stored_read_is_the_read_model_construct_would_build(fields: dict[str, object]) -> None:
    """`from_submission` builds reads without `model_construct`'s pass over the
    defaults: the read must be the same in every way the code uses one."""
    sub = ReadSubmission.model_validate(
        {"camera_id": "cam-1", "ts": datetime(2026, 12, 4, 12, 0, tzinfo=UTC)} | fields
    )
    read = _stored(sub)
    values = {name: getattr(read, name) for name in PlateRead.model_fields if name != "hit"}
    reference = PlateRead.model_construct(**values)
    assert read == reference
    assert read.model_fields_set == reference.model_fields_set
    assert read.model_dump() == reference.model_dump()
    assert read.model_dump_json() == reference.model_dump_json()
    assert hash(read) == hash(reference)
    assert PlateRead.model_validate(read.model_dump()) == read
    assert read.hit is False
    assert read.model_copy(update={"hit": True}).hit is True and read.hit is False
    with pytest.raises(ValidationError):
        read.hit = True  # type: ignore[misc]  # stored reads are frozen
    assert read.read_id == sub.stable_id(3)


def test_a_stored_read_takes_the_cameras_position_only_when_it_carries_none() -> None:
    ts = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    fixed = _stored(ReadSubmission(camera_id="cam-1", ts=ts, plate="7ABC123", confidence=0.9))
    mobile = _stored(ReadSubmission(camera_id="cam-1", ts=ts, plate="7ABC123", confidence=0.9,
                                    lat=10.0, lon=20.0))
    assert (fixed.lat, fixed.lon) == (37.5, -122.1)
    assert (mobile.lat, mobile.lon) == (10.0, 20.0)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z",
                                  "2300-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_a_time_the_read_store_cannot_hold_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="outside the read store's range"):
        to_utc_millis(text)


def test_the_store_s_first_and_last_times_are_taken_and_rendered_whole() -> None:
    first, last = to_utc_millis("1900-01-01T00:00:00Z"), to_utc_millis("2299-12-31T23:59:59Z")
    assert moment(first) == "toDateTime64('1900-01-01 00:00:00.000', 3, 'UTC')"
    assert moment(last) == "toDateTime64('2299-12-31 23:59:59.000', 3, 'UTC')"
    assert "'0999-" in moment(datetime(999, 1, 1, tzinfo=UTC))  # the year padded
