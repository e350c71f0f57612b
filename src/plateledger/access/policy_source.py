"""The policy engine compiled from the catalog, and the deciders built on it.

The engine is rebuilt when the catalog's generation changes (an agency, agreement or
declaration was added or changed); the generation is looked at no more than once a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from plateledger.access.errors import AccessDenied, DecisionUnavailable
from plateledger.access.gate import AccessQuestion, Decision, OwnerOutcome
from plateledger.catalog import Agency as CatalogAgency
from plateledger.catalog import AgreementRow as CatalogAgreement
from plateledger.catalog import Catalog, Principal
from plateledger.catalog.sharing import MAX_LOOKBACK_DAYS
from plateledger.hotlist.gate import EngineAlertGate
from plateledger.policy import (
    DATA_ACTIONS,
    LAW_PACKS,
    SEARCH_ACTIONS,
    STATE_PACKS,
    AccessDecision,
    AccessRequest,
    Action,
    ActionPreview,
    AgencyFacts,
    AgencyKind,
    Agreement,
    Declaration,
    OwnerDecision,
    PolicyEngine,
    UnknownPurpose,
    granted_actions,
    parse_action,
    parse_purpose,
)
from plateledger.policy.lawpack import ROLES
from plateledger.policy.preset import PresetKind, SharingPreset, preset_from_settings
from plateledger.search import OwnerLimit

log = logging.getLogger("plateledger.access")


def agency_facts(agency: CatalogAgency) -> AgencyFacts:
    purposes = None
    if agency.purposes:
        purposes = tuple(parse_purpose(p) for p in agency.purposes)
    return AgencyFacts(
        id=agency.id,
        name=agency.name,
        kind=AgencyKind(agency.kind),
        home_state=agency.home_state,
        # A state without a pack (Nevada, say) adds no rules: only known packs are listed.
        law_packs=tuple(p for p in agency.law_packs if p.upper() in STATE_PACKS),
        case_number_required=agency.case_number_required,
        purposes=purposes,
        is_law_enforcement=agency.is_law_enforcement,
        lat=agency.lat,
        lon=agency.lon,
    )


def agency_preset(agency: CatalogAgency) -> SharingPreset | None:
    """The sharing preset of ``agency``'s settings; ``None`` for ``agreements`` (which
    compiles to nothing). Raises `PolicyCompileError` for settings that do not compile
    (the catalog refuses to store such settings)."""
    if agency.sharing_preset == PresetKind.AGREEMENTS.value:
        return None
    return preset_from_settings(agency.id, agency.sharing_preset, agency.sharing_states,
                                agency.sharing_radius_km)


def agreement_facts(row: CatalogAgreement) -> Agreement:
    return Agreement(
        id=row.id,
        owner_id=row.owner_id,
        recipient_id=row.recipient_id,
        actions=granted_actions(row.actions, images=row.images_allowed),
        purposes=frozenset(parse_purpose(p) for p in row.purposes) if row.purposes else None,
        max_lookback_days=row.max_lookback_days,
        case_number_required=row.case_number_required,
        result_cap=row.result_cap,
        images=row.images_allowed,
        starts=row.starts_at,
        expires=row.expires_at,
        revoked_at=row.revoked_at,
    )


def preview_agreement(
    engine: PolicyEngine, owner_id: int, recipient_id: int, *, actions: Iterable[str],
    purposes: Iterable[str], max_lookback_days: int | None, case_number_required: bool,
    result_cap: int | None, images_allowed: bool, starts_at: datetime | None,
    expires_at: datetime | None, now: datetime,
) -> tuple[ActionPreview, ...]:
    """A dry run of a proposed agreement under ``engine`` (the catalog as it is): for each
    action it would grant, whether the packs would let the recipient have it and which
    rules would deny it. Raises `UnknownPurpose`, `UnknownAction` or `PolicyCompileError`
    for terms policy cannot compile."""
    starts = starts_at or now
    proposed = Agreement(
        id=max((a.id for a in engine.agreements), default=0) + 1,
        owner_id=owner_id, recipient_id=recipient_id,
        actions=granted_actions(actions, images=images_allowed),
        purposes=frozenset(parse_purpose(p) for p in purposes) or None,
        max_lookback_days=max_lookback_days, case_number_required=case_number_required,
        result_cap=result_cap, images=images_allowed, starts=starts, expires=expires_at,
    )
    return engine.preview_agreement(proposed, now)


def compile_engine(catalog: Catalog) -> PolicyEngine:
    declarations = [
        Declaration(d.agency_id, d.owner_state, d.signer, d.signed_at, d.document_digest,
                    d.revoked_at)
        for d in catalog.declarations()
    ]
    agencies = catalog.agencies()
    return PolicyEngine(
        [agency_facts(a) for a in agencies],
        [agreement_facts(a) for a in catalog.agreements()],
        declarations,
        presets=[p for p in map(agency_preset, agencies) if p is not None],
    )


class PolicySource:
    """The current engine; recompiled when the catalog changes.

    The catalog's generation is checked at most every ``check_every`` seconds, so a change
    made by another process (``plateledger admin``) is in force within that time; a change
    made through this server calls `invalidate` and is in force for the next request.
    """

    def __init__(self, catalog: Catalog, *, check_every: float = 1.0) -> None:
        self.catalog = catalog
        self.check_every = check_every
        self._lock = threading.Lock()
        self._generation = -1
        self._checked = float("-inf")
        self._engine: PolicyEngine | None = None

    def invalidate(self) -> None:
        """Check the catalog's generation on the next call (after a change made here)."""
        with self._lock:
            self._checked = float("-inf")

    def engine(self) -> PolicyEngine:
        now = time.monotonic()
        if self._engine is not None and now - self._checked < self.check_every:
            return self._engine
        with self._lock:
            self._checked = now
            generation = self.catalog.generation()
            if self._engine is None or generation != self._generation:
                self._engine = compile_engine(self.catalog)
                self._generation = generation
            return self._engine


