"""Claims of README.md and docs/api.md that a new user following the tour once found
false, each held against a real server (`live_server`): the sentence is quoted in the
test's docstring, with what used to happen.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.conftest import LiveServer

SEARCH = {
    "purpose": "stolen_vehicle", "offense_type": "240", "case_number": "UC-2026-0042",
    "reason": "stolen white pickup, partial plate from witness",
}


@pytest.mark.parametrize("path", ["/v1/searches", "/v1/exports"])
def test_a_search_time_before_year_1000_is_a_4xx_not_a_store_outage(
    live_server: LiveServer, path: str,
) -> None:
    """docs/api.md, Errors: "`4xx` means the request was refused as sent and nothing of it
    was kept. `503` with `fail_closed` means a policy decision or an audit entry could not
    be made" — a `since` the read store cannot hold (year 0001, valid ISO-8601) is bad
    input: a 422 that says the store's range. It was answered 503 `store_unavailable`
    ("try again"), the year rendered unpadded ("1-01-01") for ClickHouse."""
    token = live_server.token("ucpd.investigator")
    body = {"kind": "exact", "params": {"plate": "7ABC123", "since": "0001-01-01T00:00:00Z"},
            **SEARCH}
    response = httpx.post(f"{live_server.url}{path}", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, (response.status_code, response.text)
    assert "range" in str(response.json()["error"]), response.text


def test_reports_schedule_while_the_server_runs_gives_a_message_not_a_traceback(
    live_server: LiveServer,
) -> None:
    """README.md, A tour: "`plateledger reports schedule --data-dir …` (writes the reports
    that are due; a running server writes them itself, so run it with the server stopped,
    or with `--without-store`)" — run against a serving data directory it says so in one
    line; it used to die with a 49-line Python traceback (`StoreLocked`)."""
    result = subprocess.run(
        [sys.executable, "-m", "plateledger.cli.main", "reports", "schedule", "--data-dir",
         str(live_server.data_dir), "--out", str(live_server.data_dir / "tour-reports")],
        capture_output=True, text=True, timeout=180,
    )
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 1 and "in use by a running server" in output, output[-3000:]
    assert "--without-store" in output, output[-3000:]


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00Z", "2400-01-01T00:00:00Z"])
def test_a_search_time_outside_the_stores_range_given_as_a_query_is_a_4xx(
    live_server: LiveServer, since: str,
) -> None:
    """The same through `GET /v1/searches`: a time the store cannot hold is bad input."""
    token = live_server.token("ucpd.investigator")
    response = httpx.get(f"{live_server.url}/v1/searches", timeout=60,
                         headers={"Authorization": f"Bearer {token}"},
                         params={"kind": "exact", "plate": "7ABC123", "since": since, **SEARCH})
    assert response.status_code == 422, (response.status_code, response.text)
    assert "range" in str(response.json()["error"]), response.text
