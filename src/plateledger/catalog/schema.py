"""The catalog database's schema, kept by Alembic; the migration scripts ship inside the
package.

The catalog database also holds tables that other packages own and declare (the audit
log, legal holds, hot lists). Running the migrations needs none of those declarations:
the scripts are plain DDL. Comparing the database with the code does, and only the
composition root knows every package that keeps tables here, so the comparison's
``MetaData`` is handed in (`plateledger.tables.TARGET_METADATA`) rather than imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, target_metadata: Sequence[MetaData] = ()) -> Config:
    """An Alembic configuration over ``engine`` (no ``alembic.ini`` needed).

    ``target_metadata`` is what ``revision --autogenerate`` compares against; leave it
    empty to run migrations only.
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    config.attributes["target_metadata"] = list(target_metadata)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision`` (creating it if empty)."""
    command.upgrade(alembic_config(engine), revision)
