"""Compile agencies, agreements and sharing presets into Cedar: permits, requirement
forbids and entities.

Every agency gets one own-agency permit; every agreement one permit (whatever its dates:
the validity window is part of the condition, so one compiled set answers for any
``now``). An agreement that requires a purpose from its list or a case number also gets a
``forbid`` with its own ``@id``, so a denial names the agreement term that was missing; it
is lifted (``unless``) where another agreement of the same owner and recipient grants the
request, because forbid beats permit in Cedar. Agreements open to every recipient carry
their terms in the permit only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plateledger.policy.action import ACTION_GROUPS, SEARCH_ACTIONS, Action
from plateledger.policy.decision import Limits
from plateledger.policy.errors import PolicyCompileError
from plateledger.policy.facts import AgencyFacts, Agreement
from plateledger.policy.lawpack import law_pack
from plateledger.policy.preset import (
    PresetKind,
    SharingPreset,
    describe,
    preset_agencies,
    preset_states,
)
from plateledger.policy.purpose import LAW_ENFORCEMENT_PURPOSES


@dataclass(frozen=True)
class Grant:
    """What a permit grants, so a decision can report its limits and say why."""

    policy_id: str
    owner_id: int
    recipient_id: int | None
    limits: Limits
    description: str


@dataclass(frozen=True)
class CompiledAgreements:
    """The compiled policies by (recipient, owner) — what can decide a request of that
    recipient for that owner's data — and by owner for agreements open to everyone, and
    what each permit grants / each requirement forbid means."""

    grants: Mapping[str, Grant]
    requirement_reasons: Mapping[str, str]
    by_pair: Mapping[tuple[int, int], str]
    everyone_by_owner: Mapping[int, str]

    @property
    def everyone(self) -> str:
        """The policies that apply to every recipient."""
        return "".join(self.everyone_by_owner[o] for o in sorted(self.everyone_by_owner))

    def text(self) -> str:
        """All compiled policies, in a stable order."""
        parts = [self.everyone] + [self.by_pair[k] for k in sorted(self.by_pair)]
        return "\n".join(p for p in parts if p)


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970 (the unit of ``context.now``)."""
    return int(moment.timestamp())


def agency_uid(agency_id: int) -> str:
    return f'Agency::"{agency_id}"'


def dataset_uid(owner_id: int) -> str:
    return f'Dataset::"{owner_id}"'


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in sorted(values)) + "]"


def agreement_actions(agreement: Agreement) -> list[Action]:
    """The actions ``agreement`` grants: ``view_image`` too where it shares images and
    grants every search (`granted_actions`' rule, docs/policies.md) — a partner may open
    the images of the reads it may search, and an alert-only or export-only agreement
    that ticks "images" opens none (its partner learns read ids from alerts)."""
    granted = set(agreement.actions)
    if agreement.images and granted >= SEARCH_ACTIONS:
        granted.add(Action.VIEW_IMAGE)
    return sorted(granted)


_actions = agreement_actions


def _action_list(actions: Iterable[Action]) -> str:
    return "[" + ", ".join(f'Action::"{a.value}"' for a in actions) + "]"


def _window(agreement: Agreement) -> str:
    window = f"context.now >= {epoch(agreement.starts)}"
    end = agreement.ends()
    if end is not None:
        window += f" && context.now < {epoch(end)}"
    return window


def _purposes(agreement: Agreement) -> str | None:
    if agreement.purposes is None:
        return None
    return f"{_strings(agreement.purposes)}.contains(context.purpose)"


def _terms(agreement: Agreement) -> list[str]:
    terms = [_window(agreement)]
    purposes = _purposes(agreement)
    if purposes is not None:
        terms.append(purposes)
    if agreement.case_number_required:
        terms.append("context.has_case_number")
    return terms


def _grants_condition(agreement: Agreement) -> str:
    terms = [f"action in {_action_list(_actions(agreement))}", *_terms(agreement)]
    return "(" + " && ".join(terms) + ")"


def _principal(agreement: Agreement) -> str:
    if agreement.recipient_id is None:
        return "principal"
    return f"principal in {agency_uid(agreement.recipient_id)}"


def _permit(agreement: Agreement) -> str:
    return (
        f'@id("agreement-{agreement.id}")\n'
        f"permit ({_principal(agreement)}, action in {_action_list(_actions(agreement))}, "
        f"resource == {dataset_uid(agreement.owner_id)})\n"
        f"when {{ {' && '.join(_terms(agreement))} }};\n"
    )


