"""The policy engine: Cedar law packs, sharing agreements, purposes and reason screening.

Build a `PolicyEngine` from plain facts (`AgencyFacts`, `Agreement`, `Declaration`), then
ask it `decide(AccessRequest)` once per request: the answer holds one `OwnerDecision` per
data owner, with the ``@id`` of every policy that decided it and the `Limits` that apply.
This package reads no database: the caller builds the facts from the catalog.
"""

from plateledger.policy.action import (
    ADMIN_ACTIONS,
    CASEWORK_ACTIONS,
    DATA_ACTIONS,
    SEARCH_ACTIONS,
    TRACKING_ACTIONS,
    Action,
    granted_actions,
    parse_action,
)
from plateledger.policy.alert import CATEGORY_PURPOSES, alert_purpose
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
from plateledger.policy.engine import PolicyEngine, SharingReport
from plateledger.policy.errors import (
    PolicyCompileError,
    PolicyError,
    UnknownAction,
    UnknownPack,
    UnknownPurpose,
)
from plateledger.policy.facts import AgencyFacts, AgencyKind, Agreement, Declaration
from plateledger.policy.lawpack import (
    LAW_PACKS,
    STATE_PACKS,
    LawPack,
    RetentionPreset,
    default_packs,
    law_pack,
    packs_version,
)
from plateledger.policy.preset import PresetKind, SharingPreset, preset_from_settings
from plateledger.policy.purpose import (
    CRIMINAL_PURPOSES,
    LAW_ENFORCEMENT_PURPOSES,
    SAFETY_PURPOSES,
    Purpose,
    parse_purpose,
)
from plateledger.policy.reason import ReasonFlag, screen_reason

__all__ = [
    "ADMIN_ACTIONS",
    "CASEWORK_ACTIONS",
    "CATEGORY_PURPOSES",
    "CRIMINAL_PURPOSES",
    "DATA_ACTIONS",
    "DEFAULT_DENY",
    "LAW_ENFORCEMENT_PURPOSES",
    "LAW_PACKS",
    "POLICY_ERROR",
    "SAFETY_PURPOSES",
    "SEARCH_ACTIONS",
    "STATE_PACKS",
    "TRACKING_ACTIONS",
    "UNKNOWN_OWNER",
    "AccessDecision",
    "AccessRequest",
    "Action",
    "ActionPreview",
    "AgencyFacts",
    "AgencyKind",
    "Agreement",
    "CedarCall",
    "Declaration",
    "Explanation",
    "LawPack",
    "Limits",
    "OwnerDecision",
    "PolicyCompileError",
    "PolicyEngine",
    "PolicyError",
    "PresetKind",
    "Purpose",
    "ReasonFlag",
    "RetentionPreset",
    "SharingPartner",
    "SharingPreset",
    "SharingReport",
    "UnknownAction",
    "UnknownPack",
    "UnknownPurpose",
    "alert_purpose",
    "default_packs",
    "granted_actions",
    "law_pack",
    "packs_version",
    "parse_action",
    "parse_purpose",
    "preset_from_settings",
    "screen_reason",
]
