"""Alembic migration environment and scripts of the catalog database."""
