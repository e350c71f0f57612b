"""Train the plate detector that ships with `plateledger.recognize` (`plates.onnx`).

The detector marks every pixel (at a quarter of the input's resolution) that lies on a
licence plate; `plateledger.recognize.plates.PlateFinder` turns the marked regions into
plate boxes. It is a small fully convolutional network (a MobileNet-style encoder and a
three-level feature pyramid, 56,257 weights, 0.23 MB as ONNX), so that finding the
plates of a frame costs milliseconds on one core instead of running a text detector over
all of it.

What it learns from, and nothing else:

- the Open Images "vehicle registration plate" photos of ``plates-real/dev`` (Flickr
  photos under CC BY 2.0, boxes by Google under CC BY 4.0; see the model card), with their
  plate boxes;
- plates drawn by this project's own generator (`plateledger.recognize.synthetic`) pasted
  onto those photos at many sizes, angles and exposures;
- signs and burned-in timestamps drawn onto them as things that are *not* plates.

The UCSD parking-lot photos are never used here (their licence allows research only):
they measure the detector, with the Open Images photos of ``plates-real/val``.

    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    pip install onnx                   # only training needs either
    python training/plate_detector.py --data ../shared/data/plates-real \\
        --out src/plateledger/recognize/models/plates.onnx

Everything is drawn from ``--seed``: the same seed and data give the same weights on the
same machine (up to the floating-point order of threads).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from plateledger.recognize.formats import FORMATS
from plateledger.recognize.synthetic import SMALL_FONT, font, random_plate, render_plate

STRIDE = 4
"""The output map's pixels per input pixel (each side)."""

PATCH = 256
"""Side of a training patch."""