def decide_own(source: PolicySource, user: Principal, action: Action) -> OwnerDecision:
    """What the enforced policy set says about ``user`` doing ``action`` on their own
    agency (administration, the audit log, alarms, explanations): the role pack decides.
    Raises `DecisionUnavailable` when no decision can be made (fail closed)."""
    try:
        decision = source.engine().decide(AccessRequest(
            user_id=user.user_id, user_agency_id=user.agency_id,
            requested_by_agency_id=user.agency_id, action=action, purpose=None,
            case_number=None, reason="", lookback_days=0, owners=[user.agency_id],
            now=datetime.now(UTC), user_roles=user.roles,
            acting_for_agency_id=user.acting_for_id,
        ))
        verdict: OwnerDecision = decision.per_owner[user.agency_id]
    except Exception as exc:
        log.exception("policy decision failed")
        raise DecisionUnavailable("no policy decision could be made") from exc
    return verdict


def may_act(source: PolicySource, user: Principal, action: Action) -> OwnerDecision:
    """Whether ``user`` may ``action`` at all — the question a route asks before it starts.

    For administration it is the whole decision on their own agency. For an action on
    data (receiving alerts, say) whose data it reaches is decided per access — each
    search per owner, each hit per read owner — so here only the role pack's rules count:
    a federal unit's investigator may receive alerts even though its own dataset lies in
    California, whose pack would refuse it that dataset. Raises `DecisionUnavailable` when
    no decision can be made."""
    verdict = decide_own(source, user, action)
    if verdict.allowed or action not in DATA_ACTIONS:
        return verdict
    if set(verdict.policy_ids) & set(LAW_PACKS[ROLES].policy_ids):
        return verdict
    return replace(verdict, allowed=True, policy_ids=(), reasons=(
        "the role may; whose data is decided for each access",))


class PolicyDecider:
    """Searches decided by the Cedar policy set, per owner."""

    def __init__(self, source: PolicySource) -> None:
        self.source = source

    def decide(self, question: AccessQuestion) -> Decision:
        try:
            purpose = parse_purpose(question.purpose)
        except UnknownPurpose as exc:
            raise AccessDenied("unknown_purpose", str(exc)) from None
        engine = self.source.engine()
        action = parse_action(question.action)
        request = AccessRequest(
            user_id=question.user.user_id,
            user_agency_id=question.user.agency_id,
            requested_by_agency_id=question.requested_by_id,
            action=action,
            purpose=purpose,
            case_number=question.case_number,
            reason=question.reason,
            lookback_days=question.lookback_days,
            owners=list(question.owners),
            now=question.now,
            hotlist_category=question.hotlist_category,
            user_roles=question.user.roles,
            acting_for_agency_id=question.user.acting_for_id,
            has_legal_basis=question.has_legal_basis,
        )
        decision = engine.decide(request)
        openable = self._images_openable(engine, request, decision)
        outcomes = {}
        for owner_id, verdict in decision.per_owner.items():
            limit = None
            if verdict.allowed:
                lookback = verdict.limits.lookback_days
                limit = OwnerLimit(
                    # clamped: a lookback stored before its bound is not a failure
                    since=None if lookback is None
                    else question.now - timedelta(days=min(lookback, MAX_LOOKBACK_DAYS)),
                    result_cap=verdict.limits.result_cap,
                    images=verdict.limits.images and owner_id in openable,
                )
            outcomes[owner_id] = OwnerOutcome(
                owner_id, verdict.allowed, verdict.policy_ids, limit, verdict.reasons,
                verdict.notes,
            )
        return Decision(
            outcomes=outcomes,
            policy_hash=decision.policy_hash,
            reason_flags=tuple(sorted(f.value for f in decision.reason_flags)),
        )

    @staticmethod
    def _images_openable(
        engine: PolicyEngine, request: AccessRequest, decision: AccessDecision,
    ) -> frozenset[int]:
        """The owners whose image references ``request``'s results may show: those whose
        grant shares images *and* who would let the same requester, for the same purpose
        and case, `view_image`. A reference is shown only where it opens: a sharing
        preset's grant or the owner's own (which carry images) do not make a dispatcher,
        whose role opens no image, or a preset partner, which no agreement lets open
        one, see which reads have pictures."""
        wanted = [o for o, v in decision.per_owner.items() if v.allowed and v.limits.images]
        if request.action == Action.VIEW_IMAGE:
            return frozenset(wanted)  # the question was asked
        if not wanted or request.action not in IMAGE_SHOWING:
            return frozenset()
        views = engine.decide(replace(request, action=Action.VIEW_IMAGE, owners=wanted))
        return frozenset(o for o, v in views.per_owner.items() if v.allowed)


IMAGE_SHOWING = SEARCH_ACTIONS | {Action.EXPORT}
"""Actions whose results carry the reads' image references."""


class PolicyAlertGate(EngineAlertGate):
    """Hot-list alerts: a hit on one owner's read reaches a list owner only if policy lets
    that owner `receive_alert` for the listed entry (its case number, its screened class;
    see `plateledger.hotlist.gate`), under the current engine. Errors deny."""

    def __init__(self, source: PolicySource) -> None:
        super().__init__(source.engine)
        self.source = source
