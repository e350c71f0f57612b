"""A zone_drop entry's public summary: the owner and the counts per rule, nothing else."""

from __future__ import annotations

from plateledger.api.routes.audit import count
from plateledger.audit.redaction import redact


def test_the_public_summary_and_counts_of_zone_drops() -> None:
    entry = {"type": "zone_drop", "v": 1, "time": "2026-03-01T00:00:00.000Z",
             "owner_agency": "spd", "reads": 3,
             "counts": {"wa-sb6002-sensitive-location": 2, "agency-zone-4": 1}}
    summary = redact(entry)
    assert summary["owner_agency"] == "spd"
    assert summary["counts"] == {"wa-sb6002-sensitive-location": 2, "agency-zone-4": 1}
    counted = count([summary, summary])
    assert counted["zone_drops"] == [
        {"owner": "spd", "rule_id": "agency-zone-4", "reads": 2},
        {"owner": "spd", "rule_id": "wa-sb6002-sensitive-location", "reads": 4},
    ]
    assert count([])["zone_drops"] == []
