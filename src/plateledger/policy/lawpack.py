"""Law packs: the Cedar ``forbid`` policies of each state, and their retention presets.

A pack applies to data by its origin state (an owner's ``law_packs``), whatever agency
asks. Each policy in a pack file carries ``@id`` (the rule, citing the statute),
``@citation`` and ``@reason`` (the sentence shown to a denied requester). Packs are not
legal advice: check them against the official statute text before relying on them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from types import MappingProxyType

import cedarpy

from plateledger.policy.errors import PolicyCompileError, UnknownPack

CORE = "CORE"
"""The platform rules every dataset is under (``core.cedar``); not a state."""
ROLES = "ROLES"
"""What each role of a user may do (``roles.cedar``), for every dataset; not a state."""
PLATFORM_PACKS = frozenset({CORE, ROLES})
"""The packs in every owner's slice, whatever its state."""

_VERSION = re.compile(r"^//\s*version:\s*(\S+)\s*$", re.MULTILINE)


CJIS_AUDIT = "FBI CJIS Security Policy (audit records kept at least one year)"
"""Why every pack keeps audit entries at least a year: ALPR systems that query NCIC are
under the CJIS Security Policy."""


@dataclass(frozen=True)
class RetentionPreset:
    """How long a pack lets reads be kept (``None`` leaves the clock to the agency), and how
    long it requires audit entries to be kept (``audit``, a floor: at least a year)."""

    non_hit: timedelta | None
    hit: timedelta | None
    citation: str
    audit: timedelta = timedelta(days=365)
    audit_citation: str = CJIS_AUDIT

    def __post_init__(self) -> None:
        if self.audit < timedelta(days=365):
            raise PolicyCompileError("a pack keeps audit entries at least one year")


@dataclass(frozen=True)
class PolicyNote:
    """What a pack policy says about itself: its ``@citation`` and ``@reason``."""

    policy_id: str
    citation: str
    reason: str


@dataclass(frozen=True)
class LawPack:
    """One state's rules: Cedar text, version, citation, retention and lookback limits."""

    code: str
    title: str
    citation: str
    retention: RetentionPreset
    max_lookback_days: int | None = None
    """A cap on how far back a search of this pack's data may reach (a limit, not a deny)."""
    status: str = "law"
    """Where the pack's source stands: ``law``, a bill not yet confirmed as enacted, or an
    opt-in profile that is not law."""
    opt_in: bool = False
    """An agency carries the pack only by choosing it (never a home state's default)."""

    @property
    def text(self) -> str:
        return _pack_text(self.code)

    @property
    def version(self) -> str:
        found = _VERSION.search(self.text)
        if found is None:
            raise PolicyCompileError(f"law pack `{self.code}` has no version line")
        return found.group(1)

    @property
    def notes(self) -> tuple[PolicyNote, ...]:
        return _notes(self.code)

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(n.policy_id for n in self.notes)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


WA_STATUS = "passed both chambers; signature and chapter to be confirmed"
"""Washington SB 6002's status as far as the pack knows: cite its chapter once known."""


