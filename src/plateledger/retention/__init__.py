"""Retention: per-agency clocks, legal holds, the purge and its signed deletion receipts.

The clocks themselves (`RetentionPolicy`, `effective_policy`, `expiry_for`) are law-pack
rules and live in `plateledger.policy.clocks`, where ingest reads them too; they are
re-exported here.

>>> policy = effective_policy(["VA"], agency_override=None)
>>> read_expires_at = expiry_for(read_ts, hit=False, policy=policy)
>>> receipt = purge(store, now, {owner_id: policy}, hold_store.active(now), audit_log)
"""

from plateledger.policy.clocks import (
    AUDIT_LOG_MINIMUM,
    CHP_POLICY,
    PACK_RETENTION,
    RetentionError,
    RetentionPolicy,
    effective_policy,
    expiry_for,
    policy_for_agency,
    policy_set_hash,
    searchable,
)
from plateledger.retention.holds import HoldError, HoldStore, LegalHold, ReadSelection
from plateledger.retention.purge import expired_sql, purge
from plateledger.retention.receipt import AgencyDayCount, DeletionReceipt, HoldHonoured
from plateledger.retention.scheduler import PolicySource, PurgeRunning, RetentionScheduler
from plateledger.retention.schema import create_tables, metadata

__all__ = [
    "AUDIT_LOG_MINIMUM",
    "CHP_POLICY",
    "PACK_RETENTION",
    "AgencyDayCount",
    "DeletionReceipt",
    "HoldError",
    "HoldHonoured",
    "HoldStore",
    "LegalHold",
    "PolicySource",
    "PurgeRunning",
    "ReadSelection",
    "RetentionError",
    "RetentionPolicy",
    "RetentionScheduler",
    "create_tables",
    "effective_policy",
    "expired_sql",
    "expiry_for",
    "metadata",
    "policy_for_agency",
    "policy_set_hash",
    "purge",
    "searchable",
]
