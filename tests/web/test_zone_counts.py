"""The transparency page shows the reads dropped in collection zones, per agency and rule."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx

from tests.web.conftest import DumpDom
from tests.web.harness import WebServer

CHURCH = (37.5485, -121.9886)


def test_transparency_shows_reads_dropped_in_a_zone_with_the_rule(
    web_server: WebServer, dump_dom: DumpDom
) -> None:
    admin = {"Authorization": f"Bearer {web_server.token('fpd.admin')}"}
    url = f"{web_server.url}/v1/admin"
    zone = httpx.post(f"{url}/zones", headers=admin, timeout=30, json={
        "name": "Mission San Jose", "place": "place_of_worship", "centre": list(CHURCH),
        "radius_m": 120}).json()
    camera = httpx.post(f"{url}/cameras", headers=admin, timeout=30, json={
        "camera_id": "fpd-zone-mob", "kind": "mobile"})
    assert camera.status_code == 201, camera.text
    key = httpx.post(f"{url}/keys", headers=admin, timeout=30, json={
        "camera_id": "fpd-zone-mob", "label": "patrol"}).json()["key"]
    time.sleep(1.1)  # the server looks at the catalog's generation once a second
    ts = datetime.now(UTC) - timedelta(minutes=1)
    reads = [{"camera_id": "fpd-zone-mob", "plate": f"8ZON{i:03d}", "confidence": 0.9,
              "ts": (ts + timedelta(seconds=i)).isoformat(), "lat": CHURCH[0], "lon": CHURCH[1]}
             for i in range(3)]
    posted = httpx.post(f"{web_server.url}/v1/reads", content=json.dumps(reads).encode(),
                        headers={"X-API-Key": key, "Content-Type": "application/json"},
                        timeout=60)
    assert posted.status_code == 200 and posted.json()["zone_dropped"] == 3, posted.text

    counts = httpx.get(f"{web_server.url}/v1/audit/counts", timeout=30).json()
    rule = f"agency-zone-{zone['id']}"
    assert {"owner": "fpd", "rule_id": rule, "reads": 3} in counts["zone_drops"]
    dom = dump_dom(f"{web_server.url}/transparency")
    assert f'<th scope="row">Fremont PD · {rule}</th><td class="num">3</td>' in dom
    assert "8ZON000" not in dom
