"""A case planted in the demo data: a stolen car and the two vehicles that travel with it.

The stolen car passes three of the first agency's fixed cameras, far apart, over two days;
two companion vehicles pass each of those cameras within a minute of it, and a decoy
passes one of them with it only. The car is also read at night, on three nights, at a
fourth camera (where it is kept). An investigator can find the companions with a
convoy search from the stolen plate, and find the car (and its companions) with a
stakeout over the three places.

The plates use a shape the simulated population never has (digit, two letters, four
digits), so no simulated vehicle shares them. Each planted read carries a plate crop and
an overview image, drawn here and written to the image store.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image, ImageDraw, ImageFont

from plateledger.plates import confusion_key, normalize_plate
from plateledger.read import Images, PlateRead, Vehicle, derive_read_id
from plateledger.sim.cameras import SimCamera
from plateledger.sim.plan import CityPlan
from plateledger.store.images import CropStore

__all__ = ["PlantedCase", "PlantedPlace", "plant_case"]

STOLEN = "6TR4082"
COMPANIONS = ("5KV2917", "3JD5560")
DECOY = "4WN7731"
# Hours before the end of the data at which the stolen car passes each of the three places.
PASSES = (50.0, 26.0, 3.0)
# Seconds after the stolen car at which each companion passes the same camera.
FOLLOW = (25, 70)
NIGHTS = (2, 1, 0)  # nights before the end when the car is read near where it is kept
LOOKS = {
    STOLEN: Vehicle(color="white", make="Ford", model="F-150", type="pickup"),
    COMPANIONS[0]: Vehicle(color="black", make="Honda", model="Civic", type="sedan"),
    COMPANIONS[1]: Vehicle(color="silver", make="Toyota", model="Camry", type="sedan"),
    DECOY: Vehicle(color="blue", make="Subaru", model="Outback", type="wagon"),
}


@dataclass(frozen=True)
class PlantedPlace:
    camera_id: str
    lat: float
    lon: float
    ts: datetime
    """when the stolen car passed"""


@dataclass(frozen=True)
class PlantedCase:
    """What was planted, for the demo's instructions and for tests."""

    stolen: str
    region: str
    companions: tuple[str, ...]
    decoy: str
    places: tuple[PlantedPlace, ...]
    """the three places the stolen car passed with its companions"""
    home: PlantedPlace
    """the camera near where the car is kept (read there at night)"""
    since: datetime
    until: datetime
    """a window holding every planted read (under the 7 days a stakeout area may span)"""
    reads: list[PlateRead] = field(repr=False, default_factory=list)


def _distance(a: SimCamera, b: SimCamera) -> float:
    dy = (a.lat - b.lat) * 111_320.0
    dx = (a.lon - b.lon) * 111_320.0 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


def _spread(cameras: list[SimCamera], count: int) -> list[SimCamera]:
    """``count`` cameras far apart: the first, then each time the one farthest from those
    already chosen."""
    chosen = [cameras[0]]
    while len(chosen) < count:
        rest = [c for c in cameras if c not in chosen]
        chosen.append(max(rest, key=lambda c: min(_distance(c, o) for o in chosen)))
    return chosen


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def plate_crop(plate: str) -> bytes:
    """A 240×120 drawing of a California plate showing ``plate``."""
    image = Image.new("RGB", (240, 120), (245, 245, 240))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((3, 3, 236, 116), radius=10, outline=(20, 30, 110), width=4)
    draw.text((120, 24), "California", fill=(150, 20, 30), anchor="mm",
              font=ImageFont.load_default(size=18))
    draw.text((120, 72), plate, fill=(20, 30, 110), anchor="mm",
              font=ImageFont.load_default(size=46))
    return _jpeg(image)


