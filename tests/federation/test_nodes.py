"""Partner nodes in the catalog, on SQLite and on PostgreSQL: registered and revoked each
with its audit entry in the same transaction (no entry, no change), refused when they name
an agency the catalog does not hold or a key already registered; nonces refused within the
window; the node key made once and kept; the ``plateledger node`` commands."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plateledger.audit import AuditLog
from plateledger.audit.changes import ChangeNotLogged
from plateledger.catalog import Catalog, CatalogError, Conflict, NotFound, open_catalog
from plateledger.catalog.database import catalog_engine
from plateledger.catalog.nodes import remember_nonce
from plateledger.catalog.passwords import FAST
from plateledger.catalog.schema import upgrade
from plateledger.cli.main import app
from plateledger.federation import NodeKey, NodeRegistry
from plateledger.federation.registry import operator
from plateledger.settings import Settings
from tests.catalog.conftest import (  # noqa: F401  (fixtures used by name)
    _empty_postgres,
    catalog_url,
    postgres_catalog_url,
    settings,
)


@pytest.fixture
def catalog(settings: Settings) -> Iterator[Catalog]:  # noqa: F811
    """A catalog on SQLite and on PostgreSQL (tests/catalog), holding Fremont PD."""
    opened = open_catalog(settings, password_hasher=FAST)
    if opened.engine.dialect.name == "postgresql":
        _empty_postgres(opened)
    opened.add_agency("Fremont PD", "fpd", "municipal", "CA")
    try:
        yield opened
    finally:
        opened.close()


def test_add_and_revoke_are_logged_with_the_values_before_and_after(catalog: Catalog) -> None:
    log = AuditLog(catalog.engine, signer=None)
    registry = NodeRegistry(catalog, log)
    key = NodeKey.generate()
    added = registry.add(
        operator(), "fremont", "https://fremont.example", key.public.text(), ["fpd"]
    )
    assert (added.key_id, added.agencies, added.revoked_at) == (key.public.key_id, ("fpd",), None)
    revoked = registry.revoke(operator(), "fremont")
    assert revoked.revoked_at is not None
    entries = [log.entry(i).entry for i in range(log.size())]
    assert [(e["type"], e["change"], e["object_id"]) for e in entries] == [
        ("node_change", "add", "fremont"),
        ("node_change", "revoke", "fremont"),
    ]
    assert entries[0]["after"] == {
        "url": "https://fremont.example",
        "key_id": key.public.key_id,
        "agencies": ["fpd"],
        "log_key": None,
        "witness_key": None,
        "revoked_at": None,
    }
    assert entries[1]["before"]["revoked_at"] is None and entries[1]["after"]["revoked_at"]
    assert [n.name for n in registry.list()] == ["fremont"]


def test_no_entry_no_node(catalog: Catalog, tmp_path: Path) -> None:
    elsewhere = catalog_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    upgrade(elsewhere)
    registry = NodeRegistry(catalog, AuditLog(elsewhere, signer=None))
    with pytest.raises(ChangeNotLogged):
        registry.add(
            operator(), "fremont", "https://f.example", NodeKey.generate().public.text(), ["fpd"]
        )
    assert NodeRegistry(catalog, AuditLog(catalog.engine, signer=None)).list() == []
    elsewhere.dispose()


def test_a_node_is_refused_for_an_unknown_agency_a_known_key_or_name(catalog: Catalog) -> None:
    registry = NodeRegistry(catalog, AuditLog(catalog.engine, signer=None))
    key = NodeKey.generate().public.text()
    with pytest.raises(CatalogError, match="no agency `ice-ero-sf`"):
        registry.add(operator(), "x", "https://x.example", key, ["ice-ero-sf"])
    registry.add(operator(), "fremont", "https://f.example", key, ["fpd"])
    with pytest.raises(Conflict):
        registry.add(operator(), "fremont-2", "https://f.example", key, ["fpd"])
    with pytest.raises(Conflict):
        registry.add(
            operator(), "fremont", "https://f.example", NodeKey.generate().public.text(), ["fpd"]
        )
    with pytest.raises(NotFound):
        registry.revoke(operator(), "nobody")
    registry.revoke(operator(), "fremont")
    with pytest.raises(Conflict):  # a revoked key never comes back, under any name
        registry.add(operator(), "fremont-3", "https://f.example", key, ["fpd"])
    with pytest.raises(Conflict):  # nor a revoked name, with any key
        registry.add(
            operator(), "fremont", "https://f.example", NodeKey.generate().public.text(), ["fpd"]
        )


def test_the_node_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = NodeKey.load_or_create(tmp_path)
    again = NodeKey.load_or_create(tmp_path)
    assert first.public == again.public
    mode = stat.S_IMODE((tmp_path / "keys" / "node.key").stat().st_mode)
    assert mode == 0o600
    assert (tmp_path / "keys" / "node.pub").read_text().strip() == first.public.text()


def test_the_node_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "partner")
    shown = runner.invoke(app, ["node", "key", "--data-dir", data])
    assert shown.exit_code == 0, shown.output
    public = NodeKey.load_or_create(Path(data)).public
    assert public.text() in shown.output and public.key_id in shown.output
    owner = str(tmp_path / "owner")
    catalog = open_catalog(Settings(data_dir=Path(owner)), password_hasher=FAST)
    catalog.add_agency("Fremont PD", "fpd", "municipal", "CA")
    catalog.close()
    added = runner.invoke(
        app,
        [
            "node",
            "add",
            "fremont",
            "--url",
            "https://f.example",
            "--key",
            public.text(),
            "--agency",
            "fpd",
            "--data-dir",
            owner,
        ],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["node", "list", "--data-dir", owner])
    assert "fremont" in listed.output and public.key_id[:8] in listed.output
    bad = runner.invoke(
        app,
        ["node", "add", "x", "--url", "u", "--key", "nope", "--agency", "fpd", "--data-dir", owner],
    )
    assert bad.exit_code == 1 and "not a base64 Ed25519 public key" in bad.output
    revoked = runner.invoke(app, ["node", "revoke", "fremont", "--data-dir", owner])
    assert revoked.exit_code == 0 and "revoked" in revoked.output


def test_a_nonce_is_refused_again_within_the_window_and_forgotten_after_it(
    catalog: Catalog,
) -> None:
    window = timedelta(minutes=5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with catalog.engine.begin() as connection:
        assert remember_nonce(connection, "k1", "n" * 20, start, window)
        assert not remember_nonce(connection, "k1", "n" * 20, start + window, window)
        assert remember_nonce(connection, "k2", "n" * 20, start, window)  # another key's
        # past twice the window it is forgotten (its request is refused by its time)
        assert remember_nonce(connection, "k1", "m" * 20, start + 3 * window, window)
        assert remember_nonce(connection, "k1", "n" * 20, start + 3 * window, window)
