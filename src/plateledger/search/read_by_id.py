"""One read by its id, as an image view asks for it: inside the decided scope only."""

from __future__ import annotations

import uuid

from plateledger.search.filters import Filters
from plateledger.search.reads import fetch_page
from plateledger.search.result import ReadOut, SearchPage
from plateledger.search.scope import Scope
from plateledger.store import ReadStore
from plateledger.store.arrow import rows_to_reads
from plateledger.store.schema import TIE


def search_read(store: ReadStore, read_id: uuid.UUID, plate: str, scope: Scope) -> SearchPage:
    """The read ``read_id`` of the normalised ``plate`` (the head of the primary key: no
    scan), as a page of at most one read — if its owner is in ``scope`` with images
    allowed, it lies within that owner's lookback and it has not expired — with its image
    references where its owner still keeps its images (`Scope.shows_images_of`).

    A read of an owner outside the scope and a read that does not exist give the same
    empty page: an image view tells nobody which reads exist.
    """
    with_images = Scope({o: lim for o, lim in scope.owners.items() if lim.images})
    filters = Filters(limit=1)
    if with_images.is_empty():
        return SearchPage(kind="image", total=0, limit=1, offset=0, results=[])
    params: dict[str, object] = {"plate": plate, "read_id": str(read_id)}
    where = (f"plate = {{plate:String}} AND read_id = {{read_id:UUID}} AND "
             f"{with_images.sql(params)} AND {filters.sql(params)}")
    rows, _ = fetch_page(store, with_images, filters, where, params, order=f"ts DESC, {TIE}")
    results = [ReadOut.from_read(r, images=with_images.shows_images_of(r))
               for r in rows_to_reads(rows)]
    return SearchPage(kind="image", total=len(results), limit=1, offset=0, results=results)
