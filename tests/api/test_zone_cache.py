"""The server's cache of collection zones never keeps zones read before a change that another
post has seen already (a zone added while a slow look-up runs stays in force)."""

from __future__ import annotations

import threading
from typing import Any

from plateledger.api.resources import CatalogCache
from plateledger.catalog import open_catalog
from plateledger.catalog.passwords import FAST
from plateledger.settings import Settings
from tests.api.conftest import Seed

SCHOOL = (37.5934, -122.0439)


def test_a_slow_zone_read_begun_before_a_zone_is_added_hides_it_for_good(
    settings: Settings, seed: Seed
) -> None:
    catalog = open_catalog(settings, password_hasher=FAST)
    try:
        cache = CatalogCache(catalog)
        # (the first post of the agency since start, or since any catalog change)
        real = catalog.active_zones
        started, release = threading.Event(), threading.Event()
        slow_once = {"armed": True}

        def active_zones(agency_id: int) -> Any:
            found = real(agency_id)  # read before the zone is added
            if slow_once.pop("armed", False):
                started.set()
                assert release.wait(20)  # ... and written into the cache after
            return found

        catalog.active_zones = active_zones  # type: ignore[method-assign]
        results: dict[str, Any] = {}
        post_a = threading.Thread(
            target=lambda: results.__setitem__("a", cache.zones(seed.ucpd_id)))
        post_a.start()
        assert started.wait(20)
        # the admin adds a school zone; the next post sees it (the new promise)
        catalog.add_zone(seed.ucpd_id, "school", "school", centre=SCHOOL, radius_m=160)
        results["b"] = cache.zones(seed.ucpd_id)
        assert len(results["b"]) == 1
        release.set()
        post_a.join()
        # every later post, with no further catalog change: the zone must be in force
        later = cache.zones(seed.ucpd_id)
        assert len(later) == 1, f"zone lost from the cache: {later}"
    finally:
        catalog.close()
