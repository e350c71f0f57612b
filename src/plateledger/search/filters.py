"""Filters every search kind accepts, and their SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plateledger.read import to_utc_millis

MAX_PAGE = 1000


class BoundingBox(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    south: float = Field(ge=-90, le=90)
    west: float = Field(ge=-180, le=180)
    north: float = Field(ge=-90, le=90)
    east: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.south > self.north:
            raise ValueError("south must not be north of north")
        if self.west > self.east:
            raise ValueError("west must not be east of east (boxes across 180° are not supported)")
        return self


class Radius(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    meters: float = Field(gt=0, le=100_000)


class Filters(BaseModel):
    """Time range, cameras, place and plate region, plus the page wanted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    since: datetime | None = None
    until: datetime | None = None
    cameras: tuple[str, ...] = ()
    bbox: BoundingBox | None = None
    radius: Radius | None = None
    region: str | None = Field(default=None, max_length=8)
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _time(cls, value: object) -> datetime | None:
        return None if value is None else to_utc_millis(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        region = value.strip().upper().removeprefix("US-")
        return region or None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        if self.bbox and self.radius:
            raise ValueError("give a bounding box or a radius, not both")
        if len(self.cameras) > 1000:
            raise ValueError("at most 1000 cameras")
        return self

    def sql(self, params: dict[str, object]) -> str:
        """WHERE fragments for these filters, always including the expiry rule."""
        parts = ["expires_at > now()"]
        if self.since:
            params["f_since"] = self.since
            parts.append("ts >= {f_since:DateTime64(3, 'UTC')}")
        if self.until:
            params["f_until"] = self.until
            parts.append("ts <= {f_until:DateTime64(3, 'UTC')}")
        if self.cameras:
            params["f_cameras"] = list(self.cameras)
            parts.append("camera_id IN {f_cameras:Array(String)}")
        if self.bbox:
            params.update(
                f_s=self.bbox.south, f_w=self.bbox.west, f_n=self.bbox.north, f_e=self.bbox.east
            )
            parts.append(
                "lat BETWEEN {f_s:Float64} AND {f_n:Float64} "
                "AND lon BETWEEN {f_w:Float64} AND {f_e:Float64}"
            )
        if self.radius:
            params.update(f_lat=self.radius.lat, f_lon=self.radius.lon, f_m=self.radius.meters)
            parts.append(
                "greatCircleDistance(lon, lat, {f_lon:Float64}, {f_lat:Float64}) <= {f_m:Float64}"
            )
        if self.region:
            params["f_region"] = self.region
            parts.append("region = {f_region:String}")
        return " AND ".join(parts)
