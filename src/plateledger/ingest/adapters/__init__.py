"""One adapter per wire format, each versioned; all produce `ReadSubmission`s.

`ADAPTERS` maps each format's name (the ``{format_name}`` of ``POST /v1/reads/...``) to its
adapter; `adapter_for` picks one by name, or by content type when no name is given.
"""

from __future__ import annotations

from plateledger.ingest.adapters.csv import CsvAdapter, iter_csv_batches
from plateledger.ingest.adapters.frigate import FrigateAdapter
from plateledger.ingest.adapters.native import NativeAdapter
from plateledger.ingest.adapters.openalpr import OpenAlprAdapter
from plateledger.ingest.adapters.platerecognizer import PlateRecognizerAdapter
from plateledger.ingest.adapters.rekor import RekorAdapter
from plateledger.ingest.batch import Adapter, media_type
from plateledger.ingest.errors import UnknownFormat

ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        NativeAdapter(),
        OpenAlprAdapter(),
        RekorAdapter(),
        PlateRecognizerAdapter(),
        FrigateAdapter(),
        OpenAlprAdapter(name="plate_minder"),
        CsvAdapter(),
    )
}
"""Every adapter by format name. Order matters to `adapter_for`: native answers JSON."""


def adapter_for(path_name: str | None, content_type: str | None) -> Adapter:
    """The adapter named ``path_name``; without a name, the first that reads the content
    type (native for JSON and NDJSON, csv for CSV, platerecognizer for multipart).

    Raise `UnknownFormat` for an unknown name or a content type no adapter reads.
    """
    if path_name is not None:
        adapter = ADAPTERS.get(path_name.strip().lower())
        if adapter is None:
            raise UnknownFormat(
                f"unknown format `{path_name[:32]}`; known: {', '.join(sorted(ADAPTERS))}"
            )
        return adapter
    media = media_type(content_type) or "application/json"
    for adapter in ADAPTERS.values():
        if media in adapter.content_types:
            return adapter
    raise UnknownFormat(f"no format is read from content type `{media[:64]}`")


__all__ = [
    "ADAPTERS",
    "CsvAdapter",
    "FrigateAdapter",
    "NativeAdapter",
    "OpenAlprAdapter",
    "PlateRecognizerAdapter",
    "RekorAdapter",
    "adapter_for",
    "iter_csv_batches",
]
