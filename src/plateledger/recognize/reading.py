"""From the recogniser's per-step probabilities to a plate read that keeps what was seen.

The read is the recogniser's own text over the plate alphabet, never rewritten: formats are
evidence that rank candidates, not a mould the read is pressed into. A `PlateRead` carries

- ``text``: the raw read (greedy CTC over A–Z0–9; symbols and emblems emit nothing);
- ``char_confidences``: each character's probability, lowered where the read shows signs
  of a character it skipped (`skipped_evidence`), so that a read one character short does
  not come out sure;
- ``candidates``: the raw read and the likeliest alternatives (a second choice for an
  unsure character, a format's confusable reading such as ``O``→``0``), each with its
  probability, for the store so that exact and fuzzy searches match them too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from plateledger.plates import CONFUSION_CLASSES
from plateledger.plates.formats import ALPHABET, PlateFormat
from plateledger.recognize.formats import FORMATS
from plateledger.recognize.textline import BLANK, OTHER

MIN_LENGTH, MAX_LENGTH = 2, 8
"""Plate lengths accepted (US plates hold at most 8 characters)."""

WIDE_GAP = 1.8
"""A gap between two characters this many times the read's median pitch, with no symbol
in it, most likely hides a character the recogniser skipped."""

LONG_RUN = 1.7
"""A character emitted over this many times the read's median run of steps likely stands
for a double character (``44``) that greedy decoding merged into one."""

LONG_RUN_KEEPS = 0.4
"""The share of its confidence such a character keeps."""

CANDIDATES = 5
"""Candidates kept per read (the raw read first)."""

MISREAD_AS = {"L": "4"}
"""Glyphs the recogniser reads as another, beyond the search's confusion classes: the
character read (key) may stand for the one it maps to where a format's slot wants that
one. California's open-topped ``4`` is read as ``L`` by the wheel's text recogniser (nine
of the 21 misreads of the dev photos); never the other way round, and the search keeps
its own classes, since ``4`` and ``L`` are not look-alikes on most plates."""

ALTERNATIVE_SHARE = 0.05

FITTED_SHARE = 0.5
"""A format's confusable reading of a character keeps at least this share of the read
character's probability: the recogniser is often sure of the wrong one of two glyphs
(an open-topped ``4`` read as ``L`` at 0.99), and a reading at its own near-zero
probability would fall out of the kept candidates."""
"""A second choice for a character is a candidate from this probability up."""


@dataclass(frozen=True, slots=True)
class Emission:
    """One character greedy decoding emitted: its probabilities over `ALPHABET`, its peak
    step, and the step span of its run."""

    vector: np.ndarray
    step: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A raw plate read, its calibrated character confidences and its candidates."""

    text: str
    char_confidences: tuple[float, ...]
    candidates: tuple[tuple[str, float], ...]

    @property
    def confidence(self) -> float:
        """The probability that every character is right: the product of the character
        confidences (0 for no text)."""
        if not self.char_confidences:
            return 0.0
        return float(np.prod(self.char_confidences))

    @property
    def letters_only(self) -> bool:
        return self.text.isalpha()

    @property
    def digits_only(self) -> bool:
        return self.text.isdigit()


def emissions(probs: np.ndarray) -> tuple[list[Emission], list[int]]:
    """The characters greedy CTC decoding emits from ``probs`` (``(T, 38)``, see
    `TextLineReader.read`), and the steps where a symbol ("other") was emitted."""
    best = probs.argmax(axis=1)
    out: list[Emission] = []
    symbols: list[int] = []
    t = 0
    while t < len(best):
        cls = int(best[t])
        end = t
        while end + 1 < len(best) and best[end + 1] == cls:
            end += 1
        if cls == OTHER:
            symbols.append(t)
        elif cls != BLANK:
            run = probs[t : end + 1]
            peak = int(run[:, cls].argmax())
            row = run[peak]
            vector = row[2:] / max(float(row[1:].sum()), 1e-9)
            out.append(Emission(vector, t + peak, t, end))
        t = end + 1
    return out, symbols


def skipped_evidence(probs: np.ndarray, chars: list[Emission],
                     symbols: list[int]) -> list[float]:
    """For each gap between two emitted characters, how likely it hides a skipped one.

    Two signs: a blank step in the gap where some third character still has probability
    (the recogniser nearly emitted it), and a gap far wider than the read's pitch with no
    symbol in it (a character blurred into the background). Returns one value in 0..1 per
    interior gap (``len(chars) - 1`` values).
    """
    out: list[float] = []
    if len(chars) < 2:
        return out
    pitches = [b.step - a.step for a, b in itertools.pairwise(chars)]
    pitch = float(np.median(pitches))
    for (a, b), gap in zip(itertools.pairwise(chars), pitches, strict=True):
        near = 0.0
        between = probs[a.end + 1 : b.start, 2:]
        if between.size:
            masked = between.copy()
            masked[:, int(a.vector.argmax())] = 0.0
            masked[:, int(b.vector.argmax())] = 0.0
            near = float(masked.max())
        wide = 0.0
        if pitch > 0 and gap > WIDE_GAP * pitch and not any(a.step < s < b.step
                                                              for s in symbols):
            wide = min(1.0, (gap / pitch - WIDE_GAP + 0.6) / 1.2)
        out.append(max(near, wide))
    return out


