"""What an access can end in besides an answer. The API maps each to one HTTP status, in
one place (`plateledger.api.errors`); the CLI and tests catch them as they are.

```
AccessError                  code, message, details
├── AccessDenied             the request itself is refused (unknown purpose, agency …)  422
├── NotVisible               nothing the decision allows answers it (a missing read and
│                            a read the requester may not see answer alike)            404
├── NotPermitted             the policy set does not let this user do it at all        403
├── Throttled                the user's accesses keep being denied: paused (Retry-After) 429
└── FailClosed               no decision, or no audit entry: no data                   503
    ├── DecisionUnavailable
    └── AuditUnavailable
```
"""

from __future__ import annotations

from typing import Any


class AccessError(Exception):
    """An access that ends without an answer; ``code`` names why, for machines."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class AccessDenied(AccessError):
    """The request itself is refused (unknown purpose, unknown agency …)."""


class NotVisible(AccessError):
    """Nothing inside what the decision allows answers the request."""


class NotPermitted(AccessError):
    """The policy set does not let this user do this at all (a role rule, say)."""


class Conflict(AccessError):
    """The request clashes with what is already recorded (a sample signed off already)."""


class FailClosed(AccessError):
    """No policy decision or no audit entry: no data may be returned."""

    def __init__(self, message: str) -> None:
        super().__init__("fail_closed", message)


class DecisionUnavailable(FailClosed):
    """No policy decision could be made."""


class AuditUnavailable(FailClosed):
    """The audit entry could not be written."""


class Throttled(AccessError):
    """The user's accesses keep being denied: this one is refused before any decision,
    for ``retry_after`` seconds (`plateledger.access.alarm`)."""

    def __init__(self, retry_after: int, denials: int, window: float) -> None:
        super().__init__("throttled", (
            f"{denials} of your recent searches were denied within {window:g} seconds; "
            f"your searches are paused for {retry_after} seconds and your supervisors "
            "were alerted"
        ))
        self.retry_after = retry_after
