"""Many bundles that share the fixed library, archived without compressing the library again each time.

The tar stream is the one `archive.build_archive` writes for the same files (entries sorted, fixed
headers, padded to whole tar records), so the library's members are the same bytes in every bundle.
Deflate can be cut at a full flush: the output is byte-aligned and nothing after it refers back, so
the library is compressed once and its compressed bytes are placed between the compressed members
before and after it. The result is one ordinary gzip member (RFC 1952) that any reader unpacks to the
same tar stream; it is deterministic, but not byte-identical to `build_archive`'s output.
"""

from __future__ import annotations

import struct
import tarfile
import zlib
from dataclasses import dataclass

from generator.bundle.archive import FIXED_MTIME, build_archive, build_tar

LEVEL = 9
_HEADER = b"\x1f\x8b\x08\x00" + struct.pack("<I", FIXED_MTIME) + b"\x02\xff"  # level 9, OS unknown
_RECORD = tarfile.RECORDSIZE


def tar_members(files: dict[str, bytes]) -> bytes:
    """The tar bytes of `files`' members (headers and padded contents), sorted by name, no end."""
    length = sum(
        tarfile.BLOCKSIZE + -(-len(content) // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE for content in files.values()
    )
    return build_tar(files)[:length]


def _deflated(data: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


@dataclass(frozen=True)
class SharedMembers:
    """Files every bundle carries unchanged, archived once."""

    files: dict[str, bytes]
    tar: bytes
    deflated: bytes

    @classmethod
    def of(cls, files: dict[str, bytes]) -> SharedMembers:
        tar = tar_members(files)
        return cls(dict(files), tar, _deflated(tar, final=False))


def build_segmented_archive(files: dict[str, bytes], shared: SharedMembers) -> bytes:
    """The tar.gz of `files`, which must hold every shared file unchanged, next to each other in name
    order; anything else is archived the ordinary way."""
    names = sorted(files)
    shared_names = [name for name in names if name in shared.files]
    if (
        not shared_names
        or any(files[name] != shared.files[name] for name in shared_names)
        or len(shared_names) != len(shared.files)
        or names[names.index(shared_names[0]) : names.index(shared_names[0]) + len(shared_names)] != shared_names
    ):
        return build_archive(files)
    start = names.index(shared_names[0])
    before = tar_members({name: files[name] for name in names[:start]})
    after_files = {name: files[name] for name in names[start + len(shared_names) :]}
    after = tar_members(after_files)
    length = len(before) + len(shared.tar) + len(after)
    end = 2 * tarfile.BLOCKSIZE
    end += -(length + end) % _RECORD
    after += bytes(end)
    crc = zlib.crc32(after, zlib.crc32(shared.tar, zlib.crc32(before)))
    body = _deflated(before, final=False) + shared.deflated + _deflated(after, final=True)
    return _HEADER + body + struct.pack("<II", crc, (length + end) & 0xFFFFFFFF)
