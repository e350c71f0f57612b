"""Searches over the read store, one function per search kind.

Every function takes the `Scope` that policy decided (owners and their limits) and never
reads an owner outside it.
"""

from plateledger.search.area import AreaError, search_area
from plateledger.search.filters import BoundingBox, Filters, Radius
from plateledger.search.plate import fuzzy_candidates, search_exact, search_fuzzy, search_wildcard
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import OwnerLimit, Scope

__all__ = [
    "AreaError",
    "BoundingBox",
    "Filters",
    "OwnerLimit",
    "Radius",
    "ReadOut",
    "Scope",
    "SearchPage",
    "fuzzy_candidates",
    "search_area",
    "search_exact",
    "search_fuzzy",
    "search_wildcard",
]