def read_plate(probs: np.ndarray) -> PlateRead | None:
    """The raw plate in ``probs`` with calibrated confidences and candidates, or None when
    no plate-length text was read."""
    chars, symbols = emissions(probs)
    if not MIN_LENGTH <= len(chars) <= MAX_LENGTH:
        return None
    confidences = [float(c.vector.max()) for c in chars]
    for i, skipped in enumerate(skipped_evidence(probs, chars, symbols)):
        # either neighbour may be the one next to the hole: both lose that share
        confidences[i] *= 1.0 - skipped
        confidences[i + 1] *= 1.0 - skipped
    runs = [c.end - c.start + 1 for c in chars]
    typical = float(np.median(runs))
    for i, run in enumerate(runs):
        if run >= 3 and run > LONG_RUN * typical:
            # one character held for two characters' time: a double (``44``) read once
            confidences[i] *= LONG_RUN_KEEPS
    text = "".join(ALPHABET[int(c.vector.argmax())] for c in chars)
    return PlateRead(text, tuple(confidences),
                     candidates_of([c.vector for c in chars], text))


def candidates_of(vectors: list[np.ndarray], text: str) -> tuple[tuple[str, float], ...]:
    """The raw read and its likeliest alternatives: one character's second choice, or a
    known format's confusable reading (``O``→``0`` in a digit slot), with probabilities."""
    base = [float(v.max()) for v in vectors]
    found: dict[str, float] = {text: float(np.prod(base))}
    for i, v in enumerate(vectors):
        order = np.argsort(v)[::-1]
        second = int(order[1])
        if v[second] >= ALTERNATIVE_SHARE:
            alt = text[:i] + ALPHABET[second] + text[i + 1 :]
            found[alt] = max(found.get(alt, 0.0),
                             float(np.prod([*base[:i], float(v[second]), *base[i + 1:]])))
    for fmt in FORMATS:
        fitted = fit_confusables(text, fmt)
        if fitted is not None and fitted != text and fitted not in found:
            p = 1.0
            for i, ch in enumerate(fitted):
                p *= (max(float(vectors[i][ALPHABET.index(ch)]), FITTED_SHARE * base[i])
                      if ch != text[i] else base[i])
            found[fitted] = p
    ranked = sorted(found.items(), key=lambda kv: (kv[0] != text, -kv[1]))
    return tuple((t, round(p, 4)) for t, p in ranked[:CANDIDATES])


def fit_confusables(plate: str, fmt: PlateFormat) -> str | None:
    """``plate`` read in ``fmt``'s slots: each character its slot forbids becomes a
    confusable one it allows (``O``→``0``), or None if that cannot be done."""
    if len(plate) != len(fmt.slots):
        return None
    out = []
    for i, ch in enumerate(plate):
        allowed = fmt.allowed(i)
        if ch in allowed:
            out.append(ch)
            continue
        # the recogniser's own misread first: an L in a digit slot is an open-topped 4
        partners = [o for o in MISREAD_AS.get(ch, "") if o in allowed]
        partners += [o for cls in CONFUSION_CLASSES if ch in cls for o in cls if o in allowed]
        if not partners:
            return None
        out.append(partners[0])
    return "".join(out)


def choose_for_state(read: PlateRead, fmt: PlateFormat | None) -> str:
    """The plate to report: the raw read, unless a state name was read on the plate, the
    raw read does not fit that state's format and a candidate one character away does
    (``LKYR003`` → ``4KYR003`` under CALIFORNIA). A read two or more characters from the
    format is more likely a plate of another series of the state (a commercial
    ``4S45794``) than that many misreads: it is reported as read."""
    if fmt is None or fmt.matches(read.text):
        return read.text
    for text, _ in read.candidates:
        if fmt.matches(text) and _one_apart(text, read.text):
            return text
    return read.text


def _one_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def vote(reads: list[PlateRead]) -> PlateRead:
    """One read from several reads of the same plate (other crops): of the texts read, the
    one most probable over all the reads wins — each read's candidates give a text's
    probability under that crop, and a text's probabilities are averaged over the reads
    (a crop that did not consider it gives 0) — then the most summed confidence, then the
    first read. A character one crop reads one way and another the other (California's
    open-topped ``4`` and ``L``) goes to the reading the crops find likelier together,
    not to the one crop most sure of itself. Each character's confidence is its mean over
    the agreeing reads times the share of reads that agree. Candidates of all reads are
    merged."""
    merged: dict[str, float] = {}
    for r in reads:
        for text, p in r.candidates:
            merged[text] = merged.get(text, 0.0) + p / len(reads)
    weight: dict[str, float] = {}
    for r in reads:
        weight[r.text] = weight.get(r.text, 0.0) + r.confidence
    winner = max(weight, key=lambda t: (merged.get(t, 0.0), weight[t], t == reads[0].text))
    same = [r for r in reads if r.text == winner]
    share = len(same) / len(reads)
    confidences = tuple(float(np.mean([r.char_confidences[i] for r in same])) * share
                        for i in range(len(winner)))
    ranked = sorted(merged.items(), key=lambda kv: (kv[0] != winner, -kv[1]))
    return PlateRead(winner, confidences,
                     tuple((t, round(p, 4)) for t, p in ranked[:CANDIDATES]))
