"""The public summary of an entry shows who, when, why and how many — nothing else."""

from __future__ import annotations

import pytest

from plateledger.audit import EntryType, redact, search_entry


def test_search_summary_keeps_agencies_purpose_and_count_only() -> None:
    entry = search_entry(
        user="jsmith", agency="ca-oakland-pd", requested_by_agency="us-ice-ero",
        purpose="stolen_vehicle", case_number="24-0001", kind="fuzzy",
        query={"plate": "7ABC123"}, owners_allowed=["ca-oakland-pd"],
        owners_denied=[{"agency": "ca-berkeley-pd", "policy_ids": ["ca.sb34.no_federal"]}],
        result_count=3, result_digest="sha256:00", policy_set_hash="sha256:11",
    )  # fmt: skip
    summary = redact({**entry, "time": "2026-05-01T10:00:00.000Z", "log_index": 4})
    assert summary == {
        "type": "search", "v": 1, "time": "2026-05-01T10:00:00.000Z", "log_index": 4,
        "agencies": ["ca-berkeley-pd", "ca-oakland-pd", "us-ice-ero"],
        "purpose": "stolen_vehicle", "result_count": 3,
    }  # fmt: skip


@pytest.mark.parametrize(
    "private", ["user", "case_number", "query", "plate", "reason", "username", "notes"]
)
def test_any_other_field_stays_private(private: str) -> None:
    summary = redact({"type": EntryType.EXPORT, "v": 1, private: "secret-value"})
    assert "secret-value" not in str(summary)
    assert private not in summary


def test_every_platform_entry_type_has_a_constant() -> None:
    assert {t.value for t in EntryType} == {
        "search", "export", "alert_delivery", "policy_change", "agreement_change",
        "user_change", "key_change", "law_pack_change", "retention_run", "legal_hold",
        "log_key_rotation", "audit_read", "image_view",
    }  # fmt: skip
