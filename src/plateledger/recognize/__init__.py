"""Recognition: frames to plate reads, and the camera agent that sends them.

`load_recognizer` gives a `Recognizer` (default engine ``rapidocr``: plate localisation,
the PP-OCRv4 recogniser from the rapidocr wheel, state formats, multi-crop voting).
"""

from plateledger.recognize.errors import EngineError, ImageError, RecognizeError, VideoError
from plateledger.recognize.frame import MAX_PIXELS, load_frame
from plateledger.recognize.recognizer import ENGINES, Recognition, Recognizer, load_recognizer

__all__ = [
    "ENGINES",
    "MAX_PIXELS",
    "EngineError",
    "ImageError",
    "Recognition",
    "RecognizeError",
    "Recognizer",
    "VideoError",
    "load_frame",
    "load_recognizer",
]
