"""From the recogniser's per-step probabilities to plate text, using state formats.

Greedy CTC decoding over the plate alphabet gives one probability vector per character
read. The state formats then decide the confusable pairs (O/0, I/1, B/8, S/5, Z/2…): at a
digit slot the best digit wins, at a letter slot the best letter. A read one character
longer than a known format is also tried without each of its characters, because an
emblem or sticker between character groups is the commonest extra character.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plateledger.plates import CONFUSION_CLASSES
from plateledger.plates.formats import ALPHABET, DIGITS, LETTERS
from plateledger.recognize.formats import FORMAT_LENGTHS, formats_of_length
from plateledger.recognize.textline import BLANK, OTHER

MIN_LENGTH, MAX_LENGTH = 2, 8
"""Plate lengths accepted from the recogniser (US plates hold at most 8 characters)."""

FREE_TEXT_PRIOR = 0.15
"""How much less likely than a formatted read a read that fits no format is taken to be."""

CONFUSABLE_SHARE = 0.5
"""A character that its slot forbids becomes a confusable partner that the slot allows
(O→0, 1→I…) at no less than this share of its probability: the recogniser is often very
sure of the wrong one of two glyphs that differ by a pixel."""

_LETTER_MASK = np.array([ch in LETTERS for ch in ALPHABET])
_DIGIT_MASK = np.array([ch in DIGITS for ch in ALPHABET])
_PARTNERS = {
    i: np.array([ALPHABET.index(o) for o in cls if o != ch and o in ALPHABET], dtype=int)
    for cls in CONFUSION_CLASSES
    for ch in cls
    if ch in ALPHABET
    for i in [ALPHABET.index(ch)]
}


@dataclass(frozen=True, slots=True)
class PlateText:
    """Decoded plate characters with their confidences and the regions whose format fits."""

    text: str
    char_confidences: tuple[float, ...]
    regions: tuple[str, ...]

    @property
    def confidence(self) -> float:
        """Overall confidence: the mean of the character confidences (0 for no text)."""
        if not self.char_confidences:
            return 0.0
        return float(sum(self.char_confidences) / len(self.char_confidences))


def segments(probs: np.ndarray) -> list[np.ndarray]:
    """One vector over `ALPHABET` per character that greedy CTC decoding emits.

    ``probs`` is a ``(T, 38)`` array from `TextLineReader.read`. Steps whose best class is
    "other" (a dot, a dash, an emblem read as a symbol) emit nothing. Each vector is the
    probabilities at the run's most confident step, normalised over the alphabet and
    "other" so that a character that may be a symbol keeps a low confidence.
    """
    best = probs.argmax(axis=1)
    out: list[np.ndarray] = []
    t = 0
    while t < len(best):
        cls = int(best[t])
        end = t
        while end + 1 < len(best) and best[end + 1] == cls:
            end += 1
        if cls not in (BLANK, OTHER):
            run = probs[t : end + 1]
            peak = run[int(run[:, cls].argmax())]
            vector = peak[2:] / max(float(peak[1:].sum()), 1e-9)
            out.append(vector)
        t = end + 1
    return out


def _fit(vectors: list[np.ndarray], slots: str | None) -> tuple[str, list[float]]:
    text, confidences = [], []
    for i, v in enumerate(vectors):
        top = int(v.argmax())
        if slots is None or slots[i] == "A":
            text.append(ALPHABET[top])
            confidences.append(float(v[top]))
            continue
        allowed = _LETTER_MASK if slots[i] == "L" else _DIGIT_MASK
        k = int(np.where(allowed, v, -1.0).argmax())
        p = float(v[k])
        partners = _PARTNERS.get(top, np.array([], dtype=int))
        partners = partners[allowed[partners]] if partners.size else partners
        if not allowed[top] and partners.size:
            best = int(partners[v[partners].argmax()])
            share = max(float(v[best]), CONFUSABLE_SHARE * float(v[top]))
            if share > p:
                k, p = best, share
        text.append(ALPHABET[k])
        confidences.append(p)
    return "".join(text), confidences


def decode_plate(probs: np.ndarray) -> PlateText | None:
    """The most likely plate in ``probs`` (see `segments`), or None when no plate-length
    text was read."""
    vectors = segments(probs)
    if not MIN_LENGTH <= len(vectors) <= MAX_LENGTH + 1:
        return None
    # (score, text, confidences, regions); a free read pays FREE_TEXT_PRIOR
    options: list[tuple[float, str, list[float], tuple[str, ...]]] = []
    variants: list[tuple[float, list[np.ndarray]]] = [(1.0, vectors)]
    if len(vectors) - 1 in FORMAT_LENGTHS:
        for j in range(len(vectors)):
            dropped = float(vectors[j].max())
            variants.append((1.0 - dropped, vectors[:j] + vectors[j + 1 :]))
    for penalty, candidate in variants:
        if len(candidate) <= MAX_LENGTH:
            text, conf = _fit(candidate, None)
            options.append((penalty * FREE_TEXT_PRIOR * float(np.prod(conf)), text, conf, ()))
        by_slots: dict[str, list[str]] = {}
        for fmt in formats_of_length(len(candidate)):
            by_slots.setdefault(fmt.slots, []).append(fmt.region)
        for slots, regions in by_slots.items():
            text, conf = _fit(candidate, slots)
            options.append((penalty * float(np.prod(conf)), text, conf, tuple(regions)))
    if not options:
        return None
    best = max(options, key=lambda o: o[0])
    return PlateText(best[1], tuple(best[2]), best[3])
