"""Fixtures of the policy tests: the fixture city of ``cases/_city.yaml``."""

from __future__ import annotations

import pytest

from tests.policy.scenario import City, load_city


@pytest.fixture(scope="session")
def city() -> City:
    return load_city()
