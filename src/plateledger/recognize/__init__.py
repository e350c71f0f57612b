"""Recognition: frames to plate reads, and the camera agent that sends them.

`load_recognizer` gives a `Recognizer` (default engine ``rapidocr``: PP-OCRv4's text
detector and recogniser from the rapidocr wheel, raw reads with candidates, formats as
evidence; a camera's region of interest `Roi` and the detector's input side
``detect_side``); `read_box` reads a box found elsewhere.
"""

from plateledger.recognize.errors import EngineError, ImageError, RecognizeError, VideoError
from plateledger.recognize.frame import MAX_PIXELS, load_frame
from plateledger.recognize.framing import DETECT_SIDE, Roi
from plateledger.recognize.recognizer import (
    ENGINES,
    Recognition,
    Recognizer,
    load_recognizer,
    read_box,
)

__all__ = [
    "DETECT_SIDE",
    "ENGINES",
    "MAX_PIXELS",
    "EngineError",
    "ImageError",
    "Recognition",
    "RecognizeError",
    "Recognizer",
    "Roi",
    "VideoError",
    "load_frame",
    "load_recognizer",
    "read_box",
]
