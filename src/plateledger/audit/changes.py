"""The change log: an audit entry for every change of configuration, written in the
change's own transaction.

A change entry names who made the change (``user``, ``via``, and ``agency_id`` when the
actor belongs to an agency), the object changed (``object``, ``object_id``), the agency
it belongs to (``agency``, a slug), what was done (``change``) and the values before and
after (``before``, ``after``; ``None`` for an object that did not exist before or no
longer exists after). The log sets ``time``. Secrets are never logged: only key prefixes.

`log_change` appends the entry on the caller's connection, so that the change and its
entry commit together or not at all; it refuses a connection to another database than
the log's, where that could not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from plateledger.audit.entry import new_entry
from plateledger.audit.errors import AuditError
from plateledger.audit.log import AuditLog

__all__ = ["ChangeNotLogged", "change_entry", "log_change", "who"]


class ChangeNotLogged(AuditError):
    """The entry of a change could not be appended: the change was not made."""


def who(user: str, agency_id: int | None = None, via: str = "api") -> dict[str, Any]:
    """The actor fields of a change entry."""
    fields: dict[str, Any] = {"user": user, "via": via}
    if agency_id is not None:
        fields["agency_id"] = agency_id
    return fields


def change_entry(
    entry_type: str,
    actor: Mapping[str, Any],
    *,
    object: str,
    object_id: str | int,
    change: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    **fields: Any,
) -> dict[str, Any]:
    """A change entry of ``entry_type`` (see the module's docstring)."""
    return new_entry(
        entry_type, **actor, object=object, object_id=str(object_id), change=change,
        before=None if before is None else dict(before),
        after=None if after is None else dict(after), **fields,
    )


def log_change(log: AuditLog, connection: Connection, entry: Mapping[str, Any]) -> int:
    """Append ``entry`` in ``connection``'s transaction; raise `ChangeNotLogged` when it
    cannot be (the caller's transaction must then roll back)."""
    if connection.engine.url != log.engine.url:
        raise ChangeNotLogged("the audit log is in another database than this change: "
                              "nothing was changed")
    try:
        return log.append(entry, connection=connection)
    except Exception as exc:  # fail closed: no entry, no change
        raise ChangeNotLogged("the audit log could not record this change; nothing was "
                              "changed") from exc
