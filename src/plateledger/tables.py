"""Every table of the catalog database, gathered from the packages that declare them.

The catalog, the audit log, legal holds and hot lists keep their tables in one database,
migrated by one Alembic chain (`plateledger.catalog.schema`). Each package declares its
own tables; this module, above all of them, is the one place that lists them together,
for comparing the migrated database with the code and for writing the next migration.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, MetaData

from plateledger.audit.schema import metadata as audit_metadata
from plateledger.catalog.approvals import approvals_metadata
from plateledger.catalog.camera_aliases import alias_metadata
from plateledger.catalog.cases import cases_metadata
from plateledger.catalog.models import Base
from plateledger.catalog.quarantine import quarantine_metadata
from plateledger.catalog.schema import alembic_config
from plateledger.catalog.shared_hotlists import shared_hotlists_metadata
from plateledger.hotlist.schema import metadata as hotlist_metadata
from plateledger.retention.schema import metadata as retention_metadata

TARGET_METADATA: tuple[MetaData, ...] = (
    Base.metadata, audit_metadata, retention_metadata, hotlist_metadata, approvals_metadata,
    cases_metadata, quarantine_metadata, alias_metadata, shared_hotlists_metadata,
)
"""The ``MetaData`` of every package with tables in the catalog database. A package that
adds tables there adds its ``metadata`` here and writes a migration."""


def write_revision(engine: Engine, message: str) -> None:
    """Write the next migration script: what the declared tables add to, or change in, the
    database at ``engine`` (which must be at the head revision). Review it before use."""
    command.revision(alembic_config(engine, TARGET_METADATA), message, autogenerate=True)
