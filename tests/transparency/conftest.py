"""The API fixtures (a real app over a seeded SQLite catalog) for the portal and reports."""

from tests.api.conftest import client, seed, settings

__all__ = ["client", "seed", "settings"]
