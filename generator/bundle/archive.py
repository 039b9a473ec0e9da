"""Files → a gzipped tar that is the same bytes for the same files, whenever and wherever it is built.

Entries sorted, no directory entries, fixed owner, mode and time in both the tar and gzip headers, so
two builds of one input are byte-identical and a bundle server's ETag changes only with the content.
"""

from __future__ import annotations

import gzip
import io
import tarfile

FIXED_MTIME = 0


def build_archive(files: dict[str, bytes]) -> bytes:
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=FIXED_MTIME, compresslevel=9) as gz:
        gz.write(build_tar(files))
    return compressed.getvalue()


def build_tar(files: dict[str, bytes]) -> bytes:
    """The uncompressed tar stream: members sorted by name, then the end blocks and record padding."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            tar.addfile(member_info(name, len(files[name])), io.BytesIO(files[name]))
    return raw.getvalue()


def member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = FIXED_MTIME
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def member_header(name: str, size: int) -> bytes:
    """The tar header `build_tar` writes for a member (the content follows, NUL-padded to a block)."""
    return member_info(name, size).tobuf(tarfile.USTAR_FORMAT, tarfile.ENCODING, "surrogateescape")