def _requirement(agreement: Agreement, suffix: str, broken: str,
                 siblings: list[Agreement]) -> str:
    text = (
        f'@id("agreement-{agreement.id}-{suffix}")\n'
        f"forbid ({_principal(agreement)}, action in {_action_list(_actions(agreement))}, "
        f"resource == {dataset_uid(agreement.owner_id)})\n"
        f"when {{ {_window(agreement)} && {broken} }}"
    )
    if siblings:
        text += " unless { " + " || ".join(_grants_condition(s) for s in siblings) + " }"
    return text + ";\n"


def _describe(agreement: Agreement, names: dict[int, str]) -> str:
    """The agreement in words, naming its agencies as presets do: ``Name (agency id)``."""
    to = ("every agency" if agreement.recipient_id is None
          else _named(agreement.recipient_id, names))
    return f"agreement {agreement.id}: {_named(agreement.owner_id, names)} shares with {to}"


def _named(agency_id: int, names: dict[int, str]) -> str:
    name = names.get(agency_id)
    return f"{name} (agency {agency_id})" if name else f"agency {agency_id}"


def own_permit(agency_id: int) -> str:
    """An agency's users may do anything with its own data that no forbid stops."""
    return (
        f'@id("own-agency-{agency_id}")\n'
        f"permit (principal in {agency_uid(agency_id)}, action, "
        f"resource == {dataset_uid(agency_id)});\n"
    )


def _preset_policy(preset: SharingPreset, owner: AgencyFacts,
                   agencies: Iterable[AgencyFacts]) -> str:
    """The Cedar of a preset: a forbid for ``none``, nothing for ``agreements``, a permit
    for the rest (for law enforcement only, never for a federal requester, on either
    side)."""
    dataset = dataset_uid(owner.id)
    if preset.kind is PresetKind.NONE:
        return (
            f'@id("{preset.policy_id}")\n'
            f'forbid (principal, action in Action::"data", resource == {dataset})\n'
            f"when {{ !(principal in {agency_uid(owner.id)}) || "
            f"context.requested_by != {agency_uid(owner.id)} }};\n"
        )
    if preset.kind is PresetKind.AGREEMENTS:
        return ""
    states = preset_states(preset, owner)
    if states is not None:
        listed = _strings(states)
        admitted = (f"{listed}.contains(principal.state) && "
                    f"{listed}.contains(context.requested_by.state)")
    else:
        near = preset_agencies(preset, owner, agencies)
        members = "[" + ", ".join(agency_uid(a) for a in near) + "]"
        # Cedar forbids an empty set literal: a radius with no agency in it admits no one
        admitted = (f"principal in {members} && {members}.contains(context.requested_by)"
                    if near else "false")
    return (
        f'@id("{preset.policy_id}")\n'
        f"permit (principal, action in {_action_list(sorted(preset.actions))}, "
        f"resource == {dataset})\n"
        f"when {{ {admitted} && principal.law_enforcement && "
        f"context.requested_by.law_enforcement && principal.kind != \"federal\" && "
        f"context.requested_by.kind != \"federal\" }};\n"
    )


