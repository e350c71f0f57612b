"""Cross-witnessing: each node witnesses its partners' audit logs, and they witness its own.

A partner node's log identity — its audit log's note verifier key (whose name is the
log's origin) and its witness's cosigner key — is registered with the node
(`NodeRegistry.set_log_keys`, ``plateledger node log-key``), each change with its
``node_change`` entry.

- **As a witness** this node's ``POST /v1/witness/add-checkpoint`` (C2SP tlog-witness,
  `plateledger.audit.witness.WitnessService`) witnesses the logs of the registered,
  unrevoked partner nodes (`partner_log_keys`, read from the catalog on each request, so
  a revocation holds from the next one), besides those of ``<data-dir>/witness/logs.txt``.
  The request is authenticated by the checkpoint's own signature under the registered
  log key, as tlog-witness prescribes; no node signature (RFC 9421) is asked for: the
  checkpoint is the signed statement, what it may change is only what the log's own key
  signed, and whoever relays it (the log, a proxy, a standard witness client) changes
  nothing. A consistency proof is not signed: one that fails is kept as evidence only
  from a request the log's own node signed (`plateledger.api.routes.tlog`).
- **As a log** this node sends, every ``witness_every_minutes``, its latest checkpoint
  with a consistency proof to each unrevoked partner that has a witness key
  (`CrossWitness.run_once`), checks each cosignature under that key, and keeps the
  cosignatures with its checkpoint (`plateledger.audit.witness.CosignatureStore`), served
  on ``GET /v1/audit/tlog/checkpoint``.

A node that rewrote its log gets no cosignature: its partners hold the checkpoint they
cosigned last, answer 409 (the same size with another root) or 422 (no valid
consistency proof from it, in the request the node signed), and keep the conflicting
checkpoint, signed by the log's own key, as evidence (``witness_conflicts``, and a
``witness_conflict`` entry in their own logs). `witness_status` shows, per partner, what
this node's witness holds of its log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from plateledger.audit import AuditLog, NoteError
from plateledger.audit.checkpoint import Checkpoint, tree_size
from plateledger.audit.witness import (
    COSIGNER_KEY_FILE,
    CatalogWitnessState,
    CosignatureStore,
    Cosigner,
    CosignerVerifier,
    KeptConflict,
    add_checkpoint_body,
    split_note,
)
from plateledger.catalog import Catalog
from plateledger.catalog.nodes import witnessed_log_keys
from plateledger.federation.keys import NodeKey
from plateledger.federation.registry import NodeRecord, NodeRegistry
from plateledger.federation.signatures import sign_request
from plateledger.periodic import Periodic

__all__ = [
    "WITNESS_PATH",
    "CrossWitness",
    "PartnerWitnessStatus",
    "Submission",
    "partner_log_keys",
    "witness_cosigner",
    "witness_status",
]

log = logging.getLogger(__name__)

WITNESS_PATH = "/v1/witness/add-checkpoint"
SIZE_TYPE = "text/x.tlog.size"


def witness_cosigner(directory: Path, origin: str) -> Cosigner:
    """This node's witness key, ``<directory>/cosigner.key``: an existing key whatever its
    name; a new one (made here) named ``<origin>/witness``."""
    name = None if (directory / COSIGNER_KEY_FILE).exists() else f"{origin}/witness"
    return Cosigner.load_or_create(directory, name)


def partner_log_keys(engine: Engine) -> Callable[[str], list[str]]:
    """The log keys of an origin that registered, unrevoked partner nodes hold, read from
    the catalog at ``engine`` on each call (no cache)."""

    def keys(origin: str) -> list[str]:
        with Session(engine) as session:
            return witnessed_log_keys(session, origin)

    return keys


@dataclass(frozen=True, slots=True)
class Submission:
    """How sending this node's checkpoint to one partner's witness ended."""

    node: str
    outcome: Literal["cosigned", "refused", "unavailable"]
    size: int
    status: int | None = None
    message: str = ""
    line: str | None = None  # the partner's cosignature line (with its newline)


class CrossWitness:
    """Sends this node's checkpoint to its partners' witnesses and keeps their
    cosignatures: `run_once` now, or every ``interval`` in a background thread (the first
    time ``first_delay`` after `start`; default: one interval)."""

    def __init__(
        self,
        catalog: Catalog,
        audit_log: AuditLog,
        cosignatures: CosignatureStore,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        interval: timedelta = timedelta(minutes=5),
        first_delay: timedelta | None = None,
        node_key: Callable[[], NodeKey] | None = None,
    ) -> None:
        self.catalog = catalog
        self.node_key = node_key
        """Signs each request (RFC 9421, as between nodes): the partner's witness then
        keeps a checkpoint of ours that fails its proof as evidence against this log, as
        it would not from a relayer (`WitnessService.add_checkpoint`)."""
        self.audit_log = audit_log
        self.cosignatures = cosignatures
        self._http = http  # made on first use where not given: most servers have no partner
        self._own_http = http is None
        self.timeout = timeout
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self._periodic = Periodic("cross-witness", self.tick, interval, self.first_delay)
        self._held: dict[str, int] = {}  # per partner: the size its witness holds of ours
        self._run_lock = threading.Lock()
        self.last: list[Submission] = []
        self.last_error: str | None = None

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def partners(self) -> list[NodeRecord]:
        """The unrevoked partner nodes with a witness key: those this node's log asks."""
        registry = NodeRegistry(self.catalog, self.audit_log)
        return [n for n in registry.list() if n.revoked_at is None and n.witness_key]

    def run_once(self) -> list[Submission]:
        """Send the current checkpoint to every partner's witness; keep the cosignatures
        that verify under each partner's witness key. A run in flight makes this one do
        nothing."""
        if not self._run_lock.acquire(blocking=False):
            return []
        try:
            partners = self.partners()
            if not partners:
                self.last = []
                return []
            signer = self.audit_log.signer
            if signer is None:
                raise NoteError("the audit log has no signing key: nothing to witness")
            note = self.audit_log.checkpoint()
            text = split_note(note)[0]
            checkpoint = Checkpoint.parse(text)
            results: list[Submission] = []
            lines: list[str] = []
            verifiers: list[CosignerVerifier] = []
            for node in partners:
                assert node.witness_key is not None
                verifier = CosignerVerifier.parse(node.witness_key)
                submission = self._submit(node, verifier, note, text, checkpoint)
                results.append(submission)
                if submission.line is not None:
                    lines.append(submission.line)
                    verifiers.append(verifier)
            if lines:
                self.cosignatures.add(
                    note + "".join(lines),
                    signer.verifier_key(),
                    root_at=self.audit_log.root_hash,
                    also_trusted=verifiers,
                )
            self.last = results
            return results
        finally:
            self._run_lock.release()

    def _submit(
        self,
        node: NodeRecord,
        verifier: CosignerVerifier,
        note: str,
        text: str,
        checkpoint: Checkpoint,
    ) -> Submission:
        size = checkpoint.size
        url = urljoin(node.url.rstrip("/") + "/", WITNESS_PATH.lstrip("/"))
        old = self._held.get(node.name, 0)
        if old > size:
            old = 0
        for attempt in (1, 2):
            proof = self.audit_log.consistency_proof(old, size) if 0 < old < size else []
            raw = add_checkpoint_body(old, proof, note).encode()
            headers = {"Content-Type": "text/plain"}
            if self.node_key is not None:
                headers = sign_request(self.node_key(), "POST", url, raw,
                                       created=int(time.time()), content_type="text/plain")
            try:
                response = self.http.post(url, content=raw, headers=headers)
            except httpx.TimeoutException:
                return Submission(node.name, "unavailable", size, message="timeout")
            except httpx.TransportError:
                return Submission(node.name, "unavailable", size, message="unreachable")
            status = response.status_code
            if (
                status == 409
                and attempt == 1
                and response.headers.get("content-type", "").startswith(SIZE_TYPE)
            ):
                # the witness holds another size of this log: send the proof from that one
                held = response.text.strip()
                size_held = tree_size(held)
                if size_held is not None and size_held <= size and size_held != old:
                    old = size_held
                    continue
            if status != 200:
                self._held.pop(node.name, None)
                return Submission(node.name, "refused", size, status, response.text.strip()[:300])
            for line in response.text.splitlines():
                try:
                    if line and verifier.verify_line(text, line) is not None:
                        self._held[node.name] = size
                        return Submission(node.name, "cosigned", size, 200, line=line + "\n")
                except NoteError:
                    break
            return Submission(
                node.name, "refused", size, status, "no cosignature by the partner's witness key"
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def tick(self) -> None:
        """One scheduled run: errors are logged and kept, never raised."""
        try:
            results = self.run_once()
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("cross-witnessing: run failed")
            return
        self.last_error = None
        for result in results:
            if result.outcome != "cosigned":
                log.warning(
                    "cross-witnessing: %s %s (%s) %s",
                    result.node,
                    result.outcome,
                    result.status,
                    result.message,
                )

    def start(self) -> None:
        """Start the background thread; idempotent."""
        self._periodic.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop and wait for a run in flight to finish."""
        self._periodic.stop(timeout)
        if self._own_http and self._http is not None:
            self._http.close()
            self._http = None


@dataclass(frozen=True, slots=True)
class PartnerWitnessStatus:
    """What this node's witness holds of one partner's log."""

    node: str
    origin: str
    revoked: bool
    cosigned_size: int  # 0: nothing cosigned yet
    cosigned_at: str | None
    seen_size: int | None
    seen_at: str | None
    conflicts: tuple[KeptConflict, ...]


def witness_status(catalog: Catalog, audit_log: AuditLog) -> list[PartnerWitnessStatus]:
    """Per partner node with a registered log key (revoked ones too): the size this node
    last cosigned and when, the last size it was shown, and the conflicts it kept."""
    state = CatalogWitnessState(catalog.engine)
    held = {entry.origin: entry for entry in state.logs()}
    found: list[PartnerWitnessStatus] = []
    for node in NodeRegistry(catalog, audit_log).list():
        if node.log_key is None:
            continue
        origin = node.log_key.split("+", 1)[0]
        entry = held.get(origin)
        found.append(
            PartnerWitnessStatus(
                node=node.name,
                origin=origin,
                revoked=node.revoked_at is not None,
                cosigned_size=0 if entry is None else entry.size,
                cosigned_at=None if entry is None else entry.cosigned_at,
                seen_size=None if entry is None else entry.seen_size,
                seen_at=None if entry is None else entry.seen_at,
                conflicts=tuple(state.conflicts(origin)),
            )
        )
    return found
