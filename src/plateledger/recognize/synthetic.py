"""Synthetic US-style plates in synthetic street scenes, for tests, benchmarks and training.

No real photographs ship with the project, so accuracy is measured on frames rendered
here: a plate (state name, characters in the state's format, stickers, an emblem between
character groups, a slogan or dealer frame) drawn large with PIL, shrunk to about 90×45
pixels, tilted, and pasted on a car in a 1280×720 scene with signs that carry text of
their own, then blurred, noised and JPEG-compressed. Everything is drawn from one seed.

Fonts: DejaVu Sans (Debian package ``fonts-dejavu-core``), which every Debian-based image
has; a missing font raises `FontMissing`.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from plateledger.plates.formats import DIGITS, LETTERS, PlateFormat
from plateledger.recognize.formats import FORMATS

BENCH_SEED = 20_241_201
"""The seed of the benchmark set; training must never draw from it."""

FRAME_SIZE = (1280, 720)
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
PLATE_FONTS = ("DejaVuSansCondensed-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf")
SMALL_FONT = "DejaVuSans-Bold.ttf"
_SLOGANS = ("DMV.CA.GOV", "SUNSHINE STATE", "EMPIRE STATE", "LONE STAR STATE", "VISIT PA",
            "GRAND CANYON STATE", "LAND OF LINCOLN", "GARDEN STATE", "SILVER STATE",
            "EVERGREEN STATE", "BIRTHPLACE OF AVIATION", "SPIRIT OF AMERICA")
_DEALERS = ("SMITH FORD", "BAY HONDA", "AUTO MALL", "CITY TOYOTA", "DRIVE SAFE")
_SIGNS = ("STOP", "ONE WAY", "SPEED LIMIT 35", "NO PARKING", "EXIT 12B", "PIZZA 24H",
          "MAIN ST", "OPEN", "SALE 50%", "ROUTE 66", "BUS ONLY", "AUTO PARTS", "YIELD")


class FontMissing(RuntimeError):
    """A DejaVu font is not installed (``apt-get install fonts-dejavu-core``)."""


@dataclass(frozen=True, slots=True)
class SyntheticFrame:
    """One rendered frame: BGR pixels, the plate's text and state, its box ``(x, y, w, h)``."""

    image: np.ndarray
    plate: str
    region: str
    box: tuple[int, int, int, int]

    def jpeg(self, quality: int = 90) -> bytes:
        """The frame as JPEG bytes."""
        rgb = Image.fromarray(np.ascontiguousarray(self.image[:, :, ::-1]))
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=quality)
        return out.getvalue()


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """A DejaVu font at ``size`` pixels; raise `FontMissing` if it is not installed."""
    for folder in _FONT_DIRS:
        path = folder / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    raise FontMissing(f"font `{name}` is not installed (apt-get install fonts-dejavu-core)")


def random_plate(fmt: PlateFormat, rng: random.Random) -> str:
    """Random text in format ``fmt``."""
    return "".join(rng.choice(LETTERS if s == "L" else DIGITS) for s in fmt.slots)


def _group_split(fmt: PlateFormat) -> int:
    """Where a state puts the gap or emblem between character groups."""
    slots = fmt.slots
    for i in range(2, len(slots) - 1):
        if slots[i] != slots[i - 1]:
            return i
    return len(slots) // 2


