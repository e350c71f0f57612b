"""The server process's heap, settled once the app has started.

CPython's cycle collector walks every object it tracks each time its oldest generation
is collected. A started server holds hundreds of thousands of objects that live as long
as it does (modules, route and model schemas, the catalog caches, a hot-list index of a
million plates), and the ingest path allocates tens of objects per read, so a collection
is due every few hundred reads. `settle` moves what exists once the server is up into the
permanent generation (``gc.freeze``: never walked again, still freed by reference
counting) and collects the young generation less often. Measured (docs/benchmarks.md):
HTTP ingest 12.3–13.4 k reads/s without it, 17.3–18.1 k with it.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the youngest generation (CPython's default: 700)."""


def settle() -> None:
    """Collect once, then leave everything alive now out of later collections."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
