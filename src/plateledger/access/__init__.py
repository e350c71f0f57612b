"""The one door every access passes: a policy decision per data owner, then the data,
then a durable audit entry — and only then an answer. No decision or no entry means no data.

- `gate`: `AccessGate`, the decision and the entry around any access;
- `searches`, `exports`, `images`: the accesses that reveal reads;
- `audit_reads`: who sees which view of an audit entry, logged before it is served;
- `admin_changes`: each administrative change, atomic with its audit entry;
- `policy_source`: the Cedar engine compiled from the catalog, the decider and the alert
  gate hot-list delivery asks;
- `alarm`: denial bursts, flagged reasons, the throttle;
- `errors`: how an access ends without an answer.
"""

from plateledger.access.errors import (
    AccessDenied,
    AccessError,
    AuditUnavailable,
    DecisionUnavailable,
    FailClosed,
    NotPermitted,
    NotVisible,
)
from plateledger.access.gate import AccessGate

__all__ = [
    "AccessDenied",
    "AccessError",
    "AccessGate",
    "AuditUnavailable",
    "DecisionUnavailable",
    "FailClosed",
    "NotPermitted",
    "NotVisible",
]