LAW_PACKS: MappingProxyType[str, LawPack] = MappingProxyType({
    p.code: p for p in (
        LawPack(
            "CA", "California", "Cal. Civ. Code 1798.90.5-.55 (SB 34); Gov. Code 7284.6 (SB 54)",
            RetentionPreset(None, None, "Cal. Civ. Code 1798.90.51 (agency's published policy)"),
        ),
        LawPack(
            "IL", "Illinois", "625 ILCS 5/2-130",
            RetentionPreset(None, None, "625 ILCS 5/2-130 (no period in statute)"),
        ),
        LawPack(
            "VA", "Virginia",
            "Va. Code 2.2-5517, as amended by HB 2724 (2025), in force 2025-07-01",
            RetentionPreset(_days(21), None, "Va. Code 2.2-5517 as amended by HB 2724 (21 days)"),
            max_lookback_days=21,
        ),
        LawPack(
            "NH", "New Hampshire", "N.H. RSA 261:75-b",
            RetentionPreset(timedelta(minutes=3), None,
                            "N.H. RSA 261:75-b VIII (non-hits purged within 3 minutes)"),
        ),
        LawPack(
            "WA", "Washington", "Wash. SB 6002 (2026)",
            RetentionPreset(_days(21), None, "Wash. SB 6002 (2026) (21 days unless evidence)",
                            audit=_days(5 * 365 + 1),
                            audit_citation="Wash. SB 6002 (2026) (access logs kept five years)"),
            status=WA_STATUS,
        ),
        LawPack(
            "OR", "Oregon", "Or. SB 1516 (2026); ORS 181A.820",
            RetentionPreset(_days(30), None,
                            "Or. SB 1516 (2026) (30 days for non-investigative data)"),
        ),
        LawPack(
            "CA-STRICT", "California strict profile (opt-in)",
            "Cal. SB 274 (2025), vetoed: an opt-in profile, not law",
            RetentionPreset(_days(60), None,
                            "Cal. SB 274 (2025), vetoed (60 days for non-hit reads, by choice)"),
            status="opt-in profile chosen by the agency; not law (SB 274 was vetoed)",
            opt_in=True,
        ),
        LawPack(
            "ME", "Maine", "29-A M.R.S. 2117-A",
            RetentionPreset(_days(21), None, "29-A M.R.S. 2117-A (21 days)"),
        ),
        LawPack(
            # 18 months, rounded down to whole days so the ceiling is never overshot.
            "VT", "Vermont", "23 V.S.A. 1607",
            RetentionPreset(_days(547), _days(547),
                            "23 V.S.A. 1607 (18 months; longer only under a preservation order)"),
        ),
        LawPack(
            "MN", "Minnesota", "Minn. Stat. 13.824",
            RetentionPreset(_days(60), None, "Minn. Stat. 13.824 subd. 3 (60 days)"),
        ),
        LawPack(
            CORE, "Platform rules", "the owner's published usage and privacy policy",
            RetentionPreset(None, None, "none"),
        ),
        LawPack(
            ROLES, "Roles", "the agency's usage and privacy policy (job titles)",
            RetentionPreset(None, None, "none"),
        ),
    )
})
"""Every pack by code; `CORE` and `ROLES` apply to all data, the others by the owner's
packs."""

STATE_PACKS = tuple(code for code in LAW_PACKS if code not in PLATFORM_PACKS)


def law_pack(code: str) -> LawPack:
    """The pack for ``code`` (a two-letter state code, or an opt-in profile such as
    ``CA-STRICT``); raises `UnknownPack` otherwise."""
    pack = LAW_PACKS.get(code.strip().upper())
    if pack is None or pack.code in PLATFORM_PACKS:
        raise UnknownPack(f"no law pack `{code[:8]}`: packs are {', '.join(STATE_PACKS)}")
    return pack


def default_packs(home_state: str) -> tuple[str, ...]:
    """The packs that govern an agency's data by default: its home state's, if one exists."""
    code = home_state.strip().upper()
    return (code,) if code in STATE_PACKS and not LAW_PACKS[code].opt_in else ()


def packs_version() -> str:
    """One version string for the whole set of packs (``CA=1.0.0;CORE=1.0.0;…``)."""
    return ";".join(f"{code}={LAW_PACKS[code].version}" for code in sorted(LAW_PACKS))


@cache
def _pack_text(code: str) -> str:
    name = f"{code.lower()}.cedar"
    return resources.files("plateledger.policy.packs").joinpath(name).read_text("utf-8")


@cache
def _notes(code: str) -> tuple[PolicyNote, ...]:
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(_pack_text(code)))
    except (ValueError, RuntimeError) as exc:
        raise PolicyCompileError(f"law pack `{code}` does not parse: {exc}") from exc
    notes = []
    for policy in parsed["staticPolicies"].values():
        annotations = policy.get("annotations", {})
        if policy["effect"] != "forbid" or "id" not in annotations:
            raise PolicyCompileError(f"law pack `{code}` holds a policy that is not an @id forbid")
        notes.append(PolicyNote(
            annotations["id"], annotations.get("citation", ""), annotations.get("reason", "")
        ))
    return tuple(sorted(notes, key=lambda n: n.policy_id))


_IMMIGRATION_USE = 'context.flags.contains("immigration")'


@cache
def similar_law_states() -> tuple[str, ...]:
    """The states whose law packs forbid immigration use of their data (a rule on the
    ``immigration`` flag): the "similar-law states" a sharing preset may admit."""
    return tuple(sorted(
        code for code in STATE_PACKS
        if not LAW_PACKS[code].opt_in and _IMMIGRATION_USE in LAW_PACKS[code].text
    ))