def compile_agreements(
    agencies: Iterable[AgencyFacts], agreements: Iterable[Agreement],
    presets: Iterable[SharingPreset] = (),
) -> CompiledAgreements:
    """Compile the own-agency permits, every agreement and every sharing preset.

    Preconditions: agreement ids are unique; owners and recipients are among ``agencies``;
    one preset per owner, of a known agency. Raises `PolicyCompileError` otherwise.
    """
    agencies = list(agencies)
    known = {a.id for a in agencies}
    names = {a.id: a.name for a in agencies}
    pairs: dict[tuple[int, int], list[str]] = {(a, a): [own_permit(a)] for a in known}
    everyone_by_owner: dict[int, list[str]] = defaultdict(list)
    grants: dict[str, Grant] = {
        f"own-agency-{a}": Grant(f"own-agency-{a}", a, a, Limits(),
                                 f"{_named(a, names)}'s own data")
        for a in known
    }
    reasons: dict[str, str] = {}
    chosen = sorted(agreements, key=lambda a: a.id)
    by_pair: dict[tuple[int, int | None], list[Agreement]] = defaultdict(list)
    for agreement in chosen:
        pid = f"agreement-{agreement.id}"
        if pid in grants:
            raise PolicyCompileError(f"agreement id `{agreement.id}` is used twice")
        for agency_id in (agreement.owner_id, agreement.recipient_id):
            if agency_id is not None and agency_id not in known:
                raise PolicyCompileError(
                    f"agreement `{agreement.id}` names unknown agency `{agency_id}`"
                )
        by_pair[agreement.owner_id, agreement.recipient_id].append(agreement)
        grants[pid] = Grant(
            pid, agreement.owner_id, agreement.recipient_id,
            Limits(agreement.max_lookback_days, agreement.result_cap, agreement.images),
            _describe(agreement, names),
        )
    for agreement in chosen:
        owner, recipient = agreement.owner_id, agreement.recipient_id
        out = (everyone_by_owner[owner] if recipient is None
               else pairs.setdefault((recipient, owner), []))
        out.append(_permit(agreement))
        if recipient is None:
            continue
        siblings = [
            s for s in by_pair[agreement.owner_id, agreement.recipient_id]
            + by_pair[agreement.owner_id, None] if s.id != agreement.id
        ]
        purposes = _purposes(agreement)
        if purposes is not None:
            out.append(_requirement(agreement, "purposes", f"!{purposes}", siblings))
            reasons[f"agreement-{agreement.id}-purposes"] = (
                f"agreement {agreement.id} does not cover this purpose"
            )
        if agreement.case_number_required:
            out.append(_requirement(
                agreement, "case-number-required", "!context.has_case_number", siblings
            ))
            reasons[f"agreement-{agreement.id}-case-number-required"] = (
                f"agreement {agreement.id} requires a case number"
            )
    by_id = {a.id: a for a in agencies}
    seen: set[int] = set()
    for preset in sorted(presets, key=lambda p: p.owner_id):
        preset_owner = by_id.get(preset.owner_id)
        if preset_owner is None or preset.owner_id in seen:
            raise PolicyCompileError(
                f"the preset of agency `{preset.owner_id}` is unknown or given twice"
            )
        seen.add(preset.owner_id)
        text = _preset_policy(preset, preset_owner, agencies)
        if not text:
            continue
        everyone_by_owner[preset.owner_id].append(text)
        if preset.kind is PresetKind.NONE:
            reasons[preset.policy_id] = describe(preset, preset_owner)
        else:
            grants[preset.policy_id] = Grant(preset.policy_id, preset_owner.id, None, Limits(),
                                             describe(preset, preset_owner))
    return CompiledAgreements(
        grants=grants,
        requirement_reasons=reasons,
        by_pair={k: "".join(t) for k, t in pairs.items()},
        everyone_by_owner={o: "".join(t) for o, t in everyone_by_owner.items()},
    )


