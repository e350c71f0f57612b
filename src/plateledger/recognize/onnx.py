"""ONNX models on onnxruntime's CPU provider, one thread each (a camera's core)."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from plateledger.recognize.errors import EngineError


def cpu_session(path: Path, what: str, *, threads: int = 1) -> ort.InferenceSession:
    """The model at ``path`` ready to run on ``threads`` CPU threads; `EngineError`
    naming ``what`` (``"plate detector"``) where it cannot be loaded."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise EngineError(f"cannot load {what} `{path}`: {exc}") from None
