"""`AuditLog.containing`: the database finds the entries whose stored bytes hold every
fragment — on SQLite and on PostgreSQL — never missing one, whatever characters the
fragment holds (the wildcards of ``LIKE``, a backslash, a quote, non-ASCII, case), and
never serving an entry whose content no longer hashes to its leaf."""

from __future__ import annotations

import pytest
import rfc8785
from sqlalchemy import Engine, update

from plateledger.audit import AuditLog, LogRangeError, NoteSigner, TamperedLogError
from plateledger.audit.schema import audit_entries
from tests.audit.conftest import search

NUMBERS = ["UC-1", "uc-1", "UC_1", "UCX1", "UC%1", "UC\\1", 'UC"1', "ÜC-1", "UC-10"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_log(request: pytest.FixtureRequest, sqlite_engine: Engine, signer: NoteSigner) -> AuditLog:
    engine = (
        sqlite_engine if request.param == "sqlite" else request.getfixturevalue("postgres_engine")
    )
    log = AuditLog(engine, signer=signer)
    log.create_tables()
    return log


def case(number: str) -> bytes:
    return b'"case_number":' + rfc8785.dumps(number)


def test_every_entry_holding_the_fragments_is_found_and_exact_checks_keep_the_right_ones(
    any_log: AuditLog,
) -> None:
    entries = [
        search(i, case_number=n, agency=a)
        for i, (n, a) in enumerate((n, a) for n in NUMBERS for a in ("ucpd", "fpd"))
    ]
    any_log.append_many(entries)
    for number in NUMBERS:
        found = any_log.containing(case(number), b'"agency":"ucpd"')
        exact = [
            r.index
            for r in found
            if r.entry["case_number"] == number and r.entry["agency"] == "ucpd"
        ]
        expected = [
            i for i, e in enumerate(entries) if e["case_number"] == number and e["agency"] == "ucpd"
        ]
        assert exact == expected, number  # none missed; extra ones are checked away
        assert all(r.entry_bytes == any_log.entry(r.index).entry_bytes for r in found)


def test_a_found_entry_that_was_edited_is_refused(any_log: AuditLog) -> None:
    any_log.append_many([search(i, case_number="UC-7") for i in range(3)])
    forged = any_log.entry(1).entry_bytes.replace(b'"officer1"', b'"officer9"')
    with any_log.engine.begin() as conn:
        conn.execute(
            update(audit_entries).where(audit_entries.c.log_index == 1).values(entry=forged)
        )
    with pytest.raises(TamperedLogError):
        any_log.containing(case("UC-7"))


def test_no_fragment_is_refused(any_log: AuditLog) -> None:
    with pytest.raises(LogRangeError):
        any_log.containing()