def render_plate(text: str, fmt: PlateFormat, rng: random.Random) -> Image.Image:
    """A 400×200 RGB plate showing ``text`` in the style of ``fmt``'s state."""
    width, height = 400, 200
    bg = rng.choice([(245, 245, 240), (250, 248, 225), (235, 240, 250), (255, 255, 255),
                     (240, 235, 215)])
    ink = rng.choice([(20, 30, 110), (15, 15, 15), (120, 20, 30), (10, 60, 30)])
    plate = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(plate)
    if rng.random() < 0.4:  # a picture band behind the characters, as many states print
        band = tuple(max(0, c - rng.randint(10, 45)) for c in bg)
        draw.rectangle((0, 120, width, 150), fill=band)
    draw.rounded_rectangle((3, 3, width - 4, height - 4), radius=14,
                           outline=rng.choice([(30, 30, 30), ink, (90, 90, 90)]), width=5)
    top_font = font(SMALL_FONT, rng.randint(30, 38))
    top_ink = rng.choice([(170, 20, 30), ink, (20, 60, 150)])
    draw.text((width / 2, 28), fmt.state_name.upper() if rng.random() < 0.5 else fmt.state_name,
              font=top_font, fill=top_ink, anchor="mm")
    split = _group_split(fmt)
    glyph_font = font(rng.choice(PLATE_FONTS), rng.randint(96, 110))
    groups = [text[:split], text[split:]]
    gap = rng.randint(26, 40)
    widths = [draw.textlength(g, font=glyph_font) for g in groups]
    total = widths[0] + gap + widths[1]
    scale_x = min(1.0, (width - 40) / total)
    glyphs = Image.new("L", (int(total) + 4, 130), 0)
    gdraw = ImageDraw.Draw(glyphs)
    gdraw.text((0, 65), groups[0], font=glyph_font, fill=255, anchor="lm")
    gdraw.text((widths[0] + gap, 65), groups[1], font=glyph_font, fill=255, anchor="lm")
    glyphs = glyphs.resize((max(1, int(glyphs.width * scale_x)), glyphs.height))
    left = (width - glyphs.width) // 2
    top = 45
    plate.paste(Image.new("RGB", glyphs.size, ink), (left, top), glyphs)
    if rng.random() < 0.5:  # an emblem between the groups: the classic extra character
        cx = left + int((widths[0] + gap / 2) * scale_x)
        r = rng.randint(7, 12)
        emblem = rng.choice([(200, 40, 40), (30, 90, 170), (220, 170, 30), ink])
        if rng.random() < 0.5:
            draw.ellipse((cx - r, top + 55 - r, cx + r, top + 55 + r), fill=emblem)
        else:
            draw.polygon([(cx - r, top + 45), (cx + r, top + 45), (cx, top + 75)], fill=emblem)
    for corner in rng.sample([(12, 10), (width - 62, 10), (12, 160), (width - 62, 160)],
                             k=rng.randint(0, 2)):
        color = rng.choice([(230, 200, 30), (40, 160, 60), (200, 60, 160), (240, 120, 30)])
        x, y = corner
        draw.rectangle((x, y, x + 50, y + 28), fill=color)
        draw.text((x + 25, y + 14), str(rng.randint(23, 27)), font=font(SMALL_FONT, 18),
                  fill=(10, 10, 10), anchor="mm")
    bottom = rng.choice(_SLOGANS + _DEALERS)
    draw.text((width / 2, 178), bottom, font=font(SMALL_FONT, rng.randint(20, 26)),
              fill=rng.choice([ink, (40, 40, 40), (170, 20, 30)]), anchor="mm")
    return plate


