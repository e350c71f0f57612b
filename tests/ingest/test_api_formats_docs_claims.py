"""Claims of docs/api.md and docs/formats.md that no other test held, each checked on the
real adapters, or on the real app over its SQLite catalog and chDB store with the vendor
bodies of shared/formats posted as their senders post them.

The store is shared by the session: every read posted here has a plate of its own."""

# The fixtures are imported by name and taken as arguments: F811 is expected here.
# ruff: noqa: F811

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plateledger.ingest import ADAPTERS
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
    SEARCH,
    WEBHOOK,
    multipart,
    rows_of_plate,
    world,
)
from tests.factories import unique_plate

SAMPLES = Path(__file__).parent / "samples"
FORMATS = Path(__file__).resolve().parents[3] / "shared" / "formats"
REKOR_GROUP: dict[str, Any] = json.loads((FORMATS / "rekor_alpr_group.json").read_text())
ALPR_RESULTS: dict[str, Any] = json.loads((FORMATS / "openalpr_alpr_results.json").read_text())


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def key(credentials: dict[str, str], **headers: str) -> dict[str, str]:
    """Union City's agency key, JSON unless ``headers`` say otherwise."""
    return {"X-API-Key": credentials["a_key"], "Content-Type": "application/json", **headers}


def clear(answer: Any, status: int) -> dict[str, Any]:
    """``answer`` is ``status`` with the one error shape, and no trace."""
    assert answer.status_code == status, answer.text
    assert "Traceback" not in answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] and error["message"]
    return error


# -- formats.md: the adapters -----------------------------------------------------------------


def test_a_rekor_travel_direction_of_360_is_a_heading_of_0() -> None:
    """formats.md, rekor: `heading` ← `travel_direction`, "degrees 0–360 (360 → 0)"."""
    parsed = ADAPTERS["rekor"].parse(body(REKOR_GROUP | {"travel_direction": 360}))
    assert parsed.errors == []
    assert parsed.submissions[0][1].heading == 0


def test_rekor_vehicle_messages_are_ignored_and_counted() -> None:
    """formats.md, rekor: "`heartbeat` and `vehicle` messages are ignored"."""
    parsed = ADAPTERS["rekor"].parse(body([{"data_type": "vehicle", "vehicle": {}},
                                          REKOR_GROUP]))
    assert parsed.errors == [] and parsed.ignored == 1
    assert [index for index, _ in parsed.submissions] == [1]


def test_a_rekor_alpr_results_message_is_read_as_openalpr_reads_it() -> None:
    """formats.md, rekor: "an `alpr_results` message is read as `openalpr` reads it"."""
    as_rekor = ADAPTERS["rekor"].parse(body(ALPR_RESULTS))
    as_openalpr = ADAPTERS["openalpr"].parse(body(ALPR_RESULTS))
    assert as_rekor.errors == [] and as_rekor.submissions
    assert as_rekor.submissions == as_openalpr.submissions
    assert as_rekor.extras == as_openalpr.extras


def test_rekor_candidates_fall_back_to_the_best_plates_and_year_orientation_are_kept() -> None:
    """formats.md, rekor: candidates from `candidates` "(else `best_plate.candidates`)";
    vehicle year and orientation, "the most confident candidate's name, kept beside the
    read"."""
    group = json.loads(json.dumps(REKOR_GROUP))
    group.pop("candidates")
    group["best_plate"]["candidates"] = [{"plate": "7XYZ98L", "confidence": 40.0},
                                         {"plate": "7XYZ981", "confidence": 90.0}]
    group["vehicle"]["year"] = [{"name": "2001-2004", "confidence": 10},
                                {"name": "2015-2019", "confidence": 80}]
    group["vehicle"]["orientation"] = [{"name": "90", "confidence": 60},
                                       {"name": "180", "confidence": 30}]
    parsed = ADAPTERS["rekor"].parse(body(group))
    extras = parsed.extras[0]
    assert [(c.plate, round(c.confidence, 3)) for c in extras.candidates] == [
        ("7XYZ981", 0.9), ("7XYZ98L", 0.4)]
    assert (extras.vehicle_year, extras.vehicle_orientation) == ("2015-2019", "90")


