"""Shared pieces of the sample-model trainers (train_text_model.py, train_image_model.py).

Run with Debian's Python (/usr/bin/python3) and python3-torch, python3-numpy. Nothing here is used
at run time by attnscope: the trainers write files in layouts attnscope already reads
(docs/models.md "Sample models").
"""
import json
import os
import struct
import tempfile

import numpy as np


def seed_everything(seed):
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def set_threads(default=2):
    import torch

    threads = int(os.environ.get("ATTNSCOPE_TRAIN_THREADS", default))
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    return threads


def write_atomically(path, data):
    """Writes bytes (or str) to path through a temporary file in the same folder and a rename."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path, value):
    write_atomically(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def write_safetensors(path, tensors, dtype="F16", metadata=None):
    """tensors: name -> torch tensor or numpy array. Writes the safetensors layout (MODELS.md):
    u64 header length, JSON header, then the data buffer, row-major little-endian."""
    np_dtype = {"F16": np.float16, "F32": np.float32}[dtype]
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if hasattr(t, "detach"):
            t = t.detach().cpu().numpy()
        a = np.ascontiguousarray(np.asarray(t, dtype=np.float32).astype(np_dtype))
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # the data buffer starts 8-byte aligned
    write_atomically(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def cosine_lr(step, steps, peak, warmup):
    import math

    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