def _perspective(img: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """``img`` warped as if seen slightly from the side, with transparent corners."""
    w, h = img.size
    d = [rng.uniform(-amount, amount) * w for _ in range(8)]
    quad = (d[0], d[1], d[2], h + d[3], w + d[4], h + d[5], w + d[6], d[7])
    rgba = img.convert("RGBA")
    return rgba.transform((w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC)


def _scene(rng: random.Random) -> Image.Image:
    """A street-ish background: sky, buildings, road, and signs with text."""
    w, h = FRAME_SIZE
    scene = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(scene)
    sky = (rng.randint(120, 200), rng.randint(150, 210), rng.randint(190, 250))
    horizon = rng.randint(200, 320)
    for y in range(horizon):
        f = y / horizon
        draw.line((0, y, w, y), fill=tuple(int(c * (1 - 0.3 * f)) for c in sky))
    road = rng.randint(60, 120)
    draw.rectangle((0, horizon, w, h), fill=(road, road, road + 5))
    for _ in range(rng.randint(3, 7)):  # buildings
        x = rng.randint(-100, w)
        bw = rng.randint(120, 360)
        top = rng.randint(40, horizon - 20)
        draw.rectangle((x, top, x + bw, horizon + 40),
                       fill=tuple(rng.randint(60, 200) for _ in range(3)))
        for wx in range(x + 10, x + bw - 20, 34):  # windows: plate-sized dark boxes
            for wy in range(top + 10, horizon, 40):
                if rng.random() < 0.6:
                    draw.rectangle((wx, wy, wx + 20, wy + 24), fill=(40, 50, 60))
    for _ in range(rng.randint(2, 5)):  # signs with text, of several sizes
        text = rng.choice(_SIGNS)
        size = rng.randint(14, 40)
        sign_font = font(SMALL_FONT, size)
        tw = int(draw.textlength(text, font=sign_font)) + 16
        x, y = rng.randint(0, w - tw), rng.randint(20, h - size - 30)
        fill = rng.choice([(200, 30, 30), (250, 250, 250), (20, 110, 50), (240, 200, 40)])
        draw.rectangle((x, y, x + tw, y + size + 14), fill=fill, outline=(20, 20, 20))
        ink = (250, 250, 250) if sum(fill) < 450 else (20, 20, 20)
        draw.text((x + 8, y + 7), text, font=sign_font, fill=ink)
    for _ in range(rng.randint(0, 3)):  # lane marks
        y = rng.randint(horizon + 40, h - 10)
        x0, x1 = sorted((rng.randint(0, w), rng.randint(0, w)))
        draw.rectangle((x0, y, x1, y + 6), fill=(230, 230, 210))
    return scene


def render_frame(rng: random.Random) -> SyntheticFrame:
    """One 1280×720 frame with one plate on a car, drawn from ``rng``."""
    fmt = rng.choice(FORMATS)
    text = random_plate(fmt, rng)
    scene = _scene(rng)
    draw = ImageDraw.Draw(scene)
    w, h = FRAME_SIZE
    pw = rng.randint(80, 110)
    ph = pw // 2
    car_w = int(pw * rng.uniform(4.5, 6.5))
    car_h = int(car_w * rng.uniform(0.45, 0.65))
    cx = rng.randint(car_w // 2 + 10, w - car_w // 2 - 10)
    cy = rng.randint(h // 2, h - car_h // 2 - 10)
    body = tuple(rng.randint(10, 240) for _ in range(3))
    draw.rounded_rectangle((cx - car_w // 2, cy - car_h // 2, cx + car_w // 2, cy + car_h // 2),
                           radius=car_h // 5, fill=body)
    draw.rectangle((cx - car_w // 2 + 20, cy - car_h // 2 + 10, cx + car_w // 2 - 20,
                    cy - car_h // 2 + car_h // 3), fill=(30, 35, 45))  # rear window
    for side in (-1, 1):  # tail lights
        lx = cx + side * (car_w // 2 - 30)
        draw.rectangle((lx - 18, cy - 10, lx + 18, cy + 10), fill=(190, 20, 20))
    plate_img = render_plate(text, fmt, rng).resize((pw, ph), Image.Resampling.LANCZOS)
    warped = _perspective(plate_img, rng, 0.04)
    warped = warped.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True)
    px = cx - warped.width // 2 + rng.randint(-pw // 3, pw // 3)
    py = cy + car_h // 6 - warped.height // 2
    scene.paste(warped, (px, py), warped)
    if rng.random() < 0.5:
        scene = scene.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    arr = np.asarray(scene).astype(np.float32)
    arr = arr * rng.uniform(0.6, 1.2) + rng.uniform(-25, 25)
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, rng.uniform(1, 7), arr.shape)
    arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, format="JPEG", quality=rng.randint(55, 92))
    decoded = np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))[:, :, ::-1]
    box = (px, py, warped.width, warped.height)
    return SyntheticFrame(np.ascontiguousarray(decoded), text, fmt.region, box)


def synthetic_frames(n: int, seed: int) -> Iterator[SyntheticFrame]:
    """``n`` frames drawn from ``seed``; the same seed gives the same frames."""
    rng = random.Random(seed)
    for _ in range(n):
        yield render_frame(rng)