def test_ndjson_blank_lines_take_no_index_and_ts_is_iso_or_epoch_s_or_ms() -> None:
    """formats.md, native: "blank lines are skipped and take no index"; "`ts` is ISO-8601
    with a zone, or epoch seconds or milliseconds"; region "`us-ca` → `CA`"."""
    read = {"camera_id": "c1", "plate": "7ABC123", "confidence": 0.9}
    lines = [b"", body(read | {"ts": "2024-11-24T14:20:01Z"}), b"", b"   ",
             body(read | {"ts": 1732458001}), b"{not json",
             body(read | {"ts": 1732458001000, "region": "us-ca"}), b""]
    parsed = ADAPTERS["native"].parse(b"\n".join(lines), content_type="application/x-ndjson")
    assert [(e.index, e.field) for e in parsed.errors] == [(2, "")]
    assert [index for index, _ in parsed.submissions] == [0, 1, 3]
    assert {s.ts for _, s in parsed.submissions} == {datetime(2024, 11, 24, 14, 20, 1,
                                                              tzinfo=UTC)}
    assert parsed.submissions[2][1].region == "CA"


def test_csv_aliases_lng_and_unknown_columns() -> None:
    """formats.md, csv: aliases "`longitude`, `lng` → `lon`"; "Unknown columns are
    ignored"."""
    parsed = ADAPTERS["csv"].parse(
        b"camera_id,ts,plate,confidence,lat,lng,wheels\n"
        b"c1,2024-11-24T14:20:01Z,7ABC123,0.5,37.5,-122.1,4\n")
    assert parsed.errors == []
    [(_, read)] = parsed.submissions
    assert (read.lat, read.lon) == (37.5, -122.1)


def test_a_frigate_score_that_is_a_boolean_is_refused() -> None:
    """formats.md: "Everywhere: … a boolean is never a number" (Frigate's `score`)."""
    event = json.loads((FORMATS / "frigate_tracked_object_update.json").read_text())
    parsed = ADAPTERS["frigate"].parse(body(event | {"score": True}))
    assert parsed.submissions == []
    [error] = parsed.errors
    assert (error.index, error.field) == (0, "score") and "boolean" in error.message


# -- api.md and formats.md over HTTP -----------------------------------------------------------


def test_a_batch_of_heartbeats_only_is_accepted_with_its_items_counted_as_ignored(
    client: TestClient, world: dict[str, str],
) -> None:
    """formats.md: items that are not reads (Rekor heartbeats) "are accepted and counted
    in `ignored`" (not a 422: nothing in it was refused)."""
    heartbeat = {"data_type": "heartbeat", "agent_uid": "K8sWq0tX2rJm", "cameras": []}
    answer = client.post("/v1/reads/rekor", content=body([heartbeat, heartbeat]),
                         headers=key(world))
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == [] and answer.json()["ignored"] == 2