def overview(plate: str, camera_id: str, ts: datetime, look: Vehicle) -> bytes:
    """A 640×360 drawing of the scene: road, the vehicle, its plate and the camera's stamp."""
    image = Image.new("RGB", (640, 360), (96, 104, 112))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 640, 120), fill=(150, 170, 190))
    for x in range(0, 640, 80):
        draw.rectangle((x, 250, x + 40, 258), fill=(230, 220, 120))
    body = {"white": (235, 235, 235), "black": (30, 30, 30), "silver": (180, 184, 190),
            "blue": (40, 70, 150)}.get(look.color, (120, 120, 120))
    draw.rounded_rectangle((200, 130, 440, 290), radius=24, fill=body, outline=(10, 10, 10))
    draw.rectangle((240, 145, 400, 200), fill=(60, 80, 100))
    draw.rectangle((275, 240, 365, 275), fill=(245, 245, 240), outline=(20, 30, 110))
    draw.text((320, 258), plate, fill=(20, 30, 110), anchor="mm",
              font=ImageFont.load_default(size=18))
    stamp = f"{camera_id}  {ts:%Y-%m-%d %H:%M:%S} UTC"
    draw.rectangle((0, 330, 640, 360), fill=(0, 0, 0))
    draw.text((10, 345), stamp, fill=(255, 255, 255), anchor="lm",
              font=ImageFont.load_default(size=16))
    return _jpeg(image)


def plant_case(
    plan: CityPlan, *, end: datetime, owner_ids: Mapping[int, int],
    images: CropStore | None = None, retention_days: int = 180, region: str = "CA",
) -> PlantedCase:
    """The planted case's reads, ending at ``end`` (time-zone aware), owned by the plan's
    first agency (``owner_ids`` maps the plan's agency ids to the catalog's). With
    ``images``, each read's plate crop and overview are written there and referenced."""
    agency = plan.agencies[0]
    fixed = [c for c in plan.cameras if c.owner_id == agency.id and c.kind == "fixed"]
    if len(fixed) < 4:
        raise ValueError("the plan's first agency needs four fixed cameras")
    *spread, home_camera = _spread(fixed, 4)
    owner = owner_ids[agency.id]
    reads: list[PlateRead] = []

    def read(plate: str, camera: SimCamera, ts: datetime) -> None:
        ts = ts.replace(microsecond=0)
        read_id = derive_read_id(camera.camera_id, ts, plate)
        refs = Images()
        if images is not None:
            look = LOOKS[plate]
            refs = Images(
                plate=images.put(read_id, "plate", plate_crop(plate)),
                overview=images.put(read_id, "overview",
                                    overview(plate, camera.camera_id, ts, look)),
            )
        reads.append(PlateRead(
            read_id=read_id, owner_id=owner, origin_state=agency.home_state,
            camera_id=camera.camera_id, ts=ts, plate_raw=plate, plate=normalize_plate(plate),
            plate_key=confusion_key(normalize_plate(plate)), region=region,
            region_confidence=0.9, confidence=0.97, lat=camera.lat, lon=camera.lon,
            heading=None if camera.heading < 0 else float(camera.heading),
            vehicle=LOOKS[plate], images=refs, received_at=ts,
            expires_at=ts + timedelta(days=retention_days),
        ))

    places: list[PlantedPlace] = []
    for camera, hours in zip(spread, PASSES, strict=True):
        ts = end - timedelta(hours=hours)
        places.append(PlantedPlace(camera.camera_id, camera.lat, camera.lon,
                                   ts.replace(microsecond=0)))
        read(STOLEN, camera, ts)
        for plate, after in zip(COMPANIONS, FOLLOW, strict=True):
            read(plate, camera, ts + timedelta(seconds=after))
    read(DECOY, spread[0], end - timedelta(hours=PASSES[0], seconds=-40))
    first_night = None
    for night in NIGHTS:
        ts = (end - timedelta(days=night + 1)).replace(hour=7, minute=30 + 5 * night, second=0)
        if ts >= end - timedelta(minutes=5) or ts < end - timedelta(days=6):
            continue
        read(STOLEN, home_camera, ts)
        first_night = first_night or ts
    home = PlantedPlace(home_camera.camera_id, home_camera.lat, home_camera.lon,
                        (first_night or places[0].ts).replace(microsecond=0))
    since = (min(r.ts for r in reads) - timedelta(hours=1)).replace(minute=0, second=0)
    until = (end + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return PlantedCase(STOLEN, region, COMPANIONS, DECOY, tuple(places), home,
                       since, until, reads)
