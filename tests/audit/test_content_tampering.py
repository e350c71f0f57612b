"""An entry whose content is edited while its stored leaf hash is left alone.

Before this check such an entry was served to auditors as it stood and appended on top
of: the served leaf hashes still rebuilt the signed root. Now the log recomputes every
leaf from the content, so the server refuses to start on it and never serves it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from starlette.exceptions import StarletteDeprecationWarning

from plateledger.api.errors import install_error_handlers
from plateledger.api.resources import Resources
from plateledger.api.routes.audit import router
from plateledger.audit import AuditError, AuditLog, NoteSigner, TamperedLogError
from plateledger.audit.remote import RemoteLog
from plateledger.audit.schema import audit_entries
from plateledger.audit.verification import verify_log
from plateledger.settings import Settings
from tests.audit.conftest import search

with warnings.catch_warnings():
    # starlette 1.x warns at import that it prefers `httpx2`; plain httpx still works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

E = audit_entries.c
VICTIM = 3


def edit_content_keep_leaf(log: AuditLog, index: int) -> None:
    """Edit the stored content of entry ``index``, leaving its stored leaf hash alone."""
    with log.engine.begin() as conn:
        entry = bytes(conn.execute(select(E.entry).where(E.log_index == index)).scalar_one())
        forged = entry.replace(b"stolen_vehicle", b"immigration___")
        assert forged != entry
        conn.execute(update(audit_entries).where(E.log_index == index).values(entry=forged))


def test_an_untouched_log_passes_the_content_check(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(8)])
    log.check_contents()


def test_edited_content_under_its_old_leaf_hash_is_refused(log: AuditLog) -> None:
    log.append_many([search(n) for n in range(8)])
    edit_content_keep_leaf(log, VICTIM)
    with pytest.raises(TamperedLogError, match="edited outside the log"):
        log.check_contents()
    with pytest.raises(TamperedLogError, match=f"entry {VICTIM}: content does not match"):
        log.entries(0, 8)
    assert [r.index for r in log.entries(0, VICTIM)] == [0, 1, 2]


def test_the_server_refuses_to_start_on_an_edited_log(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="s" * 32)
    first = Resources(settings)
    try:
        first.audit_log.append_many([search(n) for n in range(8)])
    finally:
        first.close()
    edit_content_keep_leaf(first.audit_log, VICTIM)
    with pytest.raises(TamperedLogError, match="edited outside the log"):
        Resources(settings)


def test_remote_verify_refuses_an_edited_entry(log: AuditLog, signer: NoteSigner) -> None:
    log.append_many([search(n) for n in range(8)])
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.audit_log = log
    with TestClient(app) as client:
        remote = RemoteLog(client)
        saved = log.checkpoint()
        assert verify_log(remote, verifier_key=signer.verifier_key()).ok
        edit_content_keep_leaf(log, VICTIM)
        response = client.get("/v1/audit/entries", params={"start": 0, "limit": 8})
        assert response.status_code == 503
        assert f"entry {VICTIM}: content does not match" in response.text
        for note in (None, saved):
            with pytest.raises(AuditError, match=f"entry {VICTIM}: content does not match"):
                verify_log(remote, verifier_key=signer.verifier_key(), saved_checkpoint=note)
