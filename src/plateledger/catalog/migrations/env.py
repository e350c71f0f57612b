"""Alembic environment: run on the engine the catalog hands over, or on the URL given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from plateledger.catalog.schema import TARGET_METADATA

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=TARGET_METADATA,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run()
