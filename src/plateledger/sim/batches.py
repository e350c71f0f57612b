"""Sightings turned into reads: OCR, times and Arrow columns in `ARROW_SCHEMA`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from plateledger.sim.model import CityModel
from plateledger.sim.ocr import NO_ERROR, misread
from plateledger.sim.plate_columns import confusion_keys, normalised, strings
from plateledger.sim.registrations import PLATE_WIDTH
from plateledger.sim.sightings import Sightings
from plateledger.sim.vehicles import COLOURS, MODELS, STATES
from plateledger.store.schema import ARROW_SCHEMA, EXPIRY_STEP_S

DAY_S = 86_400
DEFAULT_RETENTION_DAYS = 365

_STATE_NAMES = pa.array([*STATES, ""], type=pa.string())
_BLANK_STATE = len(STATES)
_COLOUR_NAMES = pa.array([*(c[0] for c in COLOURS), ""], type=pa.string())
_MAKE_NAMES = pa.array([*(m[0] for m in MODELS), ""], type=pa.string())
_MODEL_NAMES = pa.array([*(m[1] for m in MODELS), ""], type=pa.string())
_TYPE_NAMES = pa.array([*(m[2] for m in MODELS), ""], type=pa.string())


def nil_ids(count: int) -> pa.FixedSizeBinaryArray:
    """``count`` nil read ids: each read's id is the one the store derives from its camera,
    time and plate (`plateledger.store.schema`), as ingest derives it for a read posted
    without an id; such an id is not stored, and computing it here (SHA-1 per read, in
    Python) would cost the simulator four times its own time."""
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), count, [None, pa.py_buffer(bytes(16 * count))]
    )


def _with_separators(plates: NDArray[np.uint8], lengths: NDArray[np.int64],
                     at: NDArray[np.int64], sep: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Insert ``sep[i]`` before column ``at[i]`` of row i where ``at[i] >= 0``."""
    cols = np.arange(PLATE_WIDTH)[None, :]
    where = np.where((at >= 0) & (at < lengths), at, PLATE_WIDTH)[:, None]
    source = np.clip(cols - (cols > where), 0, PLATE_WIDTH - 1)
    out = np.take_along_axis(plates, source, axis=1)
    rows = np.flatnonzero(where[:, 0] < PLATE_WIDTH)
    out[rows, where[rows, 0]] = sep[rows]
    return out


def _timestamps(ms: NDArray[np.int64], unit: str) -> pa.Array:
    return pa.Array.from_buffers(pa.timestamp(unit, tz="UTC"), len(ms),
                                 [None, pa.py_buffer(ms.astype(np.int64))])


def to_table(model: CityModel, sightings: Sightings, rng: np.random.Generator, *,
             seed: int, first: int, retention_days: Mapping[int, int]) -> pa.Table:
    """The reads of ``sightings`` (read ``first`` onward of the stream of ``seed``)."""
    plan, pop = model.plan, model.population
    n = len(sightings)
    vehicle, camera = sightings.vehicle, sightings.camera
    plates = pop.plates[vehicle]
    lengths = pop.plate_len[vehicle].copy()
    error = misread(plates, lengths, plan.ocr, rng)
    u = rng.random((8, n))

    # Some cameras report the gap or hyphen printed on the plate; normalising drops it.
    state = pop.state[vehicle]
    sep_at = np.where((state != 0) & (u[0] < 0.3), 3, -1)
    sep = np.where(state == 2, ord(" "), ord("-")).astype(np.uint8)
    raw = _with_separators(plates, lengths, sep_at, sep)
    upper, letters = normalised(raw)

    region = state.copy()
    wrong = u[1] < plan.ocr.region_wrong
    region[wrong] = (state[wrong] + 1 + (u[2][wrong] * (len(STATES) - 1)).astype(np.int64)) % len(
        STATES)
    blank = (u[1] >= plan.ocr.region_wrong) & (u[1] < plan.ocr.region_wrong + plan.ocr.region_blank)
    region[blank] = _BLANK_STATE
    region_conf = np.where(wrong, 0.35 + 0.3 * u[3], 0.75 + 0.24 * u[3])
    region_conf = np.where(blank, 0.0, region_conf)

    # Misreads come with lower confidence: that is what makes thresholds useful.
    correct = error == NO_ERROR
    confidence = np.where(correct, 0.98 - 0.2 * u[4] * u[5], 0.5 + 0.35 * u[4])

    owner = model.camera_owner[camera]
    mobile = model.camera_mobile[camera]
    ts = sightings.ts_ms
    delay = np.where(mobile, 500 + (u[6] * 6_000), 150 + (u[6] * 2_500)).astype(np.int64)
    delay += np.where(mobile & (u[7] < 0.05), (u[7] * 12_000_000).astype(np.int64), 0)
    days = np.full(int(owner.max()) + 1, DEFAULT_RETENTION_DAYS, dtype=np.int64)
    for agency_id, kept in retention_days.items():
        if 0 <= agency_id < len(days):
            days[agency_id] = kept
    # stamped as ingest stamps it: rounded down to the minute (`expiry_stamp`)
    expires = (ts + days[owner] * DAY_S * 1000) // (EXPIRY_STEP_S * 1000) * EXPIRY_STEP_S
    home_states = pa.array([plan.agency(int(a)).home_state if a in plan.camera_owner_ids
                            else "" for a in range(len(days))], type=pa.string())
    camera_ids = pa.array([c.camera_id for c in plan.cameras], type=pa.string())

    # Classifiers leave make and model blank on a share of reads, colour on fewer.
    model_idx = np.where(u[5] < 0.25, len(MODELS), pop.model[vehicle])
    colour_idx = np.where(u[2] < 0.08, len(COLOURS), pop.colour[vehicle])
    type_idx = np.where(u[5] < 0.1, len(MODELS), pop.model[vehicle])
    empty = pa.array([""], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))
    columns = [
        nil_ids(n),
        pa.array(owner.astype(np.uint32)),
        home_states.take(pa.array(owner)),
        camera_ids.take(pa.array(camera)),
        _timestamps(ts, "ms"),
        strings(raw),
        strings(upper, letters),
        strings(confusion_keys(upper), letters),
        _STATE_NAMES.take(pa.array(region)),
        pa.array(region_conf.astype(np.float32)),
        pa.array(confidence.astype(np.float32)),
        pa.array(sightings.lat),
        pa.array(sightings.lon),
        pa.array(sightings.heading),
        _COLOUR_NAMES.take(pa.array(colour_idx)),
        _MAKE_NAMES.take(pa.array(model_idx)),
        _MODEL_NAMES.take(pa.array(model_idx)),
        _TYPE_NAMES.take(pa.array(type_idx)),
        empty,
        empty,
        _timestamps(ts + delay, "ms"),
        _timestamps(expires, "s"),
        pa.array(np.zeros(n, dtype=np.uint8)),
    ]
    return pa.Table.from_arrays(columns, schema=ARROW_SCHEMA)
