"""`PolicyEngine`: the Cedar policy set of one catalog state, and decisions under it.

The enforced set is: the platform rules (``core.cedar``), every state law pack, one
own-agency permit per agency and the compiled agreements. Nothing is allowed by default
and forbid beats permit.

Each request is asked from two sides when a user acts for another agency: once with the
user as principal, and once with the ``requested_by`` agency itself as principal. Both
must be allowed, so a local officer searching for a federal unit gets no more than the
unit would. The law packs also look at ``context.requested_by`` on the user's side.

A user an administrator recorded as acting for another agency is asked as a user twice:
with the acting-for agency's requester class and with its own agency's. Acting-for only
ever narrows: a federal unit's admin who records its officer as acting for a California
city must not make the officer Californian to the packs and presets that admit by class.

Evaluation asks each owner with the slice of the set that can apply to its data: the core
pack, the owner's own law packs, and the compiled permits and forbids scoped to that
owner's dataset whose principal scope is one of the acting agencies (or everyone). Other
packs are guarded by their own code and other permits by another principal or dataset,
so the decision is the one the whole set gives; ``tests/policy/test_slices.py`` checks
that.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Any

import cedarpy

from plateledger.policy.action import DATA_ACTIONS, Action
from plateledger.policy.compiler import (
    CompiledAgreements,
    agreement_actions,
    compile_agreements,
    dataset_uid,
    entities,
    epoch,
    ref,
    user_entity,
)
from plateledger.policy.decision import (
    DEFAULT_DENY,
    POLICY_ERROR,
    UNKNOWN_OWNER,
    AccessDecision,
    AccessRequest,
    ActionPreview,
    CedarCall,
    Explanation,
    Limits,
    OwnerDecision,
    SharingPartner,
)
from plateledger.policy.errors import PolicyCompileError, PolicyError
from plateledger.policy.facts import AgencyFacts, Agreement, Declaration
from plateledger.policy.lawpack import LAW_PACKS, PLATFORM_PACKS, PolicyNote, packs_version
from plateledger.policy.preset import PresetKind, SharingPreset, describe
from plateledger.policy.purpose import Purpose
from plateledger.policy.reason import screen_reason

ENDED = re.compile(r"^agreement-(\d+)-(expired|revoked|not-started|action-not-granted)$")
"""Ids that name why no agreement permitted a request (instead of a bare default deny)."""
_ENDED_REASONS = {
    "expired": "agreement {} has expired",
    "revoked": "agreement {} was revoked",
    "not-started": "agreement {} has not started yet",
    "action-not-granted": "agreement {} does not grant this action",
}

OWNER_SET_CACHE = 20_000
"""Compiled per-owner policy sets kept (by text: owners with the same packs and no
agreement for a recipient share one)."""


@dataclass(frozen=True)
class _Side:
    """One side of a request: ``agency`` is the one whose permits the principal may use
    (a user's own agency), ``as_class`` the one whose requester class and declarations
    policy sees (the agency a user acts for, where one is recorded; its own agency on the
    ``user_as_own_agency`` side of such a user)."""

    name: str
    principal: dict[str, str]
    agency: AgencyFacts
    as_class: AgencyFacts


@dataclass(frozen=True)
class _Verdict:
    allowed: bool
    policy_ids: tuple[str, ...]
    errors: tuple[str, ...]


class PolicyEngine:
    """Decisions under the policy set compiled from ``agencies``, ``agreements`` and
    ``declarations``. Immutable: build a new engine when the catalog changes."""

    def __init__(
        self,
        agencies: Iterable[AgencyFacts],
        agreements: Iterable[Agreement],
        declarations: Iterable[Declaration] = (),
        presets: Iterable[SharingPreset] = (),
    ) -> None:
        self.agencies: dict[int, AgencyFacts] = {}
        for agency in agencies:
            if agency.id in self.agencies:
                raise PolicyCompileError(f"agency `{agency.id}` is listed twice")
            self.agencies[agency.id] = agency
        self.agreements = tuple(sorted(agreements, key=lambda a: a.id))
        self.declarations = tuple(sorted(
            declarations, key=lambda d: (d.agency_id, d.owner_state, d.signed_at)
        ))
        self.presets: dict[int, SharingPreset] = {}
        for preset in presets:
            if preset.owner_id in self.presets:
                raise PolicyCompileError(f"agency `{preset.owner_id}` has two sharing presets")
            self.presets[preset.owner_id] = preset
        self._compiled: CompiledAgreements = compile_agreements(
            self.agencies.values(), self.agreements, self.presets.values()
        )
        self._entity_json = entities(self.agencies.values(), self.agreements,
                                     self.presets.values())
        self._entities = cedarpy.Entities.from_json_str(json.dumps(self._entity_json))
        self.packs_text = "\n".join(LAW_PACKS[code].text for code in sorted(LAW_PACKS))
        try:
            # The packs and open agreements parsed once here, so that text that cannot parse
            # fails now rather than on a request; decisions use per-owner slices.
            cedarpy.PolicySet.from_str(self.packs_text + self._compiled.everyone)
        except ValueError as exc:
            raise PolicyCompileError(f"the policy set does not parse: {exc}") from exc
        self._owner_sets: OrderedDict[str, cedarpy.PolicySet] = OrderedDict()
        self._owner_lock = threading.Lock()
        self._notes: dict[str, PolicyNote] = {
            note.policy_id: note for pack in LAW_PACKS.values() for note in pack.notes
        }
        self._declared: dict[tuple[int, str], list[Declaration]] = {}
        for d in self.declarations:
            self._declared.setdefault((d.agency_id, d.owner_state), []).append(d)
        self._agreements_by_pair: dict[tuple[int, int | None], list[Agreement]] = {}
        for a in self.agreements:
            self._agreements_by_pair.setdefault((a.owner_id, a.recipient_id), []).append(a)
        self.policy_text = self.packs_text + "\n" + self._compiled.text()
        self.policy_hash = self._hash()

    def _hash(self) -> str:
        body = {
            "policies": self.policy_text,
            "entities": self._entity_json,
            "declarations": [
                [d.agency_id, d.owner_state, d.signed_at.isoformat(), d.document_digest]
                + ([d.revoked_at.isoformat()] if d.revoked_at is not None else [])
                for d in self.declarations
            ],
        }
        data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(data).hexdigest()

    def _owner_set(self, acting: tuple[int, ...], owner: int) -> cedarpy.PolicySet:
        """The policies that can decide a request of ``acting`` for ``owner``'s data: the
        core pack, the owner's own law packs, and the permits and forbids scoped to that
        owner's dataset for those recipients (or for everyone).

        Every state pack's rules are guarded by ``resource.packs.contains(<its code>)`` and
        every compiled policy by ``resource == Dataset::<owner>``, so the rest of the set
        cannot change the decision (`tests/policy/test_slices.py` holds the two equal).
        Cedar evaluates every policy of a set for every request; asking each owner with
        only its own policies made a 200-owner decision ~8x faster.
        """
        compiled = self._compiled
        packs = sorted({*PLATFORM_PACKS, *(c.upper() for c in self.agencies[owner].law_packs)})
        text = "\n".join(LAW_PACKS[code].text for code in packs) + "".join(
            compiled.by_pair.get((recipient, owner), "") for recipient in acting
        ) + compiled.everyone_by_owner.get(owner, "")
        with self._owner_lock:
            found = self._owner_sets.get(text)
            if found is not None:
                self._owner_sets.move_to_end(text)
                return found
        found = cedarpy.PolicySet.from_str(text)
        with self._owner_lock:
            self._owner_sets[text] = found
            while len(self._owner_sets) > OWNER_SET_CACHE:
                self._owner_sets.popitem(last=False)
        return found

    @property
    def entity_json(self) -> list[dict[str, Any]]:
        """The agencies and datasets policy sees, as Cedar JSON entities (a copy)."""
        copied: list[dict[str, Any]] = json.loads(json.dumps(self._entity_json))
        return copied

    def full_policy_set(self) -> cedarpy.PolicySet:
        """The whole enforced set as one Cedar policy set (slower; for checks and tools)."""
        return cedarpy.PolicySet.from_str(self.policy_text)

    def agency(self, agency_id: int) -> AgencyFacts:
        """The facts of ``agency_id``; raises `PolicyError` for an unknown agency."""
        found = self.agencies.get(agency_id)
        if found is None:
            raise PolicyError(f"no agency `{agency_id}` in the policy facts")
        return found

    @staticmethod
    def declaration_state(owner: AgencyFacts) -> str:
        """The state whose data a declaration must be for to reach ``owner``'s data: the
        Illinois pack asks for a declaration for Illinois data (625 ILCS 5/2-130), also
        where the owner carrying it is seated in another state (a task force); the owner's
        home state otherwise."""
        return "IL" if "IL" in (p.upper() for p in owner.law_packs) else owner.home_state

    def declared(self, agency: AgencyFacts, owner_state: str, now: datetime) -> bool:
        """Whether ``agency`` had signed a declaration for ``owner_state`` data by ``now``
        that was not revoked by then."""
        return any(
            d.signed_at <= now and (d.revoked_at is None or now < d.revoked_at)
            for d in self._declared.get((agency.id, owner_state), ())
        )

    def decide(self, request: AccessRequest) -> AccessDecision:
        """The decision for every owner of ``request`` (one Cedar batch call).

        Raises `PolicyError` when the user's or the requested-by agency is unknown; an
        unknown owner is denied (`UNKNOWN_OWNER`).
        """
        return self._evaluate(request, keep_calls=False)[0]

    def explain(self, request: AccessRequest) -> Explanation:
        """`decide`, plus every Cedar request and result behind each owner's decision."""
        decision, calls = self._evaluate(request, keep_calls=True)
        return Explanation(decision, calls, packs_version())

    def _on_behalf(self, request: AccessRequest) -> AgencyFacts:
        """Whom the request is for: the agency the user acts for, where one is recorded,
        whatever the request says; the requested-by agency otherwise."""
        return self._acting_for(request) or self.agency(request.requested_by_agency_id)

    def _acting_for(self, request: AccessRequest) -> AgencyFacts | None:
        """The agency an administrator recorded the user as acting for, if any."""
        if request.acting_for_agency_id is None:
            return None
        return self.agency(request.acting_for_agency_id)

    def _sides(self, request: AccessRequest) -> list[_Side]:
        user_agency = self.agency(request.user_agency_id)
        requested_by = self.agency(request.requested_by_agency_id)
        acting_for = self._acting_for(request)
        if request.user_id is None:
            first = _Side("agency", _uid("Agency", user_agency.id), user_agency, user_agency)
        else:
            first = _Side("user", _uid("User", request.user_id), user_agency,
                          acting_for or user_agency)
        sides = [first]
        if request.user_id is not None and acting_for is not None \
                and acting_for.id != user_agency.id:
            # Acting-for only narrows: the user must also be allowed as of its own
            # agency's class (asked only for such users, so no one else pays for it).
            sides.append(_Side("user_as_own_agency", _uid("User", request.user_id),
                               user_agency, user_agency))
        asked = {user_agency.id}
        for name, other in (("acting_for", acting_for), ("requested_by", requested_by)):
            if other is not None and other.id not in asked:
                asked.add(other.id)
                sides.append(_Side(name, _uid("Agency", other.id), other, other))
        return sides

    def _evaluate(
        self, request: AccessRequest, *, keep_calls: bool
    ) -> tuple[AccessDecision, dict[int, tuple[CedarCall, ...]]]:
        if request.now.tzinfo is None:
            raise PolicyError("the time of a request needs a time zone")
        flags = screen_reason(request.reason)
        sides = self._sides(request)
        on_behalf = self._on_behalf(request)
        # One entity store per requester class a user side is asked with (the user entity
        # carries its class as attributes); agency sides use the first one, so that they
        # share its Cedar calls as before.
        stores: dict[int, cedarpy.Entities] = {}
        acting_for = self._acting_for(request)
        for side in sides:
            if request.user_id is not None and side.principal["type"] == "User" \
                    and side.as_class.id not in stores:
                user = user_entity(request.user_id, side.agency, request.user_roles,
                                   acting_for, as_class=side.as_class)
                stores[side.as_class.id] = self._entities.with_added_json_str(
                    json.dumps([user]))
        first_store = stores.get(sides[0].as_class.id, self._entities)
        owners = list(dict.fromkeys(request.owners))
        base_context = {
            "now": epoch(request.now),
            "purpose": "" if request.purpose is None else request.purpose.value,
            "flags": sorted(f.value for f in flags),
            "requested_by": ref("Agency", on_behalf.id),
            "lookback_days": request.lookback_days,
            "has_case_number": request.has_case_number,
            "has_legal_basis": request.has_legal_basis,
            "hotlist_category": request.hotlist_category or "",
            "hotlist_file_type": request.hotlist_file_type or "",
        }
        action = _uid("Action", request.action.value)
        batch: list[dict[str, Any]] = []
        # Requests grouped by the policy set that decides them, one Cedar call per set:
        # each side is asked with its own agency's slice (a principal is only `in` its own
        # agency, so the other side's permits cannot match it), and owners whose slices are
        # the same text (same packs, no agreement with the acting agency) share one set.
        groups: dict[tuple[int, int], tuple[cedarpy.PolicySet, cedarpy.Entities, list[int]]] = {}
        known = [o for o in owners if o in self.agencies]
        for owner in known:
            state = self.declaration_state(self.agencies[owner])
            rb_declared = self.declared(on_behalf, state, request.now)
            for side in sides:
                context = dict(base_context)
                context["principal_declared"] = self.declared(side.as_class, state,
                                                              request.now)
                context["requested_by_declared"] = rb_declared
                policy_set = self._owner_set((side.agency.id,), owner)
                store = stores[side.as_class.id] if side.principal["type"] == "User" \
                    else first_store
                groups.setdefault((id(policy_set), id(store)),
                                  (policy_set, store, []))[2].append(len(batch))
                batch.append({
                    "principal": side.principal, "action": action,
                    "resource": _uid("Dataset", owner), "context": context,
                })
        results: list[Any] = [None] * len(batch)
        for policy_set, store, positions in groups.values():
            answers = cedarpy.is_authorized_batch([batch[i] for i in positions], policy_set,
                                                  store)
            for i, answer in zip(positions, answers, strict=True):
                results[i] = answer
        per_owner: dict[int, OwnerDecision] = {}
        calls: dict[int, tuple[CedarCall, ...]] = {}
        position = 0
        by_owner = {o: i for i, o in enumerate(known)}
        for owner in owners:
            if owner not in by_owner:
                per_owner[owner] = OwnerDecision(
                    owner, False, (UNKNOWN_OWNER,), Limits(images=False),
                    (f"no agency `{owner}` in the policy facts",),
                )
                continue
            position = by_owner[owner] * len(sides)
            chunk = results[position:position + len(sides)]
            verdicts = [_verdict(r) for r in chunk]
            per_owner[owner] = self._combine(owner, request, sides, verdicts)
            if keep_calls:
                calls[owner] = tuple(
                    CedarCall(
                        side.name, _text(side.principal), request.action.value,
                        dataset_uid(owner), batch[position + i]["context"],
                        v.allowed, v.policy_ids, v.errors,
                    )
                    for i, (side, v) in enumerate(zip(sides, verdicts, strict=True))
                )
        return AccessDecision(per_owner, self.policy_hash, flags), calls

    def _combine(
        self, owner: int, request: AccessRequest, sides: list[_Side], verdicts: list[_Verdict]
    ) -> OwnerDecision:
        if all(v.allowed for v in verdicts):
            limits: Limits | None = None
            ids: list[str] = []
            for verdict in verdicts:
                grants = [self._compiled.grants[pid].limits for pid in verdict.policy_ids
                          if pid in self._compiled.grants]
                # Two permits are two grants: the side may use the wider of them.
                side = reduce(Limits.widest, grants) if grants else None
                if side is None:
                    return OwnerDecision(owner, False, (POLICY_ERROR,), Limits(images=False),
                                         ("allowed by no known permit",))
                limits = side if limits is None else limits.narrowest(side)
                ids.extend(verdict.policy_ids)
            assert limits is not None  # at least one side is always asked
            limits, notes = self._pack_limits(owner, request, limits)
            unique = tuple(dict.fromkeys(ids))
            reasons = tuple(self._describe(pid) for pid in unique)
            return OwnerDecision(owner, True, unique, limits, reasons, notes)
        denied: list[str] = []
        errors: list[str] = []
        # Which of a pair's agreements ended or have not started is said of the user's
        # own agency and the one it acts for only: of an agency a request merely names
        # (`requested_by`), it would tell anyone the state of two other agencies' terms.
        vouched = {request.user_agency_id, request.acting_for_agency_id}
        for asked, verdict in zip(sides, verdicts, strict=True):
            if verdict.allowed:
                continue
            errors.extend(verdict.errors)
            denied.extend(verdict.policy_ids or (
                self._no_permit(owner, asked.agency.id, request.action, request.now)
                if asked.agency.id in vouched else (DEFAULT_DENY,)
            ))
        unique = tuple(dict.fromkeys(denied))
        reasons = tuple(self._describe(pid) for pid in unique) + tuple(errors)
        return OwnerDecision(owner, False, unique, Limits(images=False), reasons)

    def _no_permit(
        self, owner: int, recipient: int, action: Action, now: datetime
    ) -> tuple[str, ...]:
        """Why no permit applied to ``recipient``: the agreements of the pair that have
        ended, not started or do not grant ``action`` — `DEFAULT_DENY` when there are none,
        or when one is in force and grants the action (its terms did not hold)."""
        found = (self._agreements_by_pair.get((owner, recipient), [])
                 + self._agreements_by_pair.get((owner, None), []))
        covering = [a for a in found if action in agreement_actions(a)]
        if not found or any(a.in_force(now) for a in covering):
            return (DEFAULT_DENY,)
        ids: list[str] = []
        for a in covering:
            if now < a.starts:
                ids.append(f"agreement-{a.id}-not-started")
            elif a.revoked_at is not None and a.revoked_at <= now and (
                a.expires is None or a.revoked_at <= a.expires
            ):
                ids.append(f"agreement-{a.id}-revoked")
            else:
                ids.append(f"agreement-{a.id}-expired")
        if not ids:
            ids = [f"agreement-{a.id}-action-not-granted" for a in found if a.in_force(now)]
        return tuple(ids) or (DEFAULT_DENY,)

    def _pack_limits(
        self, owner: int, request: AccessRequest, limits: Limits
    ) -> tuple[Limits, tuple[str, ...]]:
        notes: list[str] = []
        for code in self.agencies[owner].law_packs:
            cap = LAW_PACKS[code.upper()].max_lookback_days
            if cap is not None and (limits.lookback_days is None or limits.lookback_days > cap):
                limits = Limits(cap, limits.result_cap, limits.images)
        if limits.lookback_days is not None and request.lookback_days > limits.lookback_days:
            notes.append(f"lookback limited to {limits.lookback_days} days")
        return limits, tuple(notes)

    def _describe(self, policy_id: str) -> str:
        note = self._notes.get(policy_id)
        if note is not None:
            return f"{policy_id}: {note.reason} ({note.citation})"
        grant = self._compiled.grants.get(policy_id)
        if grant is not None:
            return f"{policy_id}: allowed by {grant.description}"
        requirement = self._compiled.requirement_reasons.get(policy_id)
        if requirement is not None:
            return f"{policy_id}: {requirement}"
        if policy_id == DEFAULT_DENY:
            return f"{DEFAULT_DENY}: no own-agency permit or agreement covers this request"
        ended = ENDED.match(policy_id)
        if ended is not None:
            return f"{policy_id}: " + _ENDED_REASONS[ended.group(2)].format(ended.group(1))
        return policy_id

    def preview_agreement(self, agreement: Agreement, now: datetime) -> tuple[ActionPreview, ...]:
        """What the packs would make of ``agreement`` (not yet in this engine's facts), as
        a dry run: for each action it grants, the purposes of its list under which its
        recipient would be allowed, and the ids of the rules that deny the others — asked
        at ``now`` or at its start, whichever is later, with a case number and a specific
        reason. An action with no allowed purpose is one the agreement can never grant.

        Precondition: ``agreement`` names a recipient and an id no agreement here has.
        """
        if agreement.recipient_id is None:
            raise PolicyError("a preview needs an agreement with one recipient")
        engine = PolicyEngine(self.agencies.values(), [*self.agreements, agreement],
                              self.declarations, self.presets.values())
        at = max(now, agreement.starts)
        owner = engine.agency(agreement.owner_id)
        recipient = engine.agency(agreement.recipient_id)
        declared = engine.declared(recipient, engine.declaration_state(owner), at)
        purposes = sorted(agreement.purposes or Purpose)
        combos = [(a, p) for a in agreement_actions(agreement) for p in purposes]
        batch = [{
            "principal": _uid("Agency", recipient.id),
            "action": _uid("Action", action.value),
            "resource": _uid("Dataset", owner.id),
            "context": {
                "now": epoch(at), "purpose": purpose.value, "flags": [],
                "requested_by": ref("Agency", recipient.id), "lookback_days": 1,
                "has_case_number": True, "has_legal_basis": True,
                "hotlist_category": purpose.value if action is Action.RECEIVE_ALERT else "",
                "hotlist_file_type": "",
                "principal_declared": declared, "requested_by_declared": declared,
            },
        } for action, purpose in combos]
        results = cedarpy.is_authorized_batch(
            batch, engine._owner_set((recipient.id,), owner.id), engine._entities
        )
        previews: list[ActionPreview] = []
        verdicts = [(c, _verdict(r)) for c, r in zip(combos, results, strict=True)]
        for action in agreement_actions(agreement):
            mine = [(c[1], v) for c, v in verdicts if c[0] is action]
            allowed = tuple(p for p, v in mine if v.allowed)
            denied = sorted({pid for _, v in mine if not v.allowed
                             for pid in (v.policy_ids or (DEFAULT_DENY,))})
            previews.append(ActionPreview(
                action, allowed, tuple(denied),
                tuple(engine._describe(pid) for pid in denied),
            ))
        return tuple(previews)

    def sharing_partners(self, owner_id: int, now: datetime) -> list[SharingPartner]:
        """Every other agency that could reach ``owner_id``'s data at ``now``, for which
        actions and purposes, found by asking the engine each recipient x action x
        purpose (with a case number and a specific reason) — not by listing agreements."""
        owner = self.agency(owner_id)
        partners: list[SharingPartner] = []
        combos = [(a, p) for a in sorted(DATA_ACTIONS) for p in Purpose]
        for agency in sorted(self.agencies.values(), key=lambda a: a.id):
            if agency.id == owner_id:
                continue
            declared = self.declared(agency, self.declaration_state(owner), now)
            batch = [{
                "principal": _uid("Agency", agency.id),
                "action": _uid("Action", action.value),
                "resource": _uid("Dataset", owner_id),
                "context": {
                    "now": epoch(now), "purpose": purpose.value, "flags": [],
                    "requested_by": ref("Agency", agency.id), "lookback_days": 1,
                    "has_case_number": True, "has_legal_basis": True,
                    "hotlist_category": purpose.value if action is Action.RECEIVE_ALERT else "",
                "hotlist_file_type": "",
                    "principal_declared": declared, "requested_by_declared": declared,
                },
            } for action, purpose in combos]
            results = cedarpy.is_authorized_batch(batch, self._owner_set((agency.id,), owner_id),
                                                  self._entities)
            allowed = [(c, _verdict(r)) for c, r in zip(combos, results, strict=True)]
            allowed = [(c, v) for c, v in allowed if v.allowed]
            if not allowed:
                continue
            partners.append(SharingPartner(
                agency.id, agency.name,
                tuple(sorted({c[0] for c, _ in allowed})),
                tuple(sorted({c[1] for c, _ in allowed})),
                tuple(sorted({pid for _, v in allowed for pid in v.policy_ids})),
            ))
        return partners


    def sharing_report(self, owner_id: int, now: datetime) -> SharingReport:
        """``owner_id``'s sharing preset (``agreements`` where it chose none), the Cedar it
        compiles to, every partner the engine lets in at ``now`` (`sharing_partners`) and
        those of them its preset admits."""
        owner = self.agency(owner_id)
        preset = self.presets.get(owner_id, SharingPreset(owner_id, PresetKind.AGREEMENTS))
        partners = tuple(self.sharing_partners(owner_id, now))
        return SharingReport(
            owner_id=owner_id,
            preset=preset,
            description=describe(preset, owner),
            policy=self._compiled.everyone_by_owner.get(owner_id, "")
            if preset.kind is not PresetKind.AGREEMENTS else "",
            partners=partners,
            admitted_by_preset=tuple(p for p in partners if preset.policy_id in p.policy_ids),
        )


@dataclass(frozen=True)
class SharingReport:
    """What an owner shares and with whom, as the engine decides it: its preset, the
    Cedar the preset compiles to (with the owner's agreements open to everyone), the
    partners that can reach its data and those the preset admits."""

    owner_id: int
    preset: SharingPreset
    description: str
    policy: str
    partners: tuple[SharingPartner, ...]
    admitted_by_preset: tuple[SharingPartner, ...]


def _uid(type_: str, id_: int | str) -> dict[str, str]:
    return {"type": type_, "id": str(id_)}


def _text(uid: Mapping[str, str]) -> str:
    return f'{uid["type"]}::"{uid["id"]}"'


def _verdict(result: cedarpy.AuthzResult) -> _Verdict:
    diagnostics = result.diagnostics
    names = diagnostics.id_annotations_by_reason
    ids = tuple(sorted(names.get(r, r) for r in diagnostics.reasons))
    errors = tuple(str(e) for e in diagnostics.errors)
    if errors:
        # A policy that failed to evaluate may be a forbid that should have applied.
        forbids = ids if not result.allowed else ()
        return _Verdict(False, (*forbids, POLICY_ERROR), errors)
    return _Verdict(bool(result.allowed), ids, ())
