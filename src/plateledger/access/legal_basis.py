"""The legal basis a pattern-of-life search must carry, and when it waits for a supervisor.

A locate (pattern of life) search names a warrant or court order: its number and the
court that issued it. The basis goes into the search's audit entry. Where an owner's law
pack demands it (Minnesota's tracking rule, Minn. Stat. 13.824 subd. 2) or the owner's
agency has chosen to, the search waits for a supervisor's approval before it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

APPROVAL_PACKS = frozenset({"MN"})
"""Law packs whose tracking rule makes a pattern-of-life search wait for a supervisor."""


class LegalBasisRequired(ValueError):
    """A pattern-of-life search without a warrant or court-order number and court."""

    code = "legal_basis_required"


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["warrant", "court_order"]
    number: str = Field(min_length=1, max_length=64)
    court: str = Field(min_length=1, max_length=200)

    @field_validator("number", "court")
    @classmethod
    def _text(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be blank")
        return value

    def audit_facts(self) -> dict[str, str]:
        """What the audit entry records about the basis."""
        return {"legal_basis_kind": self.kind, "legal_basis_number": self.number,
                "legal_basis_court": self.court}


def require_legal_basis(basis: LegalBasis | None) -> LegalBasis:
    """The basis, or `LegalBasisRequired` (a 422 naming what is missing)."""
    if basis is None:
        raise LegalBasisRequired(
            "a pattern-of-life (locate) search needs `legal_basis`: a warrant or court-order "
            "number and the issuing court"
        )
    return basis


def approval_required(owner_packs: Iterable[str], *, agency_requires: bool = False) -> bool:
    """Whether a pattern-of-life search of this owner's data waits for a supervisor."""
    return agency_requires or bool(APPROVAL_PACKS.intersection(owner_packs))
