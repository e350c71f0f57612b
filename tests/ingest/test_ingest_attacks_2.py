"""Ingest as an attacker and as a careless client would use it, on the real app, SQLite
catalog and chDB store: an ``alprd`` (no key header; any answer is "delivered") posting
through a camera-scoped, ingest-only URL, bridges with agency keys, admins replaying the
quarantine.

The promises (docs/formats.md):

* an ingest URL opens its own route only, and stores its reads as its own camera (or an
  alias's of its agency), whatever the payload names;
* in a batch each item stands alone: a bad item gets a clear error naming it, and nothing
  else of the batch is lost; what is accepted is stored, and searchable, exactly once;
* from a credential in quarantine mode, each item that cannot be accepted is kept with
  its reasons, as itself (an array element, an NDJSON line, a CSV row under its header),
  and is replayable once its cause is fixed — never lost, never stored twice;
* a read id re-posted with other content is refused 409 (or as an item of its batch) with
  both versions kept, and the first kept as it was; the answer's ``accepted`` lists every
  read stored;
* a vendor's top candidate plates are kept, and an exact search finds a read by one.

World (tests/api/test_ingest_between_agencies.py): Union City (A) with two cameras, an
agency key, a camera key and an ingest URL; Fremont (B) with one camera, its key and its
ingest URL. The store is shared by the session: every test uses plates and ids of its own.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.catalog import open_catalog
from plateledger.catalog.quarantine import QuarantineItem, quarantine_item
from plateledger.settings import Settings
from plateledger.store.candidates import candidates_of
from tests.api.conftest import (  # noqa: F401  (fixtures used by name)
    Seed,
    client,
    code,
    login,
    seed,
    settings,
)
from tests.api.test_ingest_between_agencies import (  # noqa: F401  (fixture used by name)
    A_CAM,
    A_CAM_2,
    ALPRD,
    ALPRD_BODY,
    B_CAM,
    REKOR,
    SEARCH,
    WEBHOOK,
    _quarantine_on,
    multipart,
    rows_of,
    rows_of_plate,
    unique_plate,
    world,
)

# -- helpers ---------------------------------------------------------------------------------


def now_ms(offset_s: float = 0.0) -> int:
    return int((datetime.now(UTC) - timedelta(seconds=offset_s)).timestamp() * 1000)


def now_iso(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=offset_s)).isoformat()


def alprd_message(plate: str, *, vendor: str | None = None, ms: int | None = None,
                  **changes: Any) -> dict[str, Any]:
    """The captured alprd message, read as ``plate`` now (its own ``uuid``)."""
    message: dict[str, Any] = json.loads(ALPRD_BODY)
    message["results"][0]["plate"] = plate
    message["results"][0]["candidates"] = [{"plate": plate, "confidence": 92.6}]
    message.update(epoch_time=ms if ms is not None else now_ms(),
                   uuid=vendor or f"lot-north-cam1-{uuid.uuid4().hex}")
    message.update(changes)
    return message


def item_of(app: TestClient, item_id: int) -> QuarantineItem:
    """A quarantined item as stored (whole: what an admin is shown is masked)."""
    with app.app.state.audit_log.engine.connect() as conn:  # type: ignore[attr-defined]
        item = quarantine_item(conn, item_id)
    assert item is not None
    return item


def held_total(app: TestClient, admin: dict[str, str]) -> int:
    listed = app.get("/v1/admin/quarantine", params={"status": "held"}, headers=admin)
    assert listed.status_code == 200, listed.text
    return int(listed.json()["total"])


def exact_hits(app: TestClient, headers: dict[str, str], plate: str) -> list[dict[str, Any]]:
    """The results of an exact search for ``plate`` (the investigator's decided scope)."""
    answer = app.post("/v1/searches", headers=headers,
                         json={"kind": "exact", "params": {"plate": plate}} | SEARCH)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["results"])


def no_trace(answer: Any) -> None:
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text


def url_prefix(raw: str) -> str:
    return raw.split("_")[1]


def catalog_changes_seen_at_once(app: TestClient) -> None:
    """The app's ingest looks at the catalog's generation on every lookup (by default at
    most once a second), so that a camera switched on or off is seen by the next post."""
    app.app.state.ingest.owner.__self__.check_every = 0  # type: ignore[attr-defined]


# -- the ingest URL is a credential of one camera, for ingest only ----------------------------


