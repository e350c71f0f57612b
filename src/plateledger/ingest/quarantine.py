"""Quarantine: what an authenticated client sent that could not be accepted is kept.

A credential (API key or ingest URL) with quarantine on has every item it sends that
cannot be accepted — an unknown camera, a read outside retention, a bad field — kept in
the catalog with its reasons, the whole raw item and its source (credential, format,
content type, camera hint), instead of being refused and lost. A read refused because its
id is stored with other content is kept whatever the setting, beside the stored version.
The agency's admins list the items, replay one once the mapping is fixed (its reads then go
through ingest as if just posted, and are stored once: a replayed read that is stored
already is an identical re-post), or discard it; each replay and discard is a
``quarantine_change`` entry written in the change's transaction.

Camera aliases map a vendor's camera name to a registered camera (`map_cameras`); adding
or removing one is a ``camera_change`` entry, likewise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from plateledger.audit import AuditLog, new_entry
from plateledger.audit.changes import change_entry, log_change, who
from plateledger.catalog.camera_aliases import (
    CameraAlias,
    add_alias,
    aliases_of,
    find_alias,
    remove_alias,
)
from plateledger.catalog.quarantine import (
    NewItem,
    QuarantineItem,
    add_items,
    credential_quarantines,
    list_items,
    purge_items,
    quarantine_item,
    resolve_item,
    set_credential_quarantine,
)
from plateledger.catalog.timeutil import utc_now
from plateledger.ingest.batch import decode, json_items, load_body, media_type
from plateledger.read import ReadSubmission

QUARANTINE_CHANGE = "quarantine_change"
CAMERA_CHANGE = "camera_change"
CONFLICT_REASON = "conflicts with stored read"

Actor = Mapping[str, Any]
"""Who acts: the fields `plateledger.audit.changes.who` makes."""


class QuarantineError(Exception):
    """An item or alias that does not exist for the agency, or a change that does not
    apply (already resolved, already mapped)."""

    def __init__(self, code: str, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def unknown_camera(name: str) -> str:
    return f"unknown camera '{name}'"


def raw_items(body: bytes, content_type: str | None) -> tuple[str, dict[int, str]]:
    """The content type to replay items with, and each item of ``body`` as a body of its
    own (a JSON item, an NDJSON line, a CSV row under its header). A body that cannot be
    split is kept whole under index -1."""
    media = media_type(content_type)
    try:
        if media == "text/csv":
            rows = list(csv.reader(io.StringIO(decode(body))))
            header, items = rows[0], {}
            for index, row in enumerate(rows[1:]):
                out = io.StringIO()
                csv.writer(out).writerows([header, row])
                items[index] = out.getvalue()
            return "text/csv", items
        if media in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
            lines = [line for line in decode(body).splitlines() if line.strip()]
            return media, dict(enumerate(lines))
        if media == "multipart/form-data":
            from plateledger.ingest.adapters.platerecognizer import json_part

            body = json_part(body, content_type or "")
        values = json_items(load_body(body))
        return "application/json", {i: json.dumps(v) for i, v in enumerate(values)}
    except Exception:  # kept whole: a replay parses it as it came
        return media or "application/json", {-1: decode(body)}


def map_cameras(
    submissions: Sequence[tuple[int, ReadSubmission]],
    aliases: Mapping[str, str],
    fallback: str | None = None,
) -> list[tuple[int, ReadSubmission]]:
    """The submissions with each camera name an alias maps replaced by its camera, and any
    other name by ``fallback`` (when given)."""
    if not aliases and fallback is None:
        return list(submissions)
    mapped: list[tuple[int, ReadSubmission]] = []
    for index, sub in submissions:
        camera = aliases.get(sub.camera_id, fallback or sub.camera_id)
        if camera != sub.camera_id:
            sub = sub.model_copy(update={"camera_id": camera})
        mapped.append((index, sub))
    return mapped


class Quarantine:
    """The quarantine and camera aliases of one catalog database (which holds the log)."""

    def __init__(
        self, engine: Engine, audit_log: AuditLog, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self.engine = engine
        self.audit_log = audit_log
        self.on_change = on_change

    # -- ingest ------------------------------------------------------------------------

    def enabled(self, kind: str, prefix: str) -> bool:
        with self.engine.connect() as conn:
            return credential_quarantines(conn, kind, prefix)

    def aliases(self, agency_id: int, source_format: str) -> dict[str, str]:
        """External key → camera id, of one agency and format."""
        with self.engine.connect() as conn:
            return {a.external_key: a.camera_id for a in aliases_of(conn, agency_id, source_format)}

    def keep(self, agency_id: int, kind: str, prefix: str, items: list[NewItem]) -> list[int]:
        """Keep ``items`` sent with a credential; their ids."""
        if not items:
            return []
        with self.engine.begin() as conn:
            return add_items(
                conn,
                agency_id=agency_id,
                credential_kind=kind,
                credential_prefix=prefix,
                items=items,
                now=utc_now(),
            )

    def purge(self, agency_id: int, agency: str, clock: timedelta) -> list[int]:
        """Delete the agency's items received longer ago than ``clock`` (its clock for
        reads without a hit: an item is raw read data), with a ``quarantine_purge`` entry
        in the same transaction; the ids deleted."""
        before = utc_now() - clock
        with self.engine.begin() as conn:
            ids = purge_items(conn, agency_id, before)
            if ids:
                self.audit_log.append(
                    new_entry(
                        "quarantine_purge",
                        agency=agency,
                        items=ids,
                        received_before=before.isoformat(),
                    ),
                    connection=conn,
                )
        return ids

    # -- the agency's admins -----------------------------------------------------------

    def items(self, agency_id: int, **filters: Any) -> tuple[list[QuarantineItem], int]:
        with self.engine.connect() as conn:
            return list_items(conn, agency_id, **filters)

    def item(self, agency_id: int, item_id: int) -> QuarantineItem:
        """Item ``item_id`` of ``agency_id``; another agency's answers as missing."""
        with self.engine.connect() as conn:
            item = quarantine_item(conn, item_id)
        if item is None or item.agency_id != agency_id:
            raise QuarantineError("not_found", f"no quarantined item `{item_id}`")
        return item

    def resolve(
        self, actor: Actor, agency: str, item: QuarantineItem, status: str, outcome: dict[str, Any]
    ) -> tuple[QuarantineItem, int]:
        """Mark a held item replayed or discarded, with its entry, in one transaction."""
        with self.engine.begin() as conn:
            done = resolve_item(
                conn, item, status=status, by=str(actor["user"]), now=utc_now(), outcome=outcome
            )
            if done is None:
                raise QuarantineError(
                    "already_resolved", f"quarantined item `{item.id}` is no longer held", 409
                )
            if status == "replayed":
                entry = change_entry(
                    QUARANTINE_CHANGE,
                    who(**actor),
                    object="quarantine_item",
                    object_id=item.id,
                    change="replay",
                    agency=agency,
                    before=item.summary(),
                    after=done.summary(),
                )
            else:
                entry = change_entry(
                    QUARANTINE_CHANGE,
                    who(**actor),
                    object="quarantine_item",
                    object_id=item.id,
                    change="discard",
                    agency=agency,
                    before=item.summary(),
                    after=done.summary(),
                )
            index = log_change(self.audit_log, conn, entry)
        return done, index

    def set_credential(
        self, actor: Actor, agency: str, *, agency_id: int, kind: str, prefix: str, enabled: bool
    ) -> int:
        """Turn quarantine on or off for a credential, with its entry."""
        with self.engine.begin() as conn:
            before = set_credential_quarantine(
                conn, kind=kind, prefix=prefix, agency_id=agency_id, enabled=enabled, now=utc_now()
            )
            index = log_change(
                self.audit_log,
                conn,
                change_entry(
                    "key_change",
                    who(**actor),
                    object=kind,
                    object_id=prefix,
                    change="quarantine",
                    agency=agency,
                    before={"quarantine": before},
                    after={"quarantine": enabled},
                ),
            )
        self.on_change()
        return index

    def add_alias(
        self,
        actor: Actor,
        agency: str,
        *,
        agency_id: int,
        source_format: str,
        external_key: str,
        camera_id: str,
        camera_owner: Callable[[str], int | None],
    ) -> CameraAlias:
        """Map ``external_key`` of ``source_format`` to the agency's ``camera_id``."""
        if camera_owner(camera_id) != agency_id:
            raise QuarantineError("unknown_camera", f"your agency has no camera `{camera_id}`")
        with self.engine.begin() as conn:
            if find_alias(conn, agency_id, source_format, external_key) is not None:
                raise QuarantineError(
                    "alias_exists",
                    f"`{external_key}` of {source_format} is mapped already: remove it first",
                    409,
                )
            alias = add_alias(
                conn,
                agency_id=agency_id,
                source_format=source_format,
                external_key=external_key,
                camera_id=camera_id,
                by=str(actor["user"]),
                now=utc_now(),
            )
            log_change(
                self.audit_log,
                conn,
                change_entry(
                    CAMERA_CHANGE,
                    who(**actor),
                    object="camera_alias",
                    object_id=alias.id,
                    change="alias_add",
                    agency=agency,
                    before=None,
                    after=alias.values(),
                ),
            )
        self.on_change()
        return alias

    def remove_alias(
        self, actor: Actor, agency: str, *, agency_id: int, source_format: str, external_key: str
    ) -> CameraAlias:
        with self.engine.begin() as conn:
            alias = find_alias(conn, agency_id, source_format, external_key)
            if alias is None:
                raise QuarantineError("not_found", f"no alias `{external_key}` of {source_format}")
            remove_alias(conn, alias)
            log_change(
                self.audit_log,
                conn,
                change_entry(
                    CAMERA_CHANGE,
                    who(**actor),
                    object="camera_alias",
                    object_id=alias.id,
                    change="alias_remove",
                    agency=agency,
                    before=alias.values(),
                    after=None,
                ),
            )
        self.on_change()
        return alias

    def list_aliases(self, agency_id: int) -> list[CameraAlias]:
        with self.engine.connect() as conn:
            return aliases_of(conn, agency_id)
