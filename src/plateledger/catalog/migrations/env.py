"""Alembic environment: run on the engine the catalog hands over, or on the URL given.

The ``MetaData`` to compare against comes in ``config.attributes["target_metadata"]``
(see `plateledger.catalog.schema.alembic_config`); without it, autogenerate refuses to
run rather than propose dropping other packages' tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=config.attributes.get("target_metadata") or None,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run()
