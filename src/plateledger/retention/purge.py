"""The purge: physically delete expired reads, after copying out what legal holds keep.

A read is expired when its stamped ``expires_at`` has passed, or when its owner's current
policy is stricter than the one it was stamped under (a clock shortened after ingest).
Whole partitions whose every read is expired are dropped (``DROP PARTITION``, a metadata
operation); the expired reads of other partitions are deleted by a synchronous mutation
(one ``ALTER … DELETE`` after the drops); their candidates and details are deleted
with them, except a held read's, which stay until its hold is released; so are their
crops and frames in the image store (before the rows, so that no image outlives its read
even when a run fails half way), a held copy's when its hold ends. The table's
projection rules out lightweight ``DELETE FROM`` unless
``lightweight_mutation_projection_mode`` is changed; see
docs/retention.md for the measured difference.

Precondition: no other purge runs on the same store at the same time (`RetentionScheduler`
serialises runs).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from plateledger.audit import AuditLog
from plateledger.policy.clocks import RetentionPolicy, policy_set_hash
from plateledger.retention.held import copy_held_reads, release_held_reads
from plateledger.retention.holds import LegalHold
from plateledger.retention.plates import collect_purged_plates, prune_plates
from plateledger.retention.receipt import AgencyDayCount, DeletionReceipt, HoldHonoured
from plateledger.store import ReadStore
from plateledger.store.candidates import delete_extras
from plateledger.store.held import HELD_READS, ensure_held_table
from plateledger.store.image_purges import ImagesGone
from plateledger.store.images import CropStore, delete_images
from plateledger.store.literals import moment, string, strings
from plateledger.store.schema import READS


def expired_sql(now: datetime, policies: Mapping[int, RetentionPolicy]) -> str:
    """A WHERE fragment true for reads expired at ``now`` (stamped or by current policy)."""
    parts = [f"expires_at <= {moment(now)}"]
    for owner, policy in sorted(policies.items()):
        parts.append(
            f"(owner_id = {int(owner)} AND hit = 0 AND ts <= {moment(now - policy.non_hit)})"
        )
        parts.append(f"(owner_id = {int(owner)} AND hit = 1 AND ts <= {moment(now - policy.hit)})")
    return "(" + " OR ".join(parts) + ")"


IMAGE_WINDOW = timedelta(days=7)
"""How far past its images clock a live read's images are looked for: each run deletes
those whose clock ran out in the last week (runs are minutes apart); older ones, of a
server down longer, go with their read."""


def images_expired_sql(now: datetime, policies: Mapping[int, RetentionPolicy], *,
                       window: timedelta | None = IMAGE_WINDOW) -> str:
    """A WHERE fragment true for live reads whose images clock (shorter than the read's)
    ran out within ``window`` of ``now`` (`IMAGE_WINDOW`; None: whenever)."""
    parts = [
        f"(owner_id = {int(owner)} AND ts <= {moment(now - policy.images)}"
        + ("" if window is None else f" AND ts > {moment(now - policy.images - window)}")
        + ")"
        for owner, policy in sorted(policies.items())
        if policy.images_go_first
    ]
    return "(" + " OR ".join(parts) + ")" if parts else "0"


def purge(
    store: ReadStore,
    now: datetime,
    policies: Mapping[int, RetentionPolicy],
    holds: Sequence[LegalHold],
    audit_log: AuditLog,
    images: CropStore | None = None,
    gone: ImagesGone | None = None,
) -> DeletionReceipt:
    """Purge every read expired at ``now``; return the receipt logged for the run.

    ``policies`` maps owner ids to their current policy; ``holds`` may include inactive
    holds (only those active at ``now`` keep reads; the images an ended one kept past
    their clock are deleted). Reads selected by an active hold are
    copied into ``held_reads`` before anything is deleted; if copying fails, nothing is
    deleted. Copies of holds no longer active are deleted. With ``images``, the crops of
    every read deleted (and of every copy released) are deleted from it first, and
    ``gone`` records, before any image is deleted, how far back each owner's images go
    (so that no search shows a reference to one deleted, whatever its clock later says).
    """
    if now.tzinfo is None:
        raise ValueError("the purge cutoff needs a time zone")
    started = datetime.now(UTC)
    ensure_held_table(store)
    expired = expired_sql(now, policies)
    active = [h for h in holds if h.active(now)]
    copied = copy_held_reads(store, active, expired, now)

    counts = store.query(
        f"SELECT owner_id, toString(toDate(ts)) AS day, count() AS n, min(ts) AS first, "
        f"max(ts) AS last FROM {{db}}.{READS} WHERE {expired} "
        "GROUP BY owner_id, day ORDER BY owner_id, day"
    ).to_pylist()
    partitions = store.query(
        f"SELECT _partition_id AS p, count() AS total, countIf({expired}) AS gone "
        f"FROM {{db}}.{READS} GROUP BY p ORDER BY p"
    ).to_pylist()
    dropped = [(r["p"], int(r["total"])) for r in partitions if r["gone"] == r["total"]]
    trimmed = [(r["p"], int(r["gone"])) for r in partitions if 0 < r["gone"] < r["total"]]

    # A read's candidates and details go with it (and with a released hold's copy); those
    # of the reads an active hold keeps stay.
    held = f"SELECT read_id FROM {store.db}.{HELD_READS}"
    keeping = f"hold_id IN {strings([h.hold_id for h in active])}" if active else "0"
    collect_purged_plates(store, expired, f"{held} WHERE NOT ({keeping})")
    # a live read an active hold selects keeps its images past their clock too; once the
    # hold has ended (a hold given here that is no longer active), they are due whenever
    # their clock ran out, not only in the last `IMAGE_WINDOW`
    selected = " OR ".join(f"({h.reads_sql()})" for h in active) or "0"
    ended = " OR ".join(f"({h.reads_sql()})" for h in holds if not h.active(now)) or "0"
    images_due = (f"(({images_expired_sql(now, policies)} OR "
                  f"({images_expired_sql(now, policies, window=None)} AND ({ended}))) "
                  f"AND NOT ({selected}))")
    if images is not None and gone is not None:
        gone.mark({owner: now - policy.images for owner, policy in policies.items()
                   if policy.images_go_first})
    images_deleted = 0 if images is None else delete_images(images, _pictured(
        store, f"({expired} OR {images_due})", f"{held} WHERE {keeping}", f"NOT ({keeping})"))
    delete_extras(
        store.engine,
        f"SELECT read_id FROM {store.db}.{READS} WHERE {expired} "
        f"UNION ALL {held} WHERE NOT ({keeping})",
        f"{held} WHERE {keeping}",
    )
    for partition, _ in dropped:
        store.engine.command(
            f"ALTER TABLE {store.db}.{READS} DROP PARTITION ID {string(partition)}"
        )
    if trimmed:
        # one mutation for every trimmed partition: each synchronous mutation costs a
        # fixed wait, and parts without an expired row are left as they are
        store.engine.command(
            f"ALTER TABLE {store.db}.{READS} DELETE WHERE {expired} SETTINGS mutations_sync = 2"
        )
    released = release_held_reads(store, [h.hold_id for h in active])
    plates_removed = prune_plates(store)

    receipt = DeletionReceipt(
        run_id=str(uuid.uuid4()),
        cutoff=now,
        started_at=started,
        finished_at=datetime.now(UTC),
        rows_deleted=sum(int(r["n"]) for r in counts),
        rows_in_dropped_partitions=sum(n for _, n in dropped),
        rows_deleted_in_place=sum(n for _, n in trimmed),
        partitions_dropped=[p for p, _ in dropped],
        partitions_trimmed=[p for p, _ in trimmed],
        counts=[
            AgencyDayCount(owner_id=int(r["owner_id"]), day=r["day"], rows=int(r["n"]))
            for r in counts
        ],
        oldest_read=min((r["first"] for r in counts), default=None),
        newest_read=max((r["last"] for r in counts), default=None),
        holds_honoured=[
            HoldHonoured(
                hold_id=h.hold_id, case_number=h.case_number, owner_agency=h.owner_agency,
                case_agency=h.case_agency, rows_copied=copied.get(h.hold_id, 0),
            )
            for h in active
        ],
        held_rows_released=released,
        plates_removed=plates_removed,
        images_deleted=images_deleted,
        policies={str(owner): p.as_json() for owner, p in sorted(policies.items())},
        policy_set_hash=policy_set_hash(policies),
    )
    index = audit_log.append(receipt.audit_entry())
    checkpoint = audit_log.checkpoint() if audit_log.signer is not None else None
    return receipt.model_copy(update={"audit_index": index, "checkpoint": checkpoint})


def _pictured(store: ReadStore, expired: str, kept: str, released: str) -> list[uuid.UUID]:
    """The ids of the reads with an image that this run deletes: reads ``expired`` (or
    whose images are) that no active hold keeps a copy of, and the copies of holds that
    ended (unless another keeps it)."""
    pictured = "(image_plate != '' OR image_overview != '')"
    rows = store.query(
        f"SELECT toString(read_id) AS id FROM {{db}}.{READS} WHERE {expired} AND {pictured} "
        f"AND read_id NOT IN ({kept}) "
        f"UNION DISTINCT SELECT toString(read_id) AS id FROM {{db}}.{HELD_READS} "
        f"WHERE {released} AND {pictured} AND read_id NOT IN ({kept})"
    )
    return [uuid.UUID(i) for i in rows.column("id").to_pylist()]