SIGNS = ("STOP", "ONE WAY", "SPEED LIMIT 35", "NO PARKING", "EXIT 12B", "PIZZA 24H",
         "MAIN ST", "OPEN", "SALE 50%", "ROUTE 66", "BUS ONLY", "AUTO PARTS", "YIELD",
         "HOTEL", "CAFE", "TAXI", "POLICE", "AMBULANCE", "DELIVERY", "RENT ME 555-0199")


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def _block(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """Depthwise 3×3 then pointwise 1×1 (MobileNet's separable convolution)."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride, dilation, dilation=dilation, groups=cin, bias=False),
        nn.BatchNorm2d(cin), nn.ReLU(inplace=True),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PlateNet(nn.Module):
    """Input: BGR scaled to -1..1, sides a multiple of 32. Output: plate logits at 1/4."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = _conv(3, 16, 2)
        self.s4 = nn.Sequential(_block(16, 32, 2), _block(32, 32))
        self.s8 = nn.Sequential(_block(32, 64, 2), _block(64, 64))
        self.s16 = nn.Sequential(_block(64, 96, 2), _block(96, 96), _block(96, 96, dilation=2),
                                 _block(96, 96, dilation=4))
        self.lat16 = nn.Conv2d(96, 32, 1)
        self.lat8 = nn.Conv2d(64, 32, 1)
        self.lat4 = nn.Conv2d(32, 32, 1)
        self.head = nn.Sequential(_block(32, 32), nn.Conv2d(32, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c4 = self.s4(self.stem(x))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        p = F.interpolate(self.lat16(c16), scale_factor=2.0, mode="nearest") + self.lat8(c8)
        p = F.interpolate(p, scale_factor=2.0, mode="nearest") + self.lat4(c4)
        out: torch.Tensor = self.head(p)
        return out


@dataclass
class Photo:
    name: str
    image: np.ndarray
    boxes: list[tuple[float, float, float, float]]


def load_photos(data: Path, split: str) -> list[Photo]:
    """The Open Images photos of ``split`` with their plate boxes (never the UCSD ones)."""
    boxes: dict[str, list[tuple[float, float, float, float]]] = {}
    with (data / "labels.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["source"] != "openimages-lp" or not row["file"].startswith(f"{split}/"):
                continue
            boxes.setdefault(row["file"], []).append(
                (float(row["x"]), float(row["y"]), float(row["w"]), float(row["h"])))
    photos = []
    for name, found in sorted(boxes.items()):
        image = cv2.imread(str(data / name), cv2.IMREAD_COLOR)
        if image is not None:
            photos.append(Photo(name, image, found))
    return photos


def _plate_image(rng: random.Random, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A rendered plate ``width`` px wide, tilted a little: BGR pixels and its alpha."""
    fmt = rng.choice(FORMATS)
    plate = render_plate(random_plate(fmt, rng), fmt, rng)
    img = cv2.cvtColor(np.asarray(plate), cv2.COLOR_RGB2BGR)
    if rng.random() < 0.3:  # a darker, dirtier plate
        img = (img * rng.uniform(0.4, 0.8)).astype(np.uint8)
    height = max(4, round(width * rng.uniform(0.42, 0.55)))
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    alpha = np.full((height, width), 255, np.uint8)
    return _warp(img, alpha, rng, 0.06, 10.0)


def _sign_image(rng: random.Random, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A sign, a shop's lettering or a timestamp bar: text that is not a plate."""
    from PIL import Image, ImageDraw

    if rng.random() < 0.3:
        text = (f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}")
    else:
        text = rng.choice(SIGNS)
    size = 48
    face = font(SMALL_FONT, size)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    tw = int(probe.textlength(text, font=face)) + 24
    fill = rng.choice([(200, 30, 30), (250, 250, 250), (20, 110, 50), (240, 200, 40),
                       (20, 20, 20), (30, 60, 160)])
    ink = (250, 250, 250) if sum(fill) < 450 else (20, 20, 20)
    sign = Image.new("RGB", (tw, size + 24), fill)
    ImageDraw.Draw(sign).text((12, 12), text, font=face, fill=ink)
    img = cv2.cvtColor(np.asarray(sign), cv2.COLOR_RGB2BGR)
    width = max(4, round(img.shape[1] * height / img.shape[0]))
    img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    return _warp(img, np.full((height, width), 255, np.uint8), rng, 0.04, 6.0)


def _warp(img: np.ndarray, alpha: np.ndarray, rng: random.Random, amount: float,
          degrees: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = np.float32([[rng.uniform(-amount, amount) * w, rng.uniform(-amount, amount) * h]
                         for _ in range(4)])
    angle = math.radians(rng.uniform(-degrees, degrees))
    rot = np.float32([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = (src + jitter - [w / 2, h / 2]) @ rot.T
    dst -= dst.min(axis=0)
    size = (math.ceil(dst[:, 0].max()) + 1, math.ceil(dst[:, 1].max()) + 1)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    return (cv2.warpPerspective(img, matrix, size, flags=cv2.INTER_LINEAR),
            cv2.warpPerspective(alpha, matrix, size, flags=cv2.INTER_LINEAR))


def _paste(canvas: np.ndarray, img: np.ndarray, alpha: np.ndarray, x: int, y: int) -> bool:
    h, w = img.shape[:2]
    if x < 0 or y < 0 or x + w > canvas.shape[1] or y + h > canvas.shape[0]:
        return False
    region = canvas[y : y + h, x : x + w].astype(np.float32)
    # lit like the spot it lands on
    gain = float(np.clip(region.mean() / 140.0, 0.35, 1.2))
    a = alpha[:, :, None].astype(np.float32) / 255.0
    canvas[y : y + h, x : x + w] = (img * gain * a + region * (1 - a)).astype(np.uint8)
    return True


def sample(photos: list[Photo], rng: random.Random) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """One training patch: BGR pixels, plate mask and loss weights at 1/`STRIDE`."""
    photo = rng.choice(photos)
    image, boxes = photo.image, photo.boxes
    target_w = math.exp(rng.uniform(math.log(18), math.log(200)))
    ref = rng.choice(boxes)
    scale = float(np.clip(target_w / max(ref[2], 1.0), 0.35, 5.0))
    if rng.random() < 0.5:  # Open Images photos are stretched to squares: vary the aspect
        sx, sy = scale * rng.uniform(0.8, 1.25), scale
    else:
        sx, sy = scale, scale
    resized = cv2.resize(image, None, fx=sx, fy=sy,
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    scaled = [(x * sx, y * sy, w * sx, h * sy) for x, y, w, h in boxes]
    rh, rw = resized.shape[:2]
    canvas = np.zeros((max(PATCH, rh), max(PATCH, rw), 3), np.uint8)
    canvas[:rh, :rw] = resized
    if rng.random() < 0.8:  # centre the patch near the reference plate
        rx, ry, rbw, rbh = ref[0] * sx, ref[1] * sy, ref[2] * sx, ref[3] * sy
        x0 = int(np.clip(rx + rbw / 2 - PATCH / 2 + rng.uniform(-0.4, 0.4) * PATCH,
                         0, canvas.shape[1] - PATCH))
        y0 = int(np.clip(ry + rbh / 2 - PATCH / 2 + rng.uniform(-0.4, 0.4) * PATCH,
                         0, canvas.shape[0] - PATCH))
    else:
        x0 = rng.randint(0, canvas.shape[1] - PATCH)
        y0 = rng.randint(0, canvas.shape[0] - PATCH)
    patch = canvas[y0 : y0 + PATCH, x0 : x0 + PATCH].copy()
    plates = [(x - x0, y - y0, w, h) for x, y, w, h in scaled]
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        w = round(math.exp(rng.uniform(math.log(20), math.log(170))))
        img, alpha = _plate_image(rng, w)
        x = rng.randint(0, max(0, PATCH - img.shape[1]))
        y = rng.randint(0, max(0, PATCH - img.shape[0]))
        if _paste(patch, img, alpha, x, y):
            ys, xs = np.nonzero(alpha > 127)
            plates.append((x + xs.min(), y + ys.min(), xs.max() - xs.min() + 1,
                           ys.max() - ys.min() + 1))
    signs: list[tuple[float, float, float, float]] = []
    for _ in range(rng.choice((0, 1, 1, 2))):
        img, alpha = _sign_image(rng, rng.randint(10, 40))
        x = rng.randint(0, max(0, PATCH - img.shape[1]))
        y = rng.randint(0, max(0, PATCH - img.shape[0]))
        box = (x, y, img.shape[1], img.shape[0])
        if all(_overlap(box, p) == 0 for p in plates) and _paste(patch, img, alpha, x, y):
            signs.append(box)
    patch = _photometric(patch, rng)
    side = PATCH // STRIDE
    mask = np.zeros((PATCH, PATCH), np.float32)
    ignore = np.zeros((PATCH, PATCH), np.uint8)
    for x, y, w, h in plates:
        x1, y1, x2, y2 = round(x), round(y), round(x + w), round(y + h)
        if w < 12 or h < 5:  # too small to read: neither a plate nor a miss
            cv2.rectangle(ignore, (x1 - 2, y1 - 2), (x2 + 2, y2 + 2), 1, -1)
            continue
        cv2.rectangle(mask, (x1, y1), (x2 - 1, y2 - 1), 1.0, -1)
        # the box's rim is uncertain (boxes drawn by hand, plates tilted): a band of ~5 px,
        # mostly just outside the box, counts for nothing
        cv2.rectangle(ignore, (x1 - 2, y1 - 2), (x2 + 1, y2 + 1), 1, 3)
    small = cv2.resize(mask, (side, side), interpolation=cv2.INTER_AREA)
    weight = 1.0 - cv2.resize(ignore.astype(np.float32), (side, side),
                              interpolation=cv2.INTER_AREA)
    target = (small >= 0.5).astype(np.float32)
    kept = (weight > 0.5).astype(np.float32)
    if rng.random() < 0.5:  # mirrored: a plate's shape, not its reading, is what is found
        patch, target, kept = patch[:, ::-1], target[:, ::-1], kept[:, ::-1]
    return (np.ascontiguousarray(patch), np.ascontiguousarray(target),
            np.ascontiguousarray(kept))


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def _photometric(patch: np.ndarray, rng: random.Random) -> np.ndarray:
    out = patch.astype(np.float32)
    if rng.random() < 0.25:  # night: dark, with a lit plate or two (gamma)
        out = 255.0 * (out / 255.0) ** rng.uniform(1.5, 2.5)
    out = out * rng.uniform(0.6, 1.3) + rng.uniform(-30, 30)
    if rng.random() < 0.2:
        out = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
    if rng.random() < 0.4:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.4))
    out += np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(0, 8), out.shape)
    out8 = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        ok, enc = cv2.imencode(".jpg", out8, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(35, 92)])
        if ok:
            out8 = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return out8


def to_input(patches: np.ndarray) -> torch.Tensor:
    """BGR uint8 patches (N×H×W×3) as the network's input (what `PlateFinder` does)."""
    x = torch.from_numpy(patches).float().permute(0, 3, 1, 2)
    return x / 127.5 - 1.0


def loss_fn(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="sum")
    bce = bce / weight.sum().clamp(min=1.0)
    prob = torch.sigmoid(logits) * weight
    inter = (prob * target).sum(dim=(1, 2, 3))
    dice = 1 - (2 * inter + 1) / (prob.sum(dim=(1, 2, 3)) + (target * weight).sum(
        dim=(1, 2, 3)) + 1)
    return bce + dice.mean()


class Patches(torch.utils.data.IterableDataset[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    """Endless training patches, drawn from ``seed`` (in a loader process of their own)."""

    def __init__(self, photos: list[Photo], seed: int) -> None:
        self.photos = photos
        self.seed = seed

    def __iter__(self):  # type: ignore[no-untyped-def]
        rng = random.Random(self.seed)
        while True:
            yield sample(self.photos, rng)


def export(model: PlateNet, out: Path) -> None:
    model.eval()
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # the TorchScript exporter, chosen on purpose: its graph is plain convolutions and
        # resizes that any onnxruntime runs; PyTorch warns that it is no longer the default
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (torch.zeros(1, 3, 320, 320),), str(out),
                          input_names=["image"], output_names=["plate_logits"],
                          opset_version=17, dynamo=False,
                          dynamic_axes={"image": {2: "height", 3: "width"},
                                        "plate_logits": {2: "h4", 3: "w4"}})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/plates-real"))
    parser.add_argument("--out", type=Path,
                        default=Path("src/plateledger/recognize/models/plates.onnx"))
    parser.add_argument("--steps", type=int, default=3500)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    photos = load_photos(args.data, "dev")
    if not photos:
        raise SystemExit(f"no Open Images photos with boxes under {args.data}/dev")
    model = PlateNet()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr,
                                                   total_steps=args.steps, pct_start=0.1)
    started = time.monotonic()
    running = 0.0
    loader = iter(torch.utils.data.DataLoader(Patches(photos, args.seed),
                                              batch_size=args.batch, num_workers=1))
    for step in range(1, args.steps + 1):
        model.train()
        patches, t, w = next(loader)
        x = to_input(patches.numpy())
        t, w = t[:, None], w[:, None]
        loss = loss_fn(model(x), t, w)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        value = float(loss.detach())
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if step % 50 == 0 or step == args.steps:
            print(f"step {step}/{args.steps} loss {running:.4f} "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        if step % 1000 == 0 or step == args.steps:
            export(model, args.out)
    weights = sum(p.numel() for p in model.parameters())
    card = {"photos": len(photos), "steps": args.steps, "batch": args.batch, "lr": args.lr,
            "seed": args.seed, "weights": weights, "torch": torch.__version__,
            "seconds": round(time.monotonic() - started),
            # Open Images image ids (the Flickr photos' authors are in Open Images' metadata)
            "open_images_ids": sorted(p.name.split("/")[-1][3:19] for p in photos)}
    args.out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card))


if __name__ == "__main__":
    main()
