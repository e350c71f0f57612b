"""``POST /v1/recognize/box`` through the real server: a camera key reads a box."""

from __future__ import annotations

import io
import random

import httpx
from PIL import Image

from plateledger.recognize.formats import format_for_region
from plateledger.recognize.synthetic import render_plate
from tests.conftest import LiveServer


def photo() -> bytes:
    fmt = format_for_region("CA")
    assert fmt is not None
    frame = Image.new("RGB", (900, 500), (110, 110, 110))
    frame.paste(render_plate("7ABC123", fmt, random.Random(5)), (250, 150))
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=95)
    return out.getvalue()


def post(server: LiveServer, box: str, key: str | None = None,
         image: bytes | None = None) -> httpx.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    return httpx.post(f"{server.url}/v1/recognize/box", headers=headers,
                      files={"image": ("frame.jpg", image or photo(), "image/jpeg")},
                      data={"box": box}, timeout=120)


def test_a_camera_key_reads_the_plate_in_a_box(live_server: LiveServer) -> None:
    response = post(live_server, "250,150,400,200", live_server.camera_key)
    assert response.status_code == 200, response.text
    read = response.json()["read"]
    assert read["plate"] == "7ABC123" and read["raw"] == "7ABC123"
    assert read["candidates"][0][0] == "7ABC123"
    assert len(read["char_confidences"]) == 7


def test_without_a_key_the_route_answers_401(live_server: LiveServer) -> None:
    assert post(live_server, "250,150,400,200").status_code == 401
    assert post(live_server, "250,150,400,200", "not-a-key").status_code == 401


def test_bad_boxes_and_images_are_named(live_server: LiveServer) -> None:
    bad = post(live_server, "1,2,three,4", live_server.camera_key)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_box"
    empty = post(live_server, "0,0,0,10", live_server.camera_key)
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_box"
    outside = post(live_server, "800,400,300,300", live_server.camera_key)
    assert outside.status_code == 422 and "not inside" in outside.text
    junk = post(live_server, "0,0,10,10", live_server.camera_key, image=b"not a jpeg")
    assert junk.status_code == 422 and junk.json()["error"]["code"] == "bad_image"
