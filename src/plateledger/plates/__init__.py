"""Plate text: normalisation, OCR-confusion keys, wildcards and ranking distance."""

from plateledger.plates.confusion import CONFUSION_CLASSES, confusion_key, deletion_variants
from plateledger.plates.distance import plate_distance
from plateledger.plates.text import MAX_PLATE_LENGTH, PlateError, normalize_plate
from plateledger.plates.wildcard import Wildcard, parse_wildcard

__all__ = [
    "CONFUSION_CLASSES",
    "MAX_PLATE_LENGTH",
    "PlateError",
    "Wildcard",
    "confusion_key",
    "deletion_variants",
    "normalize_plate",
    "parse_wildcard",
    "plate_distance",
]