def _entity(type_: str, id_: int | str, attrs: Mapping[str, Any],
            parents: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
    return {
        "uid": {"type": type_, "id": str(id_)},
        "attrs": dict(attrs),
        "parents": [{"type": t, "id": i} for t, i in parents],
    }


def ref(type_: str, id_: int | str) -> dict[str, Any]:
    """A Cedar entity reference in JSON form."""
    return {"__entity": {"type": type_, "id": str(id_)}}


def requester_attrs(agency: AgencyFacts) -> dict[str, Any]:
    """The requester class of ``agency``, as principals and ``requested_by`` carry it."""
    return {
        "kind": agency.kind.value,
        "state": agency.home_state,
        "law_enforcement": agency.is_law_enforcement,
        "prosecutor": agency.is_prosecutor,
        "defence": agency.is_defence,
    }


def user_entity(
    user_id: int, agency: AgencyFacts, roles: Iterable[str] = (),
    acting_for: AgencyFacts | None = None, *, as_class: AgencyFacts | None = None,
) -> dict[str, Any]:
    """A user: a member of its agency (whose permits it may use), with its ``roles`` and
    the requester class of ``as_class`` — by default the agency it acts for, ``acting_for``
    where an administrator recorded one (a federal task-force officer with a local login
    is federal), its own agency's otherwise. The engine also asks an acting-for user with
    ``as_class`` its own agency, since acting-for may only narrow what a user gets."""
    judged_as = as_class or acting_for or agency
    attrs = {
        "agency": ref("Agency", agency.id),
        "acting_for": ref("Agency", (acting_for or agency).id),
        "roles": sorted(set(roles)),
        **requester_attrs(judged_as),
    }
    return _entity("User", user_id, attrs, [("Agency", str(agency.id))])


def bounded(agreement: Agreement) -> bool:
    """Whether ``agreement`` is narrow and ends: it lists its purposes, every one a
    law-enforcement purpose, and has an expiry (what Oregon SB 1516 asks of an agreement
    with an entity outside Oregon)."""
    return (agreement.recipient_id is not None and agreement.expires is not None
            and agreement.purposes is not None
            and agreement.purposes <= LAW_ENFORCEMENT_PURPOSES)


def partner_sets(
    agreements: Iterable[Agreement], presets: Iterable[SharingPreset] = (),
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per owner: the agencies with a one-to-one agreement (``partners``, whatever its
    dates: the permit decides those), and the agencies whose every unrevoked agreement with
    the owner is `bounded`, at least one being so (``bounded_partners``). An unrevoked
    agreement open to every agency (never bounded), or a sharing preset that may admit
    agencies of other states, empties the owner's bounded set."""
    partners: dict[int, set[int]] = defaultdict(set)
    narrow: dict[int, set[int]] = defaultdict(set)
    wide: dict[int, set[int | None]] = defaultdict(set)
    for agreement in agreements:
        owner, recipient = agreement.owner_id, agreement.recipient_id
        if recipient is not None:
            partners[owner].add(recipient)
        if bounded(agreement):
            assert recipient is not None
            narrow[owner].add(recipient)
        elif agreement.revoked_at is None:
            wide[owner].add(recipient)
    for preset in presets:
        if preset.admits_beyond_home_state:
            wide[preset.owner_id].add(None)
    bounded_partners = {
        owner: set() if None in wide[owner] else recipients - wide[owner]
        for owner, recipients in narrow.items()
    }
    return dict(partners), {o: {int(r) for r in rs} for o, rs in bounded_partners.items()}


def entities(
    agencies: Iterable[AgencyFacts], agreements: Iterable[Agreement] = (),
    presets: Iterable[SharingPreset] = (),
) -> list[dict[str, Any]]:
    """Action groups, agencies and their datasets as Cedar JSON entities; each dataset
    names its owner's ``partners`` and ``bounded_partners`` (`partner_sets`).

    Raises `UnknownPack` for a law pack code with no pack.
    """
    partners, bounded_partners = partner_sets(agreements, presets)
    found: list[dict[str, Any]] = [_entity("Action", group, {}) for group in ACTION_GROUPS]
    for action in Action:
        groups = [("Action", g) for g, members in ACTION_GROUPS.items() if action in members]
        found.append(_entity("Action", action.value, {}, groups))
    for agency in sorted(agencies, key=lambda a: a.id):
        packs = sorted({law_pack(code).code for code in agency.law_packs})
        found.append(_entity("Agency", agency.id, requester_attrs(agency)))
        found.append(_entity("Dataset", agency.id, {
            "owner": ref("Agency", agency.id),
            "state": agency.home_state,
            "packs": packs,
            "case_number_required": agency.case_number_required,
            "restricts_purposes": agency.purposes is not None,
            "purposes": sorted(p.value for p in agency.purposes or ()),
            "partners": [ref("Agency", a) for a in sorted(partners.get(agency.id, ()))],
            "bounded_partners": [
                ref("Agency", a) for a in sorted(bounded_partners.get(agency.id, ()))
            ],
        }))
    return found


SCHEMA_HEAD = """
type Requester = {
  kind: String, state: String, law_enforcement: Bool, prosecutor: Bool, defence: Bool
};
entity Agency = {
  kind: String, state: String, law_enforcement: Bool, prosecutor: Bool, defence: Bool
};
entity User in [Agency] = {
  agency: Agency, acting_for: Agency, roles: Set<String>,
  kind: String, state: String, law_enforcement: Bool, prosecutor: Bool, defence: Bool
};
entity Dataset = {
  owner: Agency, state: String, packs: Set<String>, case_number_required: Bool,
  restricts_purposes: Bool, purposes: Set<String>, partners: Set<Agency>,
  bounded_partners: Set<Agency>
};
type Request = {
  now: Long, purpose: String, flags: Set<String>, requested_by: Agency,
  lookback_days: Long, has_case_number: Bool, has_legal_basis: Bool, hotlist_category: String,
  hotlist_file_type: String,
  principal_declared: Bool, requested_by_declared: Bool
};
"""


def schema() -> str:
    """The Cedar schema every pack and compiled policy must validate against."""
    lines = [SCHEMA_HEAD]
    lines += [f'action "{group}";' for group in ACTION_GROUPS]
    for action in Action:
        groups = ", ".join(f'"{g}"' for g, m in ACTION_GROUPS.items() if action in m)
        lines.append(
            f'action "{action.value}" in [{groups}] appliesTo '
            "{ principal: [User, Agency], resource: Dataset, context: Request };"
        )
    return "\n".join(lines) + "\n"
