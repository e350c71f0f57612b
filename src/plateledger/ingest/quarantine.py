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

What an admin is shown of an item is masked (`shown`): admins never reach reads, and an
admin fixes a mapping from the reasons, the source, the camera name and the time, not from
the plate. Each plate becomes a token keyed by the server's secret and the item's id (the
same plate reads the same within one item, and cannot be matched across items or against a
plate the admin posts), read ids become tokens too (a read id may be derived from camera,
time and plate), images and long strings are withheld, and a conflict is shown as the
fields that differ with the values that are not plates. The stored item stays whole: a
replay runs what was sent.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import hmac
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from email.message import Message
from typing import Any

from sqlalchemy import Connection, Engine

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
from plateledger.ingest.adapters.csv import records
from plateledger.ingest.adapters.native import looks_like_ndjson
from plateledger.ingest.batch import decode, json_items, load_body, media_type
from plateledger.ingest.errors import MalformedBody
from plateledger.plates import PlateError, normalize_plate
from plateledger.read import ReadSubmission
from plateledger.store.schema import PERCENT_COLUMNS, percent

QUARANTINE_CHANGE = "quarantine_change"
CAMERA_CHANGE = "camera_change"
CONFLICT_REASON = "conflicts with stored read"
MULTIPART = "multipart/form-data"
CONTENT_TYPE_CHARS = 200
"""The most characters of an item's content type the catalog keeps."""

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
    split is kept whole under index -1; so is a multipart webhook (its JSON and its frame),
    in base64 (`item_body` gives it back)."""
    media = media_type(content_type)
    try:
        if media == "text/csv":
            return "text/csv", _csv_items(body)
        if media in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
            # line by line, as `ndjson_lines` numbers them: one line that is not UTF-8
            # is kept as text (its bad bytes escaped), the others as they came
            lines = [body_text(line) for line in body.splitlines() if line.strip()]
            return media, dict(enumerate(lines))
        if media == MULTIPART:  # kept whole, its frame with it, so a replay stores the frame
            return _multipart_type(content_type or media), {
                -1: base64.b64encode(body).decode("ascii")}
        try:
            values = json_items(load_body(body))
        except MalformedBody:
            if looks_like_ndjson(body):  # as the native format reads it: line by line
                lines = [body_text(line) for line in body.splitlines() if line.strip()]
                return "application/x-ndjson", dict(enumerate(lines))
            raise
        return "application/json", _json_item_texts(body, values)
    except Exception:  # kept whole: a replay parses it as it came
        return media or "application/json", {-1: body_text(body)}


_JSON_SPACE = " \t\n\r"


def _json_item_texts(body: bytes, values: list[Any]) -> dict[int, str]:
    """Each item of a JSON body (``values``, as `json_items` read it) as the text it was
    sent as: a number such as ``1e400`` or ``1.10`` is kept as written, never turned into
    another (``Infinity``, ``1.1``) that a replay would read otherwise. Items that cannot be
    found in the text (never expected) are written from their value."""
    text = decode(body)
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    if not text.startswith("[", start):
        return {0: text.strip(_JSON_SPACE)}
    decoder = json.JSONDecoder()
    out: dict[int, str] = {}
    at = start + 1
    for index in range(len(values)):
        while at < len(text) and text[at] in _JSON_SPACE:
            at += 1
        try:
            _, end = decoder.raw_decode(text, at)
        except ValueError:
            break
        out[index] = text[at:end]
        at = end
        while at < len(text) and text[at] in _JSON_SPACE:
            at += 1
        if at < len(text) and text[at] == ",":
            at += 1
    if len(out) != len(values):
        return {i: json.dumps(v) for i, v in enumerate(values)}
    return out


def _multipart_type(content_type: str) -> str:
    """A multipart body's content type as kept with it: its media type and boundary only,
    so that a header long with other parameters still fits the catalog's 200 characters
    and keeps the boundary a replay splits the body by."""
    if len(content_type) <= CONTENT_TYPE_CHARS:
        return content_type
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if isinstance(boundary, str):
        return f'{MULTIPART}; boundary="{boundary}"'[:CONTENT_TYPE_CHARS]
    return content_type[:CONTENT_TYPE_CHARS]


def _csv_items(body: bytes) -> dict[int, str]:
    """Each record of a CSV body under its header, as the lines it was sent on, numbered
    as `plateledger.ingest.adapters.csv.rows` numbers its items (a record's first line
    less 2: a quoted cell may hold line breaks); a record that cannot be read, or holds
    bytes that are not UTF-8 (escaped, ``\\xeb``), is kept as itself too."""
    lines = io.StringIO(body.decode("utf-8-sig", "backslashreplace"), newline="").readlines()
    _, header_end, found = records(iter(lines))
    head = "".join(lines[:header_end])
    if not head.endswith(("\n", "\r")):
        head += "\r\n"
    return {start - 2: head + "".join(lines[start - 1 : end]) for start, end, _ in found}


def body_text(raw: bytes) -> str:
    """``raw`` as UTF-8 text; bytes that are not UTF-8 escaped (``\\xff``), never lost to
    an error: the item is kept, and its reason says what was wrong with it."""
    try:
        return decode(raw)
    except MalformedBody:
        return raw.decode("utf-8", "backslashreplace")


_PLATE_KEY = re.compile(r"plate", re.I)
"""A field whose text is a plate (``plate``, ``plate_raw``, ``best_plate_number``,
``recognized_license_plate``, a candidate's ``plate``, …): shown as its token."""
_PLATE_NUMBER_KEYS = frozenset(
    {
        "plate",
        "plate_raw",
        "plate_number",
        "best_plate_number",
        "license_plate",
        "recognized_license_plate",
        "plate_text",
    }
)
"""Fields whose number, too, is a plate (an all-digit plate sent as a JSON number)."""
_IMAGE_KEY = re.compile(r"jpe?g|png|image|crop|thumb|frame|snapshot|base64", re.I)
"""A field that holds or names a picture (which shows the plate): withheld."""
_PLATE_PAIR = re.compile(r'"[^"]*plate[^"]*"\s*:\s*"([^"]{1,64})"', re.I)
_QUOTED = re.compile(r"`([^`]{1,64})`|'([^']{1,64})'")
_LONG = 256
"""Longer text is withheld (an embedded image, whatever its field is called)."""
_READ_HIDDEN = ("read_id", "images")
_BOOKKEEPING = ("received_at", "expires_at", "hit")
"""A read's fields of when and how long it is kept, not of what it says: never a conflict."""
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


class Masker:
    """Tokens for what one item shows: ``pt_`` for a plate, ``rt_`` for a read id, each an
    HMAC-SHA256 under the server's secret and the item's id (never reversible by whoever
    sees it, and not comparable across items)."""

    def __init__(self, secret: str, item_id: int) -> None:
        self._key = f"{secret}\x00quarantine-item\x00{item_id}".encode()
        self._plates: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def token(self, value: str, prefix: str = "pt_") -> str:
        text = value.strip().upper()
        if prefix == "pt_":
            with contextlib.suppress(PlateError):
                text = normalize_plate(text)
        digest = hmac.new(self._key, prefix.encode() + text.encode(), hashlib.sha256)
        return prefix + digest.hexdigest()[:16]

    def note(self, value: Any) -> None:
        """Remember a plate, so that it is masked wherever else it appears."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            self._plates.add(value.strip())
            with contextlib.suppress(PlateError):
                self._plates.add(normalize_plate(value))
            self._pattern = None

    def text(self, value: str) -> str:
        """``value`` with every read id (a UUID) and every noted plate (of three characters
        or more) replaced by its token, in one pass."""
        if self._pattern is None:
            plates = sorted((p for p in self._plates if len(p) >= 3), key=len, reverse=True)
            self._pattern = re.compile(
                "|".join([_UUID.pattern, *(re.escape(p) for p in plates)]), re.I
            )
        return self._pattern.sub(self._replace, value)

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        return self.token(found, "rt_") if _UUID.fullmatch(found) else self.token(found)

    def collect(self, value: Any, plate: bool = False, key: str = "") -> None:
        """Note the plates of a decoded JSON value (by their fields' names)."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.collect(v, bool(_PLATE_KEY.search(str(k))), str(k))
        elif isinstance(value, list):
            for v in value:
                self.collect(v, plate, key)
        elif plate and (isinstance(value, str) or key.lower() in _PLATE_NUMBER_KEYS):
            self.note(value)

    def value(self, value: Any, key: str = "") -> Any:
        """A decoded JSON value as shown: plates as tokens, pictures and long text withheld,
        any noted plate in other text replaced."""
        if _IMAGE_KEY.search(key):
            return None if value is None else "[withheld: image]"
        if isinstance(value, dict):  # (a plate used as a field's name is masked, too)
            return {self.text(str(k)): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, bool) or value is None:
            return value
        plate = bool(_PLATE_KEY.search(key))
        if isinstance(value, str):
            if plate:
                return self.token(value) if value.strip() else value
            if len(value) > _LONG:
                return f"[withheld: {len(value)} characters]"
            return self.text(value)
        if plate and key.lower() in _PLATE_NUMBER_KEYS:
            return self.token(str(value))
        return value


def _same(a: Any, b: Any, *, kept_percent: bool = False) -> bool:
    """Whether two values of a read's field are the same (a stored number is single
    precision: 0.9 is stored as 0.8999999761…; a confidence is compared to the whole
    percent the store keeps, as the store's own check compares it)."""
    if isinstance(a, float | int) and isinstance(b, float | int):
        if kept_percent:
            a, b = percent(float(a)), percent(float(b))
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return bool(a == b)


def _csv_shown(raw: str, masker: Masker) -> str:
    rows = list(csv.reader(io.StringIO(raw)))
    if not rows:
        return ""
    header = rows[0]
    for row in rows[1:]:
        for name, cell in zip(header, row, strict=False):
            if _PLATE_KEY.search(name):
                masker.note(cell)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([masker.text(h) for h in header])
    for row in rows[1:]:
        shown = []
        for position, cell in enumerate(row):
            name = header[position] if position < len(header) else ""
            if _IMAGE_KEY.search(name):
                shown.append("[withheld: image]" if cell else "")
            elif _PLATE_KEY.search(name):
                shown.append(masker.token(cell) if cell.strip() else cell)
            elif len(cell) > _LONG:
                shown.append(f"[withheld: {len(cell)} characters]")
            else:
                shown.append(masker.text(cell))
        writer.writerow(shown)
    return out.getvalue()


def item_masker(item: QuarantineItem, secret: str) -> Masker:
    """The masker of ``item``, knowing every plate of its raw item and versions (so that a
    replay's messages about it are masked, too)."""
    masker = Masker(secret, item.id)
    version = item.stored_version or {}
    for side in ("posted", "stored"):
        if isinstance(version.get(side), dict):
            masker.collect(version[side])
    for match in _PLATE_PAIR.finditer(item.raw):  # a body too broken to parse, too
        masker.note(match.group(1))
    try:
        if item.content_type == "text/csv":
            _csv_shown(item.raw, masker)
        else:
            text, _ = _json_text(item)
            for match in _PLATE_PAIR.finditer(text):
                masker.note(match.group(1))
            masker.collect(json.loads(text))
    except Exception:  # what cannot be parsed is not shown (see `shown`)
        pass
    return masker


def shown(item: QuarantineItem, secret: str) -> dict[str, Any]:
    """What an admin is shown of ``item``: its source, reasons and times as kept, and its
    content masked (the module's docstring says how). Keys: ``raw`` (the item with plates
    as tokens, or ``None`` when it cannot be parsed to be masked), ``raw_withheld`` (what
    of it is not shown and why: all of it, or a webhook's frame), ``reasons``,
    ``read_id`` (a token), ``conflict`` (the fields that differ
    and the values that are not plates) and ``outcome``."""
    masker = item_masker(item, secret)
    version = item.stored_version or {}
    raw: str | None = None
    withheld: str | None = None
    try:
        if item.content_type == "text/csv":
            raw = _csv_shown(item.raw, masker)
        else:
            text, withheld = _json_text(item)
            raw = json.dumps(masker.value(json.loads(text)))
    except Exception:  # anything unparseable is withheld whole
        raw = None
        withheld = (
            f"the item ({len(item.raw)} characters) could not be parsed, so its plates cannot "
            "be masked: it is not shown, nor any quoted value of its reasons"
        )
    conflict: dict[str, Any] | None = None
    if item.stored_version is not None:
        found = version.get("posted")
        posted: dict[str, Any] = found if isinstance(found, dict) else {}
        stored = version.get("stored")
        differs: list[str] = []
        if isinstance(stored, dict):
            differs = sorted(
                k
                for k in set(posted) | set(stored)
                if k not in _READ_HIDDEN
                and k not in _BOOKKEEPING
                and not _same(posted.get(k), stored.get(k), kept_percent=k in PERCENT_COLUMNS)
            )

        def side(values: Any) -> Any:
            if not isinstance(values, dict):
                return masker.text(str(values))
            return masker.value({k: v for k, v in values.items() if k not in _READ_HIDDEN})

        conflict = {"differs": differs, "posted": side(posted), "stored": side(stored)}
    outcome = item.outcome
    if outcome is not None:
        outcome = {
            k: [masker.token(str(v), "rt_") for v in vs] if k == "accepted" else masker.value(vs)
            for k, vs in outcome.items()
        }
    return {
        "raw": raw,
        "raw_withheld": withheld,
        "reasons": [
            masker.text(r) if raw is not None else _QUOTED.sub("`…`", masker.text(r))
            for r in item.reasons
        ],
        "read_id": None if item.read_id is None else masker.token(item.read_id, "rt_"),
        "conflict": conflict,
        "outcome": outcome,
    }


def item_body(item: QuarantineItem) -> bytes:
    """The body a replay posts: the item as sent (a multipart webhook's bytes, frame
    included, decoded from the base64 it is kept in)."""
    if media_type(item.content_type) == MULTIPART:
        return base64.b64decode(item.raw)
    return item.raw.encode()


def _json_text(item: QuarantineItem) -> tuple[str, str | None]:
    """The item's JSON text to mask, and what of it is withheld besides (a webhook's
    frame)."""
    if media_type(item.content_type) != MULTIPART:
        return item.raw, None
    from plateledger.ingest.adapters.platerecognizer import json_part

    body = base64.b64decode(item.raw)
    return json_part(body, item.content_type).decode("utf-8"), (
        f"the webhook's frame ({len(body)} bytes with its JSON) is kept with the item for a "
        "replay, and not shown: it pictures the plate"
    )


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

    def start_replay(self, actor: Actor, agency: str, item: QuarantineItem) -> int:
        """Log that ``item`` is about to be replayed (a ``replay_start`` entry), before any
        of its reads is stored: a replay whose end cannot be logged (`resolve`) has left
        its reads in the store with this entry naming who let them in. `ChangeNotLogged`
        if it cannot be appended: then nothing may be stored."""
        with self.engine.begin() as conn:
            return log_change(self.audit_log, conn,
                              _item_change(actor, agency, item, "replay_start", item))

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
                entry = _item_change(actor, agency, item, "replay", done)
            else:
                entry = _item_change(actor, agency, item, "discard", done)
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
            self._log_alias(conn, actor, agency, alias, change="alias_add",
                            before=None, after=alias.values())
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
            self._log_alias(conn, actor, agency, alias, change="alias_remove",
                            before=alias.values(), after=None)
        self.on_change()
        return alias

    def _log_alias(
        self,
        conn: Connection,
        actor: Actor,
        agency: str,
        alias: CameraAlias,
        *,
        change: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """Log an alias change in the transaction ``conn`` that makes it."""
        log_change(
            self.audit_log,
            conn,
            change_entry(
                CAMERA_CHANGE,
                who(**actor),
                object="camera_alias",
                object_id=alias.id,
                change=change,
                agency=agency,
                before=before,
                after=after,
            ),
        )

    def list_aliases(self, agency_id: int) -> list[CameraAlias]:
        with self.engine.connect() as conn:
            return aliases_of(conn, agency_id)


def _item_change(
    actor: Actor, agency: str, item: QuarantineItem, change: str, after: QuarantineItem
) -> dict[str, Any]:
    """The ``quarantine_change`` entry of ``change`` made to ``item`` (now ``after``)."""
    return change_entry(
        QUARANTINE_CHANGE,
        who(**actor),
        object="quarantine_item",
        object_id=item.id,
        change=change,
        agency=agency,
        before=item.summary(),
        after=after.summary(),
    )
