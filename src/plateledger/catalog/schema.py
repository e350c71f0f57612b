"""The catalog's schema, kept by Alembic; the migration scripts ship inside the package.

`EXTRA_METADATA` lists the ``MetaData`` of the other packages whose tables live in the
catalog database (audit log, legal holds, hot lists): the migration environment compares
against them too, so ``alembic revision --autogenerate`` writes their changes.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from plateledger.audit.schema import metadata as audit_metadata
from plateledger.catalog.models import Base
from plateledger.hotlist.schema import metadata as hotlist_metadata
from plateledger.retention.schema import metadata as retention_metadata

SCRIPTS = Path(__file__).parent / "migrations"

EXTRA_METADATA: tuple[MetaData, ...] = (audit_metadata, retention_metadata, hotlist_metadata)
"""Other packages' tables in the catalog database. A package adding tables appends its
``metadata`` here and adds a migration."""

TARGET_METADATA: list[MetaData] = [Base.metadata, *EXTRA_METADATA]


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration over ``engine`` (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision`` (creating it if empty)."""
    command.upgrade(alembic_config(engine), revision)
