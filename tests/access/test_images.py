"""Image views through the access layer: decided as `view_image` for every owner, the read
looked up inside the allowed scope, the view logged first — and a read the requester may
not see answers exactly as a read that does not exist."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from plateledger.access import AuditUnavailable, NotVisible
from plateledger.access.images import ImageRequest, view_image
from plateledger.read import PlateRead, owner_read_id
from tests.access.conftest import CASE, PURPOSE, REASON, BreakLog, Office
from tests.factories import make_read

PLATE = "7CROP21"
JPEG = b"\xff\xd8\xff\xe0 a plate crop"


def photographed(office: Office, owner: int, camera: str, now: datetime) -> PlateRead:
    client_id = uuid.uuid4()  # the read is stored under it scoped to its owner
    ref = office.images.put(owner_read_id(owner, client_id), "plate", JPEG)
    read = make_read(PLATE, owner=owner, camera=camera, now=now, read_id=client_id,
                     images={"plate": ref})
    office.add(read)
    return read


def asked(read_id: uuid.UUID, plate: str = PLATE) -> ImageRequest:
    return ImageRequest(read_id=read_id, kind="plate", plate=plate, purpose=PURPOSE,
                        reason=REASON, case_number=CASE)


def test_an_own_reads_crop_is_viewed_and_logged(office: Office, now: datetime) -> None:
    read = photographed(office, office.ucpd.id, "uc-1", now)
    ivy = office.user(office.ucpd, "ivy", "investigator")
    before = office.audit_log.size()

    data = view_image(office.gate, office.store, office.images, ivy, asked(read.read_id))

    assert data == JPEG
    [entry] = office.entries(before)
    assert entry["type"] == "image_view" and entry["returned"] == 1
    assert entry["query"] == {"read_id": str(read.read_id), "plate": PLATE, "image": "plate"}


def test_a_denied_owners_read_answers_as_a_missing_one(office: Office, now: datetime) -> None:
    theirs = photographed(office, office.fpd.id, "fr-1", now)  # Fremont shares nothing
    ivy = office.user(office.ucpd, "ivy", "investigator")
    missing = uuid.uuid4()
    before = office.audit_log.size()

    answers = []
    for read_id in (theirs.read_id, missing):
        with pytest.raises(NotVisible) as refused:
            view_image(office.gate, office.store, office.images, ivy, asked(read_id))
        text = refused.value.message.replace(str(read_id), "{id}")
        answers.append((refused.value.code, text, refused.value.details))

    assert answers[0] == answers[1]
    assert answers[0][0] == "no_such_read"
    first, second = office.entries(before)
    for entry in (first, second):
        for key in ("query", "time", "log_index"):
            entry.pop(key)
    assert first == second and first["returned"] == 0


def test_images_an_agreement_does_not_share_stay_closed(office: Office, now: datetime) -> None:
    office.share(images_allowed=False)
    theirs = photographed(office, office.fpd.id, "fr-1", now)
    ivy = office.user(office.ucpd, "ivy", "investigator")
    with pytest.raises(NotVisible):
        view_image(office.gate, office.store, office.images, ivy, asked(theirs.read_id))


def test_no_audit_entry_means_no_image(
    office: Office, now: datetime, break_audit_log: BreakLog
) -> None:
    read = photographed(office, office.ucpd.id, "uc-1", now)
    ivy = office.user(office.ucpd, "ivy", "investigator")
    break_audit_log()
    with pytest.raises(AuditUnavailable):
        view_image(office.gate, office.store, office.images, ivy, asked(read.read_id))
