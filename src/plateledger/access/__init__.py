"""The gate every access passes: a policy decision per data owner, then the search, then a
durable audit entry — and only then an answer. No decision or no entry means no data."""

from plateledger.access.gate import AccessDenied, AccessGate, AuditUnavailable

__all__ = ["AccessDenied", "AccessGate", "AuditUnavailable"]
