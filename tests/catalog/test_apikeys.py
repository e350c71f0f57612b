"""API keys: shown once, stored as a hash, verified fast, revoked at once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from plateledger.catalog import Agency, Catalog, CatalogError, KeyPrincipal, NotFound, open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings


@pytest.fixture
def agency(catalog: Catalog) -> Agency:
    return catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")


def test_a_key_authenticates_as_its_agency_and_camera(catalog: Catalog, agency: Agency) -> None:
    catalog.add_camera("ucpd-fx-012", agency.id, "fixed", lat=37.6, lon=-122.0)
    raw = catalog.issue_api_key(agency.id, "ucpd-fx-012", label="pole 12")
    assert raw.startswith("plk_")
    principal = catalog.authenticate_api_key(raw)
    prefix = raw.split("_")[1]
    assert principal == KeyPrincipal(agency.id, "ucpd-fx-012", prefix)
    assert catalog.authenticate_api_key(raw) == principal  # from the cache


def test_the_raw_key_is_never_stored(catalog: Catalog, agency: Agency) -> None:
    raw = catalog.issue_api_key(agency.id, label="agent")
    secret = raw.split("_", 2)[2]
    with catalog.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_keys")).all()
    dumped = " ".join(str(value) for row in rows for value in row)
    assert secret not in dumped
    assert raw not in dumped
    assert raw.split("_")[1] in dumped  # the public prefix is kept


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),
        lambda raw: raw.replace("plk_", "plt_"),
        lambda raw: "plk_000000000000_" + raw.split("_", 2)[2],
        lambda raw: "",
        lambda raw: raw.split("_", 2)[0] + "_" + raw.split("_", 2)[1],
    ],
)
def test_a_wrong_or_malformed_key_is_refused(
    catalog: Catalog, agency: Agency, tamper: object
) -> None:
    raw = catalog.issue_api_key(agency.id)
    assert callable(tamper)
    assert catalog.authenticate_api_key(tamper(raw)) is None


def test_a_revoked_key_is_refused_at_once_even_when_cached(
    catalog: Catalog, agency: Agency
) -> None:
    raw = catalog.issue_api_key(agency.id)
    assert catalog.authenticate_api_key(raw) is not None
    catalog.revoke_api_key(raw.split("_")[1])
    assert catalog.authenticate_api_key(raw) is None
    with pytest.raises(CatalogError, match="already revoked"):
        catalog.revoke_api_key(raw.split("_")[1])


def test_a_key_revoked_by_another_process_is_refused_after_the_generation_check(
    catalog: Catalog, agency: Agency, settings: Settings
) -> None:
    catalog.generation_check_seconds = 0.0
    raw = catalog.issue_api_key(agency.id)
    assert catalog.authenticate_api_key(raw) is not None
    other = open_catalog(settings, password_hasher=FAST)
    try:
        other.revoke_api_key(raw.split("_")[1])
    finally:
        other.close()
    assert catalog.authenticate_api_key(raw) is None


def test_an_agency_cannot_revoke_another_agencys_key(catalog: Catalog, agency: Agency) -> None:
    other = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    raw = catalog.issue_api_key(agency.id)
    with pytest.raises(NotFound):
        catalog.revoke_api_key(raw.split("_")[1], agency_id=other.id)
    assert catalog.authenticate_api_key(raw) is not None


def test_a_key_for_a_camera_of_another_agency_is_refused(
    catalog: Catalog, agency: Agency
) -> None:
    other = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.add_camera("fpd-mb-1", other.id, "mobile")
    with pytest.raises(NotFound, match="`fpd-mb-1`"):
        catalog.issue_api_key(agency.id, "fpd-mb-1")


def test_keys_are_listed_per_agency_with_their_revocation(
    catalog: Catalog, agency: Agency
) -> None:
    other = catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    first = catalog.issue_api_key(agency.id, label="one")
    catalog.issue_api_key(agency.id, label="two")
    catalog.issue_api_key(other.id, label="three")
    catalog.revoke_api_key(first.split("_")[1])
    keys = catalog.api_keys(agency.id)
    assert [(k.label, k.revoked_at is not None) for k in keys] == [("one", True), ("two", False)]
