"""What a search returns: one page of reads, the total, and what was searched."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from plateledger.read import PlateRead


class ReadOut(BaseModel):
    """A read as a search shows it (images only where policy allows them)."""

    read_id: uuid.UUID
    owner_id: int
    origin_state: str
    camera_id: str
    ts: datetime
    plate: str
    plate_raw: str
    region: str
    confidence: float = Field(description="as the store keeps it: the whole percent nearest "
                              "the camera's confidence")
    lat: float | None
    lon: float | None
    heading: float | None
    vehicle_color: str = ""
    vehicle_make: str = ""
    vehicle_model: str = ""
    vehicle_type: str = ""
    image_plate: str = ""
    image_overview: str = ""
    distance: float | None = Field(default=None, description="fuzzy ranking distance")
    held_for: str | None = Field(
        default=None, description="legal hold that keeps this read past its clock (its id)"
    )
    candidate_confidence: float | None = Field(
        default=None, description="the read's plate is another, and the searched plate (exact "
        "search) or a plate near it (fuzzy) was among the vendor's candidates, with this "
        "confidence",
    )

    @classmethod
    def from_read(
        cls, read: PlateRead, *, images: bool, distance: float | None = None
    ) -> ReadOut:
        # The read came from the store and was validated on the way in: no second pass.
        return cls.model_construct(
            read_id=read.read_id,
            owner_id=read.owner_id,
            origin_state=read.origin_state,
            camera_id=read.camera_id,
            ts=read.ts,
            plate=read.plate,
            plate_raw=read.plate_raw,
            region=read.region,
            confidence=round(read.confidence, 4),
            lat=None if read.lat is None else round(read.lat, 6),
            lon=None if read.lon is None else round(read.lon, 6),
            heading=read.heading,
            vehicle_color=read.vehicle.color,
            vehicle_make=read.vehicle.make,
            vehicle_model=read.vehicle.model,
            vehicle_type=read.vehicle.type,
            image_plate=read.images.plate if images else "",
            image_overview=read.images.overview if images else "",
            distance=distance,
        )


class SearchPage(BaseModel):
    kind: str
    total: int = Field(description="matching reads in scope (distinct read ids)")
    limit: int
    offset: int
    results: list[ReadOut]
    candidates: list[str] = Field(
        default_factory=list, description="plates considered (wildcard and fuzzy searches)"
    )
    truncated: bool = Field(
        default=False, description="more candidate plates matched than were searched"
    )
    path: list[dict[str, Any]] | None = Field(
        default=None, description="timeline: consecutive reads at one camera, in time order"
    )
    stakeout: list[dict[str, Any]] | None = Field(
        default=None, description="stakeout: each plate, the areas it was seen in, its reads"
    )
    companions: list[dict[str, Any]] | None = Field(
        default=None, description="convoy: vehicles seen with the target, ranked"
    )
