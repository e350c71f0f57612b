"""Sharing agreements and written declarations."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plateledger.catalog import Agency, Catalog, CatalogError, NotFound

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DIGEST = hashlib.sha256(b"signed declaration").hexdigest()


@pytest.fixture
def pair(catalog: Catalog) -> tuple[Agency, Agency]:
    return (
        catalog.add_agency("Union City PD", "ucpd", "municipal", "CA"),
        catalog.add_agency("Fremont PD", "fpd", "municipal", "CA"),
    )


def test_an_agreement_keeps_its_terms(catalog: Catalog, pair: tuple[Agency, Agency]) -> None:
    owner, recipient = pair
    agreement = catalog.add_agreement(
        owner.id, recipient.id, actions=["search", "alert"], purposes=["stolen_vehicle"],
        created_by="alice", max_lookback_days=30, result_cap=500, images_allowed=True,
        starts_at=NOW, expires_at=NOW + timedelta(days=365),
    )
    stored = catalog.agreement(agreement.id)
    assert stored is not None
    assert stored.actions == ["alert", "search"]
    assert (stored.max_lookback_days, stored.result_cap) == (30, 500)
    assert stored.case_number_required and stored.images_allowed
    assert stored.starts_at == NOW
    assert stored.created_by == "alice"


def test_an_agreement_is_in_force_between_start_and_expiry_until_revoked(
    catalog: Catalog, pair: tuple[Agency, Agency]
) -> None:
    owner, recipient = pair
    agreement = catalog.add_agreement(
        owner.id, recipient.id, actions=["search"], purposes=["amber_alert"],
        created_by="alice", starts_at=NOW, expires_at=NOW + timedelta(days=10),
    )
    assert not agreement.in_force(NOW - timedelta(seconds=1))
    assert agreement.in_force(NOW + timedelta(days=1))
    assert not agreement.in_force(NOW + timedelta(days=10))
    assert [a.id for a in catalog.agreements(in_force_at=NOW + timedelta(days=1))] == [agreement.id]
    before = catalog.generation()
    catalog.revoke_agreement(agreement.id)
    assert catalog.generation() == before + 1
    assert catalog.agreements(in_force_at=datetime.now(UTC) + timedelta(seconds=1)) == []
    assert len(catalog.agreements(owner_id=owner.id)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actions": ["delete"]}, "unknown action `delete`"),
        ({"actions": []}, "at least one action"),
        ({"purposes": []}, "at least one action and one purpose"),
        ({"max_lookback_days": 0}, "`max_lookback_days` must be 1 to 36,500"),
        ({"max_lookback_days": 1_000_000}, "`max_lookback_days` must be 1 to 36,500"),
        ({"result_cap": 10**20}, "`result_cap` must be 1 to 1,000,000"),
        ({"starts_at": datetime(1, 1, 2, tzinfo=UTC)}, "`starts_at` must fall between"),
        ({"expires_at": NOW}, "expire after it starts"),
    ],
)
def test_an_agreement_with_bad_terms_is_refused(
    catalog: Catalog, pair: tuple[Agency, Agency], changes: dict[str, Any], message: str
) -> None:
    owner, recipient = pair
    terms: dict[str, Any] = {
        "actions": ["search"], "purposes": ["stolen_vehicle"], "created_by": "alice",
        "starts_at": NOW,
    }
    with pytest.raises(CatalogError, match=message):
        catalog.add_agreement(owner.id, recipient.id, **{**terms, **changes})


def test_an_agency_needs_no_agreement_with_itself(
    catalog: Catalog, pair: tuple[Agency, Agency]
) -> None:
    with pytest.raises(CatalogError, match="itself"):
        catalog.add_agreement(
            pair[0].id, pair[0].id, actions=["search"], purposes=["x"], created_by="alice"
        )


def test_only_the_owner_revokes_its_agreement(
    catalog: Catalog, pair: tuple[Agency, Agency]
) -> None:
    owner, recipient = pair
    agreement = catalog.add_agreement(
        owner.id, recipient.id, actions=["search"], purposes=["x"], created_by="alice"
    )
    with pytest.raises(NotFound):
        catalog.revoke_agreement(agreement.id, owner_id=recipient.id)
    catalog.revoke_agreement(agreement.id, owner_id=owner.id)
    with pytest.raises(CatalogError, match="already revoked"):
        catalog.revoke_agreement(agreement.id)


def test_a_declaration_records_signer_time_and_digest(catalog: Catalog) -> None:
    reno = catalog.add_agency("Reno PD", "rpd", "municipal", "NV")
    signed = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    before = catalog.generation()
    catalog.add_declaration(reno.id, "IL", signer="Chief J. Doe", signed_at=signed,
                            document_digest=DIGEST)
    assert catalog.generation() == before + 1
    [stored] = catalog.declarations(agency_id=reno.id, owner_state="IL")
    assert (stored.signer, stored.signed_at, stored.document_digest) == (
        "Chief J. Doe", signed, DIGEST
    )
    assert catalog.declarations(owner_state="CA") == []


@pytest.mark.parametrize(
    ("state", "signer", "digest", "message"),
    [
        ("Illinois", "Chief", DIGEST, "owner state `Illinois`"),
        ("IL", " ", DIGEST, "signer"),
        ("IL", "Chief", "abc", "64 lower-case hex"),
    ],
)
def test_a_declaration_missing_a_part_is_refused(
    catalog: Catalog, state: str, signer: str, digest: str, message: str
) -> None:
    reno = catalog.add_agency("Reno PD", "rpd", "municipal", "NV")
    with pytest.raises(CatalogError, match=message):
        catalog.add_declaration(reno.id, state, signer=signer, signed_at=NOW,
                                document_digest=digest)


def test_an_agreement_may_grant_single_search_kinds(
    catalog: Catalog, pair: tuple[Agency, Agency]
) -> None:
    owner, recipient = pair
    agreement = catalog.add_agreement(
        owner.id, recipient.id, actions=["search_exact"], purposes=["stolen_vehicle"],
        created_by="alice",
    )
    assert agreement.actions == ["search_exact"]
    with pytest.raises(CatalogError, match="unknown action `manage_users`"):
        catalog.add_agreement(owner.id, recipient.id, actions=["manage_users"],
                              purposes=["stolen_vehicle"], created_by="alice")


def test_a_declaration_is_revoked_once_and_only_by_its_agency(
    catalog: Catalog, pair: tuple[Agency, Agency]
) -> None:
    owner, other = pair
    declaration = catalog.add_declaration(
        owner.id, "IL", signer="Chief Ada", signed_at=NOW, document_digest=DIGEST
    )
    generation = catalog.generation()
    with pytest.raises(NotFound):
        catalog.revoke_declaration(declaration.id, agency_id=other.id)
    revoked = catalog.revoke_declaration(declaration.id, agency_id=owner.id, at=NOW)
    assert revoked.revoked_at == NOW
    assert catalog.generation() > generation
    with pytest.raises(CatalogError, match="already revoked"):
        catalog.revoke_declaration(declaration.id)
