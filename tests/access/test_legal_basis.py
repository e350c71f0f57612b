"""The legal-basis gate of pattern-of-life searches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plateledger.access.legal_basis import (
    LegalBasis,
    LegalBasisRequired,
    approval_required,
    require_legal_basis,
)


def test_a_locate_without_a_legal_basis_is_refused() -> None:
    with pytest.raises(LegalBasisRequired, match="warrant or court-order number"):
        require_legal_basis(None)


@pytest.mark.parametrize("body", [
    {"kind": "warrant", "number": "", "court": "Hennepin County District Court"},
    {"kind": "warrant", "number": "27-CR-25-1180", "court": "   "},
    {"kind": "subpoena", "number": "1", "court": "X"},
    {"kind": "warrant", "number": "1"},
])
def test_an_incomplete_legal_basis_is_refused(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        LegalBasis.model_validate(body)


def test_the_legal_basis_goes_into_the_audit_facts() -> None:
    basis = require_legal_basis(LegalBasis(kind="court_order", number=" 27-CV-26-0412 ",
                                           court="Hennepin County  District Court"))
    assert basis.audit_facts() == {
        "legal_basis_kind": "court_order", "legal_basis_number": "27-CV-26-0412",
        "legal_basis_court": "Hennepin County District Court"}


def test_minnesota_data_waits_for_a_supervisor_others_by_agency_setting() -> None:
    assert approval_required({"MN"})
    assert not approval_required({"CA"})
    assert approval_required({"CA"}, agency_requires=True)