def test_an_ingest_url_spliced_from_two_urls_or_respelled_is_refused_and_stores_nothing(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """A holder of Union City's URL who has seen Fremont's prefix (it is in Fremont's
    access logs) cannot post as Fremont with Union City's secret, nor the reverse; nor
    does a respelled credential (case, padding, another scheme) authenticate."""
    plate = unique_plate("7SPL")
    _, a_prefix, a_secret = world["a_url"].split("_", 2)
    _, b_prefix, b_secret = world["b_url"].split("_", 2)
    spliced = [
        f"pli_{b_prefix}_{a_secret}",
        f"pli_{a_prefix}_{b_secret}",
        f"pli_{b_prefix.upper()}_{b_secret}",
        f"PLI_{b_prefix}_{b_secret}",
        f"plk_{b_prefix}_{b_secret}",
        f"pli_{b_prefix}_{b_secret[:-1]}",
        f"pli_{b_prefix}__{b_secret}",
    ]
    # a prefix of digits only is its own upper case: that respelling is then the URL itself
    spliced = [c for c in spliced if c not in (world["a_url"], world["b_url"])]
    body = json.dumps(alprd_message(plate))
    for credential in spliced:
        answer = client.post(f"/v1/ingest/{credential}/openalpr", content=body, headers=ALPRD)
        assert answer.status_code == 401, (credential, answer.text)
        assert answer.json()["error"]["code"] == "unknown_ingest_url"
    assert rows_of_plate(client, plate) == []


@pytest.mark.parametrize("fmt", ["native", "csv", "frigate", "openalpr"])
def test_an_ingest_url_stores_a_read_naming_a_sibling_camera_as_its_own_camera(
    client: TestClient, world: dict[str, str], seed: Seed, fmt: str,  # noqa: F811
) -> None:
    """The payload names another registered camera of the same agency, not aliased: the
    URL is the credential of one camera, so the read is stored as that camera's."""
    plate = unique_plate("7SIB")
    bodies = {
        "native": (json.dumps({"camera_id": A_CAM_2, "ts": now_iso(), "plate": plate,
                               "confidence": 0.9}), "application/json"),
        "csv": (f"camera_id,ts,plate,confidence\r\n{A_CAM_2},{now_iso()},{plate},0.9\r\n",
                "text/csv"),
        "frigate": (json.dumps({"type": "lpr", "camera": A_CAM_2, "plate": plate,
                                "score": 0.9, "timestamp": now_ms() / 1000}),
                    "application/json"),
        "openalpr": (json.dumps(alprd_message(plate, site_id="", camera_id=A_CAM_2)),
                     "application/json"),
    }
    body, content_type = bodies[fmt]
    answer = client.post(f"/v1/ingest/{world['a_url']}/{fmt}", content=body,
                         headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text
    [read_id] = answer.json()["accepted"]
    assert [(r["owner_id"], r["camera_id"]) for r in rows_of(client, read_id)] == [
        (seed.ucpd_id, A_CAM)]
    assert [r["camera_id"] for r in rows_of_plate(client, plate)] == [A_CAM]


# -- bad input: a clear error for the item, nothing else of the batch lost ---------------------


def test_an_alprd_batch_keeps_each_good_read_once_whatever_its_neighbours_hold(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """One post of alprd messages through the URL in quarantine mode: plates of 200
    characters and with control characters, times before 1970, overflowing and not
    numbers, a read outside retention, thousands of candidates, a message half good. Each
    bad item is refused by its index with a clear message and kept as itself; each good
    read is stored once, and stays stored once when the daemon resends the post; a replay
    of a bad item is refused again and the item is not kept twice."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "ingest_url", world["a_url"])
    good, many, half = unique_plate("7GD0"), unique_plate("7GD6"), unique_plate("7GD7")
    thousands = [{"plate": unique_plate("7C"), "confidence": 90 - i / 100} for i in range(5000)]
    messages = [
        alprd_message(good),
        alprd_message("7" * 200),
        alprd_message("7AB\x00C12"),
        alprd_message(unique_plate("7NEG"), ms=-(10**20)),
        alprd_message(unique_plate("7OVF"), ms=10**30),
        alprd_message(unique_plate("7OLD"), ms=now_ms(86_400 * 400)),
        alprd_message(many),
        alprd_message(half),
        alprd_message(unique_plate("7CNF"), epoch_time="yesterday"),
        alprd_message("\x1b[31m7RED\x1b[0m"),
    ]
    messages[6]["results"][0]["candidates"] = thousands
    messages[7]["results"].append({"plate": "Q" * 200, "confidence": 80, "plate_index": 1})
    body = json.dumps(messages)
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    no_trace(answer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert len(result["accepted"]) == 3
    refused = {e["index"] for e in result["errors"]}
    assert refused == {1, 2, 3, 4, 5, 7, 8, 9}
    for error in result["errors"]:
        assert error["message"][:1] == "`" or error["message"][:1].islower(), error
        assert "Traceback" not in error["message"]
    by_plate = {p: rows_of_plate(client, p) for p in (good, many, half)}
    assert all(len(rows) == 1 for rows in by_plate.values()), by_plate
    assert {r["camera_id"] for rows in by_plate.values() for r in rows} == {A_CAM}
    assert rows_of_plate(client, "7" * 10) == [] and rows_of_plate(client, "7ABC12") == []
    kept = candidates_of(client.app.state.store.engine,  # type: ignore[attr-defined]
                         uuid.UUID(result["accepted"][1]))
    assert 1 <= len(kept) <= 10

    # each bad item is kept as itself, with its own index
    assert len(result["quarantined"]) == 8
    for item_id in result["quarantined"]:
        item = item_of(client, item_id)
        assert item.item_index in refused and item.credential_kind == "ingest_url"
        assert json.loads(item.raw) == messages[item.item_index]

    # the daemon resends the whole post: the same reads, stored once
    again = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    assert again.status_code == 200 and again.json()["accepted"] == result["accepted"]
    assert all(len(rows_of_plate(client, p)) == 1 for p in (good, many, half))
    held = held_total(client, admin)
    replayed = client.post(f"/v1/admin/quarantine/{result['quarantined'][0]}/replay",
                           headers=admin)
    assert replayed.status_code == 422, replayed.text
    assert held_total(client, admin) == held
    assert len(rows_of_plate(client, half)) == 1


def test_a_native_batch_refuses_long_plates_control_characters_and_too_many_candidates_alone(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """Our own format through the URL: each bad read refused by index and field, the
    good ones stored once; a duplicated key is read as its last value."""
    good, dup = unique_plate("7NGD"), unique_plate("7DUP")
    candidates = [{"plate": unique_plate("7C"), "confidence": 0.5} for _ in range(11)]
    items = [
        {"camera_id": A_CAM, "ts": now_iso(), "plate": good, "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": "8" * 200, "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": "8AB\u0007C1", "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": unique_plate("8CND"),
         "confidence": 0.9, "candidates": candidates},
        {"camera_id": A_CAM, "ts": -(10**15), "plate": unique_plate("8NEG"), "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": unique_plate("8CNF"),
         "confidence": 0.9, "heading": 360},
    ]
    text = json.dumps(items)[:-1]
    # a last item whose plate is given twice: the last value is the plate
    text += (f', {{"camera_id": "{A_CAM}", "ts": "{now_iso()}", "plate": "8!!", '
             f'"plate": "{dup}", "confidence": 0.9}}]')
    answer = client.post(f"/v1/ingest/{world['a_url']}/native", content=text,
                         headers={"Content-Type": "application/json"})
    no_trace(answer)
    assert answer.status_code == 200, answer.text
    errors = {(e["index"], e["field"]) for e in answer.json()["errors"]}
    assert errors == {(1, "plate"), (2, "plate"), (3, "candidates"), (4, "ts"), (5, "heading")}
    assert len(answer.json()["accepted"]) == 2
    assert [r["plate"] for r in rows_of_plate(client, good)] == [good]
    assert [r["plate"] for r in rows_of_plate(client, dup)] == [dup]


def test_a_body_over_the_size_limit_is_refused_413_and_the_next_post_is_whole(
    client: TestClient, world: dict[str, str], settings: Settings,  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "ingest_url", world["a_url"])
    plate = unique_plate("7BIG")
    padding = "x" * (settings.max_body_bytes + 1024)
    body = json.dumps([alprd_message(plate) | {"company_id": padding}])
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    no_trace(answer)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"
    assert rows_of_plate(client, plate) == []
    after = client.post(f"/v1/ingest/{world['a_url']}/openalpr",
                        content=json.dumps(alprd_message(plate)), headers=ALPRD)
    assert after.status_code == 200 and len(after.json()["accepted"]) == 1
    assert len(rows_of_plate(client, plate)) == 1


@pytest.mark.parametrize("body", [
    b'[{"version":2,"epoch_time":1,"results":[{"plate":"7NAN01","confidence":NaN}]}]',
    b'{"epoch_time":Infinity,"results":[]}',
    b'{"epoch_time":1, "results": [' * 3000 + b"]}" * 3000,
    '{"epoch_time":1,"results":[]}'.encode("utf-16"),
], ids=["nan", "infinity", "deep", "utf-16"])
def test_a_body_that_is_not_strict_json_is_refused_whole_with_a_clear_400(
    client: TestClient, world: dict[str, str], body: bytes,  # noqa: F811
) -> None:
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    no_trace(answer)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "malformed_body" and error["message"]
    assert rows_of_plate(client, "7NAN01") == []


# -- quarantine: each item kept as itself, and replayable once fixed ---------------------------


def test_ndjson_sent_as_json_keeps_each_bad_line_as_itself_and_a_fixed_one_replays(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """A careless bridge posts NDJSON with ``Content-Type: application/json`` (the native
    adapter reads it as NDJSON): a good line, a line of an unmapped camera, a line with a
    bad confidence. Each refused line is kept as itself; once the camera is mapped, its
    line replays, stored once."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    good, unmapped = unique_plate("7NJG"), unique_plate("7NJU")
    name = f"bridge-{uuid.uuid4().hex[:8]}"
    lines = [
        {"camera_id": A_CAM, "ts": now_iso(), "plate": good, "confidence": 0.9},
        {"camera_id": name, "ts": now_iso(), "plate": unmapped, "confidence": 0.9},
        {"camera_id": A_CAM, "ts": now_iso(), "plate": unique_plate("7NJB"),
         "confidence": "very"},
    ]
    body = "\n".join(json.dumps(line) for line in lines) + "\n"
    answer = client.post("/v1/reads", content=body, headers={
        "X-API-Key": world["a_key"], "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["accepted"]) == 1
    assert len(answer.json()["quarantined"]) == 2
    items = {item_of(client, i).item_index: item_of(client, i)
             for i in answer.json()["quarantined"]}
    assert set(items) == {1, 2}
    assert json.loads(items[1].raw) == lines[1]
    added = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "native", "external_key": name, "camera_id": A_CAM})
    assert added.status_code == 201, added.text
    replayed = client.post(f"/v1/admin/quarantine/{items[1].id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert [r["camera_id"] for r in rows_of_plate(client, unmapped)] == [A_CAM]
    assert len(rows_of_plate(client, good)) == 1


def test_a_csv_row_after_a_quoted_cell_with_a_line_break_is_kept_as_itself(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """An export whose vehicle make holds a line break (quoted, as CSV allows), then a row
    of an unmapped camera: the row kept is that row, and it replays once mapped."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    first, second, unmapped = unique_plate("7CV1"), unique_plate("7CV2"), unique_plate("7CVU")
    name = f"export-{uuid.uuid4().hex[:8]}"
    rows = [
        ["camera_id", "ts", "plate", "confidence", "vehicle_make"],
        [A_CAM, now_iso(), first, "0.9", "Ford\nF-150"],
        [A_CAM, now_iso(), second, "0.9", "Honda"],
        [name, now_iso(), unmapped, "0.9", "Kia"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    answer = client.post("/v1/reads/csv", content=out.getvalue(), headers={
        "X-API-Key": world["a_key"], "Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["accepted"]) == 2
    [item_id] = answer.json()["quarantined"]
    kept = list(csv.reader(io.StringIO(item_of(client, item_id).raw)))
    assert kept == [rows[0], rows[3]]
    added = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "csv", "external_key": name, "camera_id": A_CAM})
    assert added.status_code == 201, added.text
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert len(rows_of_plate(client, unmapped)) == 1


@pytest.mark.parametrize("bad_cell", [b"\xeb1", b"X" * 200_000],
                         ids=["latin-1 byte", "cell over the field limit"])
def test_a_csv_row_the_adapter_refuses_alone_does_not_hold_back_its_neighbours_replay(
    client: TestClient, world: dict[str, str], bad_cell: bytes,  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "api_key", world["a_key"])
    good, unmapped = unique_plate("7CWG"), unique_plate("7CWU")
    name = f"export-{uuid.uuid4().hex[:8]}"
    body = (
        b"camera_id,ts,plate,confidence,vehicle_make\r\n"
        + f"{A_CAM},{now_iso()},{good},0.9,Kia\r\n".encode()
        + f"{A_CAM},{now_iso()},7CW".encode() + bad_cell + b",0.9,Kia\r\n"
        + f"{name},{now_iso()},{unmapped},0.9,Kia\r\n".encode()
    )
    answer = client.post("/v1/reads/csv", content=body, headers={
        "X-API-Key": world["a_key"], "Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["accepted"]) == 1
    items = {item_of(client, i).item_index: item_of(client, i)
             for i in answer.json()["quarantined"]}
    assert set(items) == {1, 2}
    added = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "csv", "external_key": name, "camera_id": A_CAM})
    assert added.status_code == 201, added.text
    replayed = client.post(f"/v1/admin/quarantine/{items[2].id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    assert len(rows_of_plate(client, unmapped)) == 1 and len(rows_of_plate(client, good)) == 1


def test_a_csv_row_with_bytes_that_are_not_utf8_fails_alone_and_is_not_stored_altered(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """A Latin-1 export (``Citro\\xebn``) beside a UTF-8 row: the Latin-1 row fails on its
    own (docs/formats.md: bytes that are not UTF-8 fail their row only), the other is
    stored, and no read is stored with a replacement character in place of the byte."""
    good, latin = unique_plate("7LT1"), unique_plate("7LT2")
    body = (
        b"camera_id,ts,plate,confidence,vehicle_make\r\n"
        + f"{A_CAM},{now_iso()},{good},0.9,Kia\r\n".encode()
        + f"{A_CAM},{now_iso()},{latin},0.9,".encode() + b"Citro\xebn\r\n"
    )
    answer = client.post("/v1/reads/csv", content=body, headers={
        "X-API-Key": world["a_key"], "Content-Type": "text/csv"})
    no_trace(answer)
    assert answer.status_code == 200, answer.text
    assert [e["index"] for e in answer.json()["errors"]] == [1]
    assert len(rows_of_plate(client, good)) == 1
    store = client.app.state.store  # type: ignore[attr-defined]
    altered = store.query(
        "SELECT count() AS n FROM {db}.reads WHERE plate = {plate:String} "
        "AND position(vehicle_make, '\ufffd') > 0", {"plate": latin}).to_pylist()
    assert altered == [{"n": 0}]


def test_an_ingest_url_read_held_while_its_camera_was_off_replays_searchable_exactly_once(
    client: TestClient, world: dict[str, str], seed: Seed, settings: Settings,  # noqa: F811
) -> None:
    """The URL's camera is switched off: the daemon's post is kept (200: alprd deletes
    it). Switched on again, the item replays; an exact search finds the read once, and
    still once after the daemon's retry and a second replay (409)."""
    catalog_changes_seen_at_once(client)
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "ingest_url", world["a_url"])
    catalog = open_catalog(settings)
    try:
        catalog.set_camera_active(A_CAM, False)
    finally:
        catalog.close()
    plate = unique_plate("7OFF")
    body = json.dumps(alprd_message(plate))
    held = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    assert held.status_code == 200, held.text
    assert held.json()["accepted"] == []
    [item_id] = held.json()["quarantined"]
    assert item_of(client, item_id).reasons == [f"unknown camera '{A_CAM}'"]
    assert rows_of_plate(client, plate) == []
    catalog = open_catalog(settings)
    try:
        catalog.set_camera_active(A_CAM, True)
    finally:
        catalog.close()
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code == 200, replayed.text
    retry = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    assert retry.status_code == 200 and len(retry.json()["accepted"]) == 1
    again = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert again.status_code == 409
    ivy = login(client, "ivy", code(seed.investigator_totp))
    found = exact_hits(client, ivy, plate)
    assert [(r["read_id"], r["camera_id"]) for r in found] == [
        (retry.json()["accepted"][0], A_CAM)]
    assert len(rows_of_plate(client, plate)) == 1


# -- a read id is stored once ------------------------------------------------------------------


def test_a_read_id_reposted_in_another_format_with_another_plate_is_refused_and_both_kept(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """Our agent posts a read with its id in native JSON; a CSV export later carries the
    same id with another plate. The CSV row is refused 409, the first read kept as it was,
    and both versions held in the quarantine."""
    admin = login(client, "ucpd-admin")
    client_id = str(uuid.uuid4())
    first, other = unique_plate("7XF1"), unique_plate("7XF2")
    ts = now_iso()
    posted = client.post("/v1/reads", headers={"X-API-Key": world["a_key"]}, json=[
        {"read_id": client_id, "camera_id": A_CAM, "ts": ts, "plate": first,
         "confidence": 0.9}])
    assert posted.status_code == 200, posted.text
    [stored_id] = posted.json()["accepted"]
    text = f"read_id,camera_id,ts,plate,confidence\r\n{client_id},{A_CAM},{ts},{other},0.9\r\n"
    refused = client.post("/v1/reads/csv", content=text, headers={
        "X-API-Key": world["a_key"], "Content-Type": "text/csv"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "read_conflict"
    assert [r["plate"] for r in rows_of(client, stored_id)] == [first]
    assert rows_of_plate(client, other) == []
    [item] = client.get("/v1/admin/quarantine", headers=admin).json()["items"]
    kept = item_of(client, item["id"])
    assert kept.reasons == ["conflicts with stored read"] and kept.read_id == stored_id
    assert kept.stored_version is not None
    assert kept.stored_version["posted"]["plate"] == other
    assert kept.stored_version["stored"]["plate"] == first
    assert "plate" in item["conflict"]["differs"]


def test_an_alprd_read_resent_as_a_rekor_alpr_results_with_another_plate_is_refused(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """The same alprd message id through the openalpr and the rekor route (which reads an
    ``alpr_results`` message as openalpr does): the same read; with another plate, a
    conflict refused 409, the first kept, both versions held."""
    admin = login(client, "ucpd-admin")
    first, other = unique_plate("7RK1"), unique_plate("7RK2")
    vendor = f"lot-north-cam1-{uuid.uuid4().hex}"
    ms = now_ms()
    posted = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                         content=json.dumps(alprd_message(first, vendor=vendor, ms=ms)))
    assert posted.status_code == 200, posted.text
    [stored_id] = posted.json()["accepted"]
    same = client.post(f"/v1/ingest/{world['a_url']}/rekor", headers=ALPRD,
                       content=json.dumps(alprd_message(first, vendor=vendor, ms=ms)))
    assert same.status_code == 200 and same.json()["accepted"] == [stored_id]
    refused = client.post(f"/v1/ingest/{world['a_url']}/rekor", headers=ALPRD,
                          content=json.dumps(alprd_message(other, vendor=vendor, ms=ms)))
    assert refused.status_code == 409, refused.text
    assert [r["plate"] for r in rows_of(client, stored_id)] == [first]
    assert rows_of_plate(client, other) == []
    [item] = client.get("/v1/admin/quarantine", headers=admin).json()["items"]
    kept = item_of(client, item["id"])
    assert kept.credential_kind == "ingest_url" and kept.format == "rekor"
    assert kept.read_id == stored_id and kept.stored_version is not None
    assert kept.stored_version["posted"]["plate"] == other


def test_an_alprd_message_whose_other_result_conflicts_acknowledges_the_result_it_stored(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """One alprd message, two results: the first a new plate, the second a result whose
    id is stored with another plate. Each result stands alone: the new read is stored and
    listed in ``accepted``; only the conflicting one is refused."""
    vendor = f"lot-north-cam1-{uuid.uuid4().hex}"
    ms = now_ms()
    stored, other, new = unique_plate("7MR0"), unique_plate("7MR1"), unique_plate("7MR2")
    message = alprd_message(stored, vendor=vendor, ms=ms)
    message["results"][0]["plate_index"] = 1
    first = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                        content=json.dumps(message))
    assert first.status_code == 200, first.text
    [stored_id] = first.json()["accepted"]
    message = alprd_message(new, vendor=vendor, ms=ms)
    message["results"][0]["plate_index"] = 0
    message["results"].append({"plate": other, "confidence": 90, "plate_index": 1})
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                         content=json.dumps(message))
    [new_row] = rows_of_plate(client, new)  # the new result is stored ...
    assert answer.status_code == 200, answer.text  # ... and acknowledged
    assert answer.json()["accepted"] == [new_row["read_id"]]
    assert [e["code"] for e in answer.json()["errors"]] == ["read_conflict"]
    assert [r["plate"] for r in rows_of(client, stored_id)] == [stored]


def test_the_conflict_of_an_alprd_result_is_kept_beside_the_read_it_conflicts_with(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    vendor = f"lot-north-cam1-{uuid.uuid4().hex}"
    ms = now_ms()
    stored, other, new = unique_plate("7MS0"), unique_plate("7MS1"), unique_plate("7MS2")
    message = alprd_message(stored, vendor=vendor, ms=ms)
    message["results"][0]["plate_index"] = 1
    first = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                        content=json.dumps(message))
    [stored_id] = first.json()["accepted"]
    message = alprd_message(new, vendor=vendor, ms=ms)
    message["results"][0]["plate_index"] = 0
    message["results"].append({"plate": other, "confidence": 90, "plate_index": 1})
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                         content=json.dumps(message))
    assert answer.status_code in (200, 409), answer.text
    [item] = client.get("/v1/admin/quarantine", headers=login(client, "ucpd-admin")).json()[
        "items"]
    kept = item_of(client, item["id"])
    assert kept.read_id == stored_id
    assert kept.stored_version is not None
    assert kept.stored_version["posted"]["plate"] == other
    assert kept.stored_version["stored"]["plate"] == stored


def test_an_id_reused_within_one_batch_for_another_plate_keeps_the_first_and_holds_the_second(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """A buggy agent sends one client id for two plates in one batch: the first is stored,
    the second refused as a conflict and held in the quarantine (not lost)."""
    admin = login(client, "ucpd-admin")
    client_id = str(uuid.uuid4())
    first, second = unique_plate("7BT1"), unique_plate("7BT2")
    items = [{"read_id": client_id, "camera_id": A_CAM, "ts": now_iso(), "plate": p,
              "confidence": 0.9} for p in (first, second)]
    answer = client.post("/v1/reads", json=items, headers={"X-API-Key": world["a_key"]})
    assert answer.status_code == 200, answer.text
    [stored_id] = answer.json()["accepted"]
    assert [(e["index"], e["code"]) for e in answer.json()["errors"]] == [(1, "read_conflict")]
    assert [r["plate"] for r in rows_of(client, stored_id)] == [first]
    assert rows_of_plate(client, second) == []
    [item_id] = answer.json()["quarantined"]
    kept = item_of(client, item_id)
    assert kept.reasons == ["conflicts with stored read"]
    assert json.loads(kept.raw)["plate"] == second
    assert held_total(client, admin) == 1


# -- what vendors send beside the plate ----------------------------------------------------------


def test_thousands_of_candidates_keep_ten_and_an_exact_search_finds_the_read_by_one(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    top = unique_plate("7TOP")
    runner_up = unique_plate("7RUN")
    candidates = [{"plate": top, "confidence": 92.0}, {"plate": runner_up, "confidence": 91.0}]
    candidates += [{"plate": unique_plate("7C"), "confidence": 80 - i / 1000}
                   for i in range(5000)]
    message = alprd_message(top)
    message["results"][0]["candidates"] = candidates
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                         content=json.dumps(message))
    assert answer.status_code == 200, answer.text
    [read_id] = answer.json()["accepted"]
    kept = candidates_of(client.app.state.store.engine,  # type: ignore[attr-defined]
                         uuid.UUID(read_id))
    assert len(kept) == 10
    assert [p for p, _ in kept][:2] == [top, runner_up]
    ivy = login(client, "ivy", code(seed.investigator_totp))
    [found] = exact_hits(client, ivy, runner_up)
    assert found["read_id"] == read_id and found["plate"] == top
    assert found["candidate_confidence"] == pytest.approx(0.91, abs=1e-4)


def test_the_most_confident_candidates_are_kept_whatever_order_they_are_listed_in(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """A vendor listing its candidates least likely first: the ten kept are the ten most
    likely, and the best of them (the true plate) is among them."""
    plate = unique_plate("7ORD")
    best = unique_plate("7BST")
    candidates = [{"plate": unique_plate("7C"), "confidence": 10 + i} for i in range(49)]
    candidates.append({"plate": best, "confidence": 95})
    message = alprd_message(plate)
    message["results"][0]["candidates"] = candidates
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", headers=ALPRD,
                         content=json.dumps(message))
    assert answer.status_code == 200, answer.text
    [read_id] = answer.json()["accepted"]
    kept = candidates_of(client.app.state.store.engine,  # type: ignore[attr-defined]
                         uuid.UUID(read_id))
    assert len(kept) == 10
    assert kept[0][0] == best
    assert min(c for _, c in kept) == pytest.approx(0.50, abs=1e-4)  # 95, then 58 … 50


def test_a_webhook_resent_without_its_frame_is_a_retry_of_the_read_with_its_frame(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """Plate Recognizer Stream posts the webhook with its image, then the same webhook as
    JSON (a second webhook target, or a retry with images turned off): the same sighting,
    a retry — accepted as the read stored, whose frame stays."""
    admin = login(client, "ucpd-admin")
    plate = unique_plate("7WHK")
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"].update(camera_id=A_CAM,
                           timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    webhook["data"]["results"][0]["plate"] = plate.lower()
    frame = b"\xff\xd8\xff\xe0" + b"frame of the webhook" * 40 + b"\xff\xd9"
    body, content_type = multipart(webhook, frame)
    with_frame = client.post(f"/v1/ingest/{world['a_url']}/platerecognizer", content=body,
                             headers={"Content-Type": content_type})
    assert with_frame.status_code == 200, with_frame.text
    [read_id] = with_frame.json()["accepted"]
    images = client.app.state.images  # type: ignore[attr-defined]
    assert images.get(images.ref(uuid.UUID(read_id), "overview")) == frame
    without = client.post(f"/v1/ingest/{world['a_url']}/platerecognizer",
                          content=json.dumps(webhook),
                          headers={"Content-Type": "application/json"})
    assert without.status_code == 200, without.text
    assert without.json()["accepted"] == [read_id]
    assert held_total(client, admin) == 0
    assert images.get(images.ref(uuid.UUID(read_id), "overview")) == frame
    assert len(rows_of_plate(client, plate)) == 1


# -- the quarantine is the owning agency's admins' only -----------------------------------------


def test_another_agencys_admin_sees_nothing_of_an_ingest_urls_items_by_any_filter(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    """Union City's URL (quarantine on) posts a conflict and a bad field naming Fremont's
    camera: Fremont's admin, filtering by the URL's prefix, its format or the reasons'
    words, sees none of it and cannot act on it; the reason names no Fremont data."""
    ucpd_admin, fpd_admin = login(client, "ucpd-admin"), login(client, "fpd-admin")
    _quarantine_on(client, ucpd_admin, "ingest_url", world["a_url"])
    plate = unique_plate("7LKB")
    bad = alprd_message(plate, site_id="", camera_id=B_CAM)
    bad["results"][0]["confidence"] = 900
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=json.dumps(bad),
                         headers=ALPRD)
    assert answer.status_code == 200, answer.text
    [item_id] = answer.json()["quarantined"]
    for params in ({}, {"credential": url_prefix(world["a_url"])}, {"format": "openalpr"},
                   {"reason": "confidence"}, {"reason": B_CAM}, {"status": "held"}):
        listed = client.get("/v1/admin/quarantine", params=params, headers=fpd_admin)
        assert listed.status_code == 200 and listed.json()["total"] == 0, params
    for action in ("replay", "discard"):
        refused = client.post(f"/v1/admin/quarantine/{item_id}/{action}", headers=fpd_admin)
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == f"no quarantined item `{item_id}`"
    turned = client.put(
        f"/v1/admin/quarantine/credentials/ingest_url/{url_prefix(world['a_url'])}",
        json={"enabled": False}, headers=fpd_admin)
    assert turned.status_code == 404
    [item] = client.get("/v1/admin/quarantine", headers=ucpd_admin).json()["items"]
    assert item["id"] == item_id and item["status"] == "held"
    assert plate not in json.dumps(item)
    # the ingest URL itself reaches none of it, as a key, a bearer or in the admin path
    for headers in ({"X-API-Key": world["a_url"]},
                    {"Authorization": f"Bearer {world['a_url']}"}):
        assert client.get("/v1/admin/quarantine", headers=headers).status_code == 401
        assert client.post(f"/v1/admin/quarantine/{item_id}/replay",
                           headers=headers).status_code == 401
    assert rows_of_plate(client, plate) == []


def test_a_rekor_group_through_the_url_is_stored_as_the_urls_camera_or_its_agencys_alias(
    client: TestClient, world: dict[str, str], seed: Seed,  # noqa: F811
) -> None:
    """A Rekor agent's id names one camera: mapped by Union City, it is stored as that
    camera; Fremont's alias of the same agent id never routes Union City's URL to Fremont."""
    ucpd_admin, fpd_admin = login(client, "ucpd-admin"), login(client, "fpd-admin")
    agent = f"agent{uuid.uuid4().hex[:8]}"
    for admin, camera in ((fpd_admin, B_CAM), (ucpd_admin, A_CAM_2)):
        added = client.post("/v1/admin/camera-aliases", headers=admin, json={
            "source_format": "rekor", "external_key": f"{agent}-cam7", "camera_id": camera})
        assert added.status_code == 201, added.text
    stored: dict[str, str] = {}
    for camera_number in (7, 8):
        plate = unique_plate("7RKA")
        group = json.loads(json.dumps(REKOR))
        group.update(agent_uid=agent, camera_id=camera_number, epoch_start=now_ms(),
                     best_plate_number=plate, best_uuid=f"{agent}-{uuid.uuid4().hex}")
        answer = client.post(f"/v1/ingest/{world['a_url']}/rekor", json=group)
        assert answer.status_code == 200, answer.text
        [read_id] = answer.json()["accepted"]
        [row] = rows_of(client, read_id)
        assert row["owner_id"] == seed.ucpd_id
        stored[f"cam{camera_number}"] = row["camera_id"]
    assert stored == {"cam7": A_CAM_2, "cam8": A_CAM}


@pytest.mark.parametrize("body", [
    b'{"version":2,"epoch_time":1,"results":[{"plate":"7NAN01","confidence":NaN}]}',
    b'{"version":2,"epoch_time":17000000',
    b"\xff\xfe not text at all",
], ids=["nan", "truncated", "not-utf-8"])
def test_a_body_that_cannot_be_read_from_a_url_in_quarantine_mode_is_kept_whole(
    client: TestClient, world: dict[str, str], body: bytes,  # noqa: F811
) -> None:
    """alprd deletes a read on any answer: from an ingest URL in quarantine mode, a body
    no parser can read is not answered 400 and lost, but kept whole with the reason,
    listed for the admin, and still refused if replayed as it is."""
    admin = login(client, "ucpd-admin")
    _quarantine_on(client, admin, "ingest_url", world["a_url"])
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr", content=body, headers=ALPRD)
    no_trace(answer)
    assert answer.status_code == 200, answer.text
    [error] = answer.json()["errors"]
    assert (error["index"], error["code"]) == (-1, "malformed_body") and error["message"]
    [item_id] = answer.json()["quarantined"]
    kept = item_of(client, item_id)
    assert kept.item_index == -1 and kept.reasons == [error["message"]]
    assert kept.raw == body.decode("utf-8", "backslashreplace")
    assert held_total(client, admin) == 1
    replayed = client.post(f"/v1/admin/quarantine/{item_id}/replay", headers=admin)
    assert replayed.status_code in (400, 422), replayed.text
    assert held_total(client, admin) == 1


def test_a_body_that_cannot_be_read_without_quarantine_mode_is_refused_and_not_kept(
    client: TestClient, world: dict[str, str],  # noqa: F811
) -> None:
    admin = login(client, "ucpd-admin")
    answer = client.post(f"/v1/ingest/{world['a_url']}/openalpr",
                         content=b'{"epoch_time":1,', headers=ALPRD)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "malformed_body"
    assert held_total(client, admin) == 0
