"""Put the bundle in place atomically: a reader (OPA's bundle server) sees the old file or the new one,
never half of one, and a failed run leaves the old file untouched."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: bytes, *, sync: bool = True) -> None:
    """`sync=False` leaves flushing to the caller (one `os.sync()` after many files): the rename is
    atomic either way, only durability across a crash waits for the flush."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            if sync:
                os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
