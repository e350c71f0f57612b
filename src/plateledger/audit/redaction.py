"""Who sees what of an audit entry: the full entry, the denied owner's view, the public
summary (DESIGN.md rule 7; the table in docs/audit.md, held to this module by a test).

- **full**: the agency whose user acted (``agency``, or ``agency_id`` for administrative
  entries); for an alert delivered (or an image view logged without per-owner counts),
  the owner whose read it released; for other entries also the agency the entry is about
  (``owner_agency``, ``partner_agency``).
- **owner**: for an access of another agency that counts its reads per owner (a search,
  an export, an image view), an owner whose reads were actually *returned* to it
  (``returned_by_owner[owner] > 0``): the whole entry but what
  describes the other owners' data — their counts, the cameras in scope, the total
  returned, the digest of every read, their rule ids (`owner_view`). An owner the decision
  allowed but none of whose reads came back gets no more than the public: otherwise any
  agency could promote itself to "owner" of every search of a recipient by sharing its
  (empty) data with it.
- **denied**: an owner that *denied* the access sees who tried (user and agency), on whose
  behalf, when, for what purpose, the entry type and the rule ids that denied *this*
  owner — never the query, plate, case number, reason, flags or result digest.
- **public**: what anyone sees: who searched (agencies), which owners released data and
  which denied, the purpose and the result count.

The denied and public views are built from an allow-list, never by deleting sensitive
fields: a field a future entry type adds stays private until someone decides otherwise.
The owner view is the full entry less `OTHER_OWNERS_FIELDS` (narrowed to the reader's own
part): a field a future access adds that describes every owner's data must be added there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ACCESS_TYPES = frozenset({"search", "export", "image_view", "alert_delivery", "alert_withheld"})
"""Entries that record data leaving (or being kept from) its owner."""

_AGENCY_KEYS = ("agency", "requested_by_agency", "partner_agency", "list_owner")
_AGENCY_LIST_KEYS = ("agencies", "partners")

DENIED_FIELDS = (
    "type",
    "v",
    "time",
    "log_index",
    "user",
    "agency",
    "requested_by_agency",
    "purpose",
    "requesting_node",
    "requesting_key_id",
    "requesting_audit_index",
)
"""The fields of an access an owner that denied it sees (with ``denied``: its own rule
ids, and, for a partner node's search, ``search_id``: the search's UUID, which joins it
to the requesting node's entry); everything else stays private."""


OTHER_OWNERS_FIELDS = (
    "returned_by_owner",
    "owners_allowed_policy_ids",
    "owners_denied",
    "devices_searched",
    "returned",
    "result_digest",
)
"""The fields of an access that describe every owner's data or decision; the owner view
narrows each to the reader's own part or leaves it out (`owner_view`)."""


DEFAULT_DENY = "default-deny"
"""The policy id of a denial by default (`plateledger.policy.DEFAULT_DENY`, which the
audit layer does not import: a test holds the two equal)."""


class View(StrEnum):
    """How much of an entry a reader is served."""

    FULL = "full"
    OWNER = "owner"
    DENIED = "denied"
    RECEIPT = "receipt"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Partnership:
    """An agreement of the reader's agency as an owner: ``recipient`` (a slug) could be
    granted its data from ``since`` (the later of the agreement's creation and start)
    until ``until`` (its revocation or expiry, the earlier; None: neither)."""

    recipient: str
    since: datetime
    until: datetime | None = None

    def covers(self, slug: object, at: datetime) -> bool:
        return slug == self.recipient and self.since <= at and (
            self.until is None or at < self.until)


@dataclass(frozen=True, slots=True)
class Reader:
    """The agency of someone reading the log (an auditor's or supervisor's)."""

    slug: str
    agency_id: int
    partners: tuple[Partnership, ...] = ()
    """The agreements by which this agency shares its data: of the accesses it denied by
    default — no rule of its own — only those of an agency it shared with at the time
    are served to it as `View.DENIED` (see `view_of`)."""


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def is_access(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` records an access to an owner's data."""
    return (
        entry.get("type") in ACCESS_TYPES or "owners_allowed" in entry or "owners_denied" in entry
    )


def released(entry: Mapping[str, Any]) -> list[str]:
    """The owners whose data this access released, sorted."""
    found = set(_str_list(entry.get("owners_allowed")))
    kind = entry.get("type")
    owner = entry.get("owner_agency")
    if kind == "image_view" and entry.get("allowed") is True and isinstance(owner, str):
        found.add(owner)
    if kind == "alert_delivery" and isinstance(owner, str):
        found.add(owner)
    return sorted(found)


def _counted(entry: Mapping[str, Any]) -> bool:
    """Whether ``entry`` counts the reads it returned per owner (every access the gate
    decides does: searches, exports, image views)."""
    return isinstance(entry.get("returned_by_owner"), Mapping)


def returned_to(entry: Mapping[str, Any]) -> list[str]:
    """The owners whose reads this access actually returned, sorted: those with a
    positive count in ``returned_by_owner`` where the entry counts them; otherwise, for
    an entry about one owner's read (an allowed image view, an alert delivered), that
    owner; otherwise none (nothing shows that any read came back)."""
    counts = entry.get("returned_by_owner")
    if isinstance(counts, Mapping):
        return sorted(
            str(owner) for owner, n in counts.items()
            if isinstance(n, int) and not isinstance(n, bool) and n > 0
        )
    kind, owner = entry.get("type"), entry.get("owner_agency")
    one = (kind == "image_view" and entry.get("allowed") is True) or kind == "alert_delivery"
    return [owner] if one and isinstance(owner, str) else []


def denied(entry: Mapping[str, Any]) -> dict[str, list[str]]:
    """The owners that denied this access, each with the rule ids that denied it."""
    found: dict[str, list[str]] = {}
    items = entry.get("owners_denied")
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("agency"), str):
            found[item["agency"]] = _str_list(item.get("policy_ids"))
        elif isinstance(item, str):
            found[item] = []
    kind = entry.get("type")
    owner = entry.get("owner_agency")
    if kind == "image_view" and entry.get("allowed") is not True and isinstance(owner, str):
        found[owner] = _str_list(entry.get("policy_ids"))
    withheld_from = entry.get("read_owner")
    if kind == "alert_withheld" and isinstance(withheld_from, str):
        found[withheld_from] = _str_list(entry.get("policy_ids"))
    return dict(sorted(found.items()))


def _actor(entry: Mapping[str, Any], reader: Reader) -> bool:
    agency_id = entry.get("agency_id")
    if isinstance(agency_id, int) and not isinstance(agency_id, bool):
        return agency_id == reader.agency_id
    return entry.get("agency") == reader.slug


def view_of(entry: Mapping[str, Any], reader: Reader) -> View:
    """Which view of ``entry`` an auditor or supervisor of ``reader`` is served."""
    if _actor(entry, reader):
        return View.FULL
    if entry.get("type") == "alert_withheld" and entry.get("read_owner") == reader.slug:
        return View.FULL  # the owner whose law withheld it: whose list, which rules
    if is_access(entry):
        if reader.slug in returned_to(entry):
            # an entry that counts per owner may describe other owners' reads too; one
            # that does not is about this owner's read alone (an alert delivered)
            return View.OWNER if _counted(entry) else View.FULL
        rules = denied(entry).get(reader.slug)
        if rules is not None and (_ruled(rules) or _partner(entry, reader)):
            return View.DENIED
        return View.PUBLIC
    if entry.get("type") == "retention_run" and _in_receipt(entry, reader.agency_id):
        return View.RECEIPT
    subjects = {entry.get("owner_agency"), entry.get("partner_agency")}
    if entry.get("type") == "legal_hold":  # the agency whose case the hold serves
        subjects.add(entry.get("case_agency"))
    if reader.slug in subjects or str(reader.agency_id) in subjects:
        return View.FULL
    return View.PUBLIC


_RECEIPT_FIELDS = ("type", "v", "time", "log_index", "run_id", "cutoff", "started_at",
                   "finished_at", "policy_set_hash")
"""The fields of a deletion receipt (``retention_run``) every agency in it is served
whole: when the run ran, its cutoff and the hash of every owner's clocks."""


def _holds_of(entry: Mapping[str, Any], agency_id: int) -> list[Mapping[str, Any]]:
    holds = entry.get("holds_honoured")
    return [h for h in holds if isinstance(h, Mapping) and agency_id in
            (h.get("owner_agency"), h.get("case_agency"))] if isinstance(holds, list) else []


def _in_receipt(entry: Mapping[str, Any], agency_id: int) -> bool:
    """Whether a purge's receipt names ``agency_id``: reads of its were deleted, or a
    hold of its case (or on its reads) was honoured."""
    return str(agency_id) in _str_list(entry.get("agencies")) or bool(
        _holds_of(entry, agency_id))


def receipt_view(entry: Mapping[str, Any], agency_id: int) -> dict[str, Any]:
    """What an agency named in a deletion receipt is served of it: the run, and of what
    it deleted and kept its own part only — its rows per day (``counts``) and their sum
    (``rows_deleted``), the holds of its reads or its cases, its own clocks. The other
    owners' counts and holds (their case numbers) and the run's totals are left out."""
    view = {key: entry[key] for key in _RECEIPT_FIELDS if key in entry}
    counts = entry.get("counts")
    mine = [c for c in counts if isinstance(c, Mapping) and c.get("owner_id") == agency_id
            ] if isinstance(counts, list) else []
    view["counts"] = mine
    view["rows_deleted"] = sum(c["rows"] for c in mine if isinstance(c.get("rows"), int))
    view["holds_honoured"] = _holds_of(entry, agency_id)
    policies = entry.get("policies")
    if isinstance(policies, Mapping) and str(agency_id) in policies:
        view["policies"] = {str(agency_id): policies[str(agency_id)]}
    view["agency_id"] = agency_id
    return view


def _ruled(policy_ids: list[str]) -> bool:
    """Whether a denial names a rule of the owner's (a law pack's forbid, an agreement
    that ended or does not grant the action), not only the default."""
    return any(pid != DEFAULT_DENY for pid in policy_ids)


def _partner(entry: Mapping[str, Any], reader: Reader) -> bool:
    """Whether the agency that acted (or asked for the access) is one the reader shared
    its data with when the access was logged (an agreement made later, even revoked at
    once, counts for nothing). Every search asks every owner, so an agency that denied
    only by default — it did not share its data with the searcher — would otherwise
    learn who searched, when and why across the whole system (a federal unit reading a
    California city's officers' searches, even where the city shares with it): it is
    served the public summary."""
    at = timestamp(entry.get("time"))
    if at is None:
        return False
    return any(p.covers(entry.get(key), at) for p in reader.partners
               for key in ("agency", "requested_by_agency"))


def timestamp(value: Any) -> datetime | None:
    """An entry's RFC 3339 time (``time``, a query's ``since`` …) as an aware datetime, or
    None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def denied_view(entry: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """What ``owner``, which denied the access ``entry``, sees of it."""
    view = {key: entry[key] for key in DENIED_FIELDS if key in entry}
    query = entry.get("query")
    if (
        "requesting_node" in entry
        and isinstance(query, Mapping)
        and isinstance(query.get("search_id"), str)
    ):
        view["search_id"] = query["search_id"]
    view["denied"] = {"agency": owner, "policy_ids": denied(entry).get(owner, [])}
    return view


def owner_view(entry: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """What ``owner``, whose reads the access ``entry`` returned, sees of it: who, for
    whom, why and what was asked, and of the result its own part only — its count and
    the rule ids that released it; the owners that denied it by name only (as the public
    summary names them); the other owners' counts and rule ids, the cameras in scope, the
    total returned and the digest over every owner's reads are left out."""
    view = {key: value for key, value in entry.items() if key not in OTHER_OWNERS_FIELDS}
    for key in ("returned_by_owner", "owners_allowed_policy_ids"):
        value = entry.get(key)
        if isinstance(value, Mapping) and owner in value:
            view[key] = {owner: value[owner]}
    if "owners_denied" in entry:  # who denied is public; by which rules is theirs
        view["owners_denied"] = sorted(denied(entry))
    return view


def served(entry: Mapping[str, Any], reader: Reader) -> tuple[View, dict[str, Any]]:
    """The view of ``entry`` for ``reader`` and its content (the public summary for
    `View.PUBLIC`)."""
    view = view_of(entry, reader)
    if view is View.FULL:
        return view, dict(entry)
    if view is View.OWNER:
        return view, owner_view(entry, reader.slug)
    if view is View.DENIED:
        return view, denied_view(entry, reader.slug)
    if view is View.RECEIPT:
        return view, receipt_view(entry, reader.agency_id)
    return view, redact(entry)


def _agencies(entry: Mapping[str, Any]) -> list[str]:
    """The agencies that took part: who acted, for whom, and (outside accesses) the
    agencies the entry is about. Owners that denied an access are not among them."""
    found: set[str] = set()
    # a withheld hit's list owner is not told, nor anyone else (redact)
    withheld = entry.get("type") == "alert_withheld"
    for key in _AGENCY_KEYS:
        value = entry.get(key)
        if withheld and key == "list_owner":
            continue
        if isinstance(value, str):
            found.add(value)
    for key in _AGENCY_LIST_KEYS:
        found.update(_str_list(entry.get(key)))
    if is_access(entry):
        found.update(released(entry))
    elif isinstance(entry.get("owner_agency"), str):
        found.add(entry["owner_agency"])
    return sorted(found)


def redact(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Return the public summary of ``entry``.

    Keeps the type, version, time, log index, the agencies that took part (``agencies``:
    requesting, on whose behalf, partners), and for an access the owners that released
    data (``released``) and those that denied it (``denied``); the purpose, the result
    count, whether a search entry is a later page of a search (``later_page``, never which
    search), an alarm's kind, a withheld hot-list hit's read owner and list class (never
    its list's owner: published together at the end of their period, withheld hits
    tell the public how many the law kept from each class of list, and tell no list's
    owner that its plate was seen), and the owner and the
    count per rule id of reads dropped in collection zones (``zone_drop``). Plates, user
    names, query elements, case numbers, reasons and anything else are left out.
    """
    summary: dict[str, Any] = {
        "type": entry.get("type"),
        "v": entry.get("v"),
        "time": entry.get("time"),
        "agencies": _agencies(entry),
    }
    if "log_index" in entry:
        summary["log_index"] = entry["log_index"]
    if is_access(entry):
        summary["released"] = released(entry)
        summary["denied"] = sorted(denied(entry))
    if isinstance(entry.get("purpose"), str):
        summary["purpose"] = entry["purpose"]
    count = entry.get("result_count")
    if isinstance(count, int) and not isinstance(count, bool):
        summary["result_count"] = count
    if entry.get("page_of"):
        summary["later_page"] = True
    if entry.get("type") == "alarm" and isinstance(entry.get("kind"), str):
        summary["alarm"] = entry["kind"]
    if entry.get("type") == "alert_withheld":
        for key in ("read_owner", "list_class"):
            if isinstance(entry.get(key), str):
                summary[key] = entry[key]
    if entry.get("type") == "zone_drop" and isinstance(entry.get("owner_agency"), str):
        summary["owner_agency"] = entry["owner_agency"]
        counts = entry.get("counts")
        if isinstance(counts, Mapping):
            summary["counts"] = {
                str(rule): n
                for rule, n in counts.items()
                if isinstance(n, int) and not isinstance(n, bool) and n >= 0
            }
    return summary