def test_a_multipart_webhook_without_its_json_field_is_a_400(
    client: TestClient, world: dict[str, str],
) -> None:
    """formats.md: `MalformedBody` "a multipart body without a `json` field" → 400."""
    boundary = "nojsonboundary"
    content = (f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; '
               f'filename="f.jpg"\r\nContent-Type: image/jpeg\r\n\r\n').encode() \
        + b"\xff\xd8\xff\xd9\r\n" + f"--{boundary}--\r\n".encode()
    answer = client.post("/v1/reads/platerecognizer", content=content, headers=key(
        world, **{"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert clear(answer, 400)["code"] == "malformed_body"


def test_without_a_format_name_text_csv_and_multipart_pick_their_adapters(
    client: TestClient, world: dict[str, str],
) -> None:
    """formats.md: `text/csv` → `csv`; `multipart/form-data` → `platerecognizer` (on
    `POST /v1/reads`, which names no format)."""
    csv_plate, webhook_plate = unique_plate("3"), unique_plate("4")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    as_csv = client.post(
        "/v1/reads", headers=key(world, **{"Content-Type": "text/csv"}),
        content=f"camera_id,ts,plate,confidence\n{A_CAM},{stamp},{csv_plate},0.8\n".encode())
    assert as_csv.status_code == 200, as_csv.text
    assert len(as_csv.json()["accepted"]) == 1
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"] |= {"timestamp": stamp, "camera_id": A_CAM}
    webhook["data"]["results"][0]["plate"] = webhook_plate.lower()
    content, content_type = multipart(webhook, b"\xff\xd8\xff\xe0frame\xff\xd9")
    as_multipart = client.post("/v1/reads", content=content,
                               headers=key(world, **{"Content-Type": content_type}))
    assert as_multipart.status_code == 200, as_multipart.text
    assert len(as_multipart.json()["accepted"]) == 1
    assert [r["camera_id"] for r in rows_of_plate(client, csv_plate)] == [A_CAM]
    assert [r["camera_id"] for r in rows_of_plate(client, webhook_plate)] == [A_CAM]


def test_a_plate_recognizer_camera_is_mapped_through_an_alias_of_data_camera_id(
    client: TestClient, world: dict[str, str],
) -> None:
    """formats.md, Camera aliases: the external key is "`data.camera_id`
    (platerecognizer)"; a post with an API key "uses the agency's aliases first"."""
    admin = login(client, "ucpd-admin")
    alias = client.post("/v1/admin/camera-aliases", headers=admin, json={
        "source_format": "platerecognizer", "external_key": "stream-cam-12",
        "camera_id": A_CAM_2})
    assert alias.status_code in (200, 201), alias.text
    plate = unique_plate("5")
    webhook = json.loads(json.dumps(WEBHOOK))
    webhook["data"] |= {"timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "camera_id": "stream-cam-12"}
    webhook["data"]["results"][0]["plate"] = plate.lower()
    answer = client.post("/v1/reads/platerecognizer", content=body(webhook),
                         headers=key(world))
    assert answer.status_code == 200, answer.text
    assert [r["camera_id"] for r in rows_of_plate(client, plate)] == [A_CAM_2]


def test_a_read_older_than_its_owners_retention_clock_is_refused_with_invalid_read(
    client: TestClient, world: dict[str, str],
) -> None:
    """api.md, Retention: "a read older than its owner's retention clock is refused" (Union
    City keeps reads without a hit 60 days); Per item: the item's `code` is
    `invalid_read`, and a batch of refused items only is a 422 `no_valid_reads`."""
    plate = unique_plate("6")
    old = (datetime.now(UTC) - timedelta(days=61)).isoformat()
    answer = client.post("/v1/reads", headers=key(world), content=body(
        {"camera_id": A_CAM, "ts": old, "plate": plate, "confidence": 0.9}))
    error = clear(answer, 422)
    assert error["code"] == "no_valid_reads"
    [item] = error["details"]
    assert item["index"] == 0 and item["code"] == "invalid_read"
    assert rows_of_plate(client, plate) == []


@pytest.mark.parametrize("ts", ["1899-12-31T23:59:59Z", "1850-06-01T00:00:00+00:00"])
def test_a_read_time_before_the_stores_range_is_a_422(
    client: TestClient, world: dict[str, str], ts: str,
) -> None:
    """api.md, Errors: "A time outside the read store's range (1900-01-01 to 2299-12-31) is
    a `422`" (a read's time)."""
    plate = unique_plate("7")
    answer = client.post("/v1/reads", headers=key(world), content=body(
        {"camera_id": A_CAM, "ts": ts, "plate": plate, "confidence": 0.9}))
    clear(answer, 422)
    assert rows_of_plate(client, plate) == []


@pytest.mark.parametrize("params", [
    {"since": "1899-12-31T00:00:00Z"},
    {"until": "2300-01-01T00:00:00Z"},
])
def test_a_search_time_outside_the_stores_range_is_a_422_naming_the_field(
    client: TestClient, seed: Seed, params: dict[str, str],
) -> None:
    """api.md, Errors: a time outside 1900-01-01..2299-12-31 is a `422`; the error's
    `details` is a list of `{field, message}` naming e.g. `params.since`."""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    answer = client.post("/v1/searches", headers=ivy, json={
        "kind": "exact", "params": {"plate": unique_plate("8"), **params}} | SEARCH)
    error = clear(answer, 422)
    assert error["code"] == "invalid_request"
    [(name, _)] = params.items()
    assert any(d["field"] == f"params.{name}" and d["message"] for d in error["details"])


@pytest.mark.parametrize("kind", ["exact", "fuzzy", "wildcard"])
def test_a_search_page_is_at_most_1000(client: TestClient, seed: Seed, kind: str) -> None:
    """api.md, Searches: "pages of up to 1,000 (`limit`, `offset`)"."""
    ivy = login(client, "ivy", code(seed.investigator_totp))
    plate = unique_plate("9") + ("*" if kind == "wildcard" else "")
    ok = client.post("/v1/searches", headers=ivy, json={
        "kind": kind, "params": {"plate": plate, "limit": 1000}} | SEARCH)
    assert ok.status_code == 200, ok.text
    too_many = client.post("/v1/searches", headers=ivy, json={
        "kind": kind, "params": {"plate": plate, "limit": 1001}} | SEARCH)
    assert clear(too_many, 422)["code"] == "invalid_request"


def test_a_token_expires_after_8_hours_by_default(client: TestClient, seed: Seed) -> None:
    """api.md, Authentication: "tokens expire (8 h by default)"."""
    before = datetime.now(UTC)
    answer = client.post("/v1/auth/token", json={
        "username": "ucpd-admin", "password": "correct horse battery staple", "totp": None})
    assert answer.status_code == 200, answer.text
    expires = datetime.fromisoformat(answer.json()["expires_at"])
    assert timedelta(hours=8) - timedelta(minutes=1) <= expires - before \
        <= timedelta(hours=8) + timedelta(minutes=1)


@pytest.mark.parametrize(("points", "status"), [(200, 201), (201, 422)])
def test_a_zone_polygon_has_at_most_200_points(
    client: TestClient, seed: Seed, points: int, status: int,
) -> None:
    """api.md: a collection zone polygon has "3 to 200 points"."""
    admin = login(client, "ucpd-admin")
    ring = [[40.0 + 0.001 * (i % 2), -122.9 + 0.0001 * i] for i in range(points)]
    answer = client.post("/v1/admin/zones", headers=admin, json={
        "name": "long fence", "place": "school", "polygon": ring})
    assert answer.status_code == status, answer.text
    if status == 201:
        assert answer.json()["rule_id"]
    else:
        clear(answer, 422)


@pytest.mark.parametrize("change", [
    {"confidence": 0.8}, {"lat": 37.61}, {"heading": 90.0}, {"region": "NV"},
    {"ts": (datetime.now(UTC) - timedelta(minutes=3)).isoformat()},
], ids=["confidence", "place", "heading", "region", "time"])
def test_a_read_reposted_with_other_content_is_a_conflict_and_stays_as_it_was(
    client: TestClient, world: dict[str, str], change: dict[str, Any],
) -> None:
    """api.md, Owner: "A read already stored by your agency with other content (another
    time, plate text, confidence, camera …) is refused (`read_conflict`, field `read_id`,
    the message names the id) and the stored read stays as it was"; an identical re-post is
    accepted with the same id."""
    plate = unique_plate("2")
    read = {"camera_id": A_CAM, "ts": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "plate": plate, "confidence": 0.9, "lat": 37.6, "lon": -122.0, "heading": 45.0,
            "read_id": str(uuid.uuid4())}
    first = client.post("/v1/reads", headers=key(world), content=body(read))
    assert first.status_code == 200, first.text
    [read_id] = first.json()["accepted"]
    error = clear(client.post("/v1/reads", headers=key(world), content=body(read | change)),
                  409)
    assert error["code"] == "read_conflict" and read_id in error["message"]
    [item] = error["details"]
    assert (item["field"], item["code"]) == ("read_id", "read_conflict")
    again = client.post("/v1/reads", headers=key(world), content=body(read))
    assert again.status_code == 200 and again.json()["accepted"] == [read_id]
    store = client.app.state.store  # type: ignore[attr-defined]
    [stored] = store.query(
        "SELECT confidence, lat, heading, region FROM {db}.reads WHERE plate = {p:String}",
        {"p": plate}).to_pylist()
    assert (round(stored["confidence"], 3), round(stored["lat"], 4), stored["heading"],
            stored["region"]) == (0.9, 37.6, 45.0, "")


def test_reads_dropped_in_a_zone_are_counted_per_owner_and_rule_in_the_public_counts(
    client: TestClient, world: dict[str, str],
) -> None:
    """api.md: "`GET /v1/audit/counts` carries `zone_drops`: the reads dropped per owner and
    rule id"; Collection zones: a dropped read "is left out of `accepted` and counted in
    `zone_dropped`", and the `zone_drop` entry names no plate and no read id."""
    admin = login(client, "ucpd-admin")
    zone = client.post("/v1/admin/zones", headers=admin, json={
        "name": "Alvarado Elementary", "place": "school", "centre": [37.70, -122.10],
        "radius_m": 200})
    assert zone.status_code == 201, zone.text
    rule = zone.json()["rule_id"]
    plate = unique_plate("1")
    stamp = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    inside = {"camera_id": A_CAM, "ts": stamp, "plate": plate, "confidence": 0.9,
              "lat": 37.7001, "lon": -122.1001}
    answer = client.post("/v1/reads", headers=key(world), content=body(
        [inside, inside | {"lat": 37.6999, "ts": (datetime.now(UTC)).isoformat()}]))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["accepted"], answer.json()["zone_dropped"]) == ([], 2)
    assert rows_of_plate(client, plate) == []
    counts = client.get("/v1/audit/counts")
    assert counts.status_code == 200, counts.text
    assert {"owner": "ucpd", "rule_id": rule, "reads": 2} in counts.json()["zone_drops"]
    entries = client.get("/v1/audit/entries", params={"start": 0, "limit": 100})
    assert entries.status_code == 200, entries.text
    assert plate not in entries.text
