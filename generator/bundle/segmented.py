"""Many bundles that share large parts (the fixed library, a mesh's ExternalServices), archived
without compressing, hashing or checksumming those parts again for each bundle.

The tar stream is the one `archive.build_tar` writes for the same files, so a shared part is the same
bytes in every bundle. Deflate can be cut at a full flush: the output is byte-aligned and nothing after
it refers back, so a shared part is compressed once and its compressed bytes are placed between the
freshly compressed parts around it. The gzip trailer's CRC-32 is carried across a shared part by a
linear map precomputed for its length (`crc32(data, c) == shift_n(c) ^ crc32(data)`, as zlib's
crc32_combine). The result is one ordinary gzip member (RFC 1952) that any reader unpacks to that tar
stream; deterministic, though not byte-identical to `build_archive`'s.
"""

from __future__ import annotations

import hashlib
import struct
import tarfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from generator.bundle.archive import FIXED_MTIME, build_tar, member_header

LEVEL = 9
_HEADER = b"\x1f\x8b\x08\x00" + struct.pack("<I", FIXED_MTIME) + b"\x02\xff"  # level 9, OS unknown
_BLOCK = tarfile.BLOCKSIZE


@dataclass(frozen=True)
class Shared:
    """A part that many archives carry unchanged, prepared once."""

    raw: bytes
    deflated: bytes  # a full-flushed raw deflate segment
    crc: int  # crc32(raw)
    shift: tuple[int, ...]  # crc32(raw, 1 << i) ^ crc: how each bit of a running CRC carries across
    digest: bytes  # sha256(raw)

    @classmethod
    def of(cls, raw: bytes) -> Shared:
        crc = zlib.crc32(raw)
        zeros = bytes(len(raw))
        base = zlib.crc32(zeros)
        shift = tuple(zlib.crc32(zeros, 1 << bit) ^ base for bit in range(32))
        return cls(raw, _deflated(raw, final=False), crc, shift, hashlib.sha256(raw).digest())

    def crc_after(self, crc: int) -> int:
        result = self.crc
        bit = 0
        while crc:
            if crc & 1:
                result ^= self.shift[bit]
            crc >>= 1
            bit += 1
        return result


Part = bytes | Shared


def _deflated(data: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def gzip_parts(parts: Sequence[Part]) -> bytes:
    """One gzip member of the parts' concatenation."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += part
        elif not isinstance(part, bytes) or part:
            merged.append(part)
    if not merged or isinstance(merged[-1], Shared):
        merged.append(b"")
    body, crc, length = [_HEADER], 0, 0
    for position, part in enumerate(merged):
        if isinstance(part, Shared):
            body.append(part.deflated)
            crc, length = part.crc_after(crc), length + len(part.raw)
        else:
            body.append(_deflated(part, final=position == len(merged) - 1))
            crc, length = zlib.crc32(part, crc), length + len(part)
    body.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
    return b"".join(body)


def _padding(size: int) -> bytes:
    return bytes(-size % _BLOCK)


@dataclass(frozen=True)
class SharedMembers:
    """Files every bundle carries unchanged (the library): their tar members, prepared once."""

    files: dict[str, bytes]
    part: Shared

    @classmethod
    def of(cls, files: dict[str, bytes]) -> SharedMembers:
        members = b"".join(
            member_header(name, len(files[name])) + files[name] + _padding(len(files[name])) for name in sorted(files)
        )
        return cls(dict(files), Shared.of(members))


def build_segmented_archive(files: dict[str, Sequence[Part]], shared: SharedMembers) -> bytes:
    """The tar.gz of `files` (each a sequence of parts), whose names include every shared file, each
    given as its one part, and side by side in name order."""
    names = sorted(files)
    first = min(shared.files)
    start = names.index(first)
    if names[start : start + len(shared.files)] != sorted(shared.files) or any(
        list(files[name]) != [shared.files[name]] for name in shared.files
    ):
        raise ValueError("the shared files must all be there, unchanged and side by side")
    parts: list[Part] = []
    length = 0
    for name in [*names[:start], first, *names[start + len(shared.files) :]]:
        if name == first:
            parts.append(shared.part)
            length += len(shared.part.raw)
            continue
        size = sum(len(part.raw) if isinstance(part, Shared) else len(part) for part in files[name])
        parts += [member_header(name, size), *files[name], _padding(size)]
        length += _BLOCK + size + len(_padding(size))
    end = 2 * _BLOCK
    end += -(length + end) % tarfile.RECORDSIZE
    parts.append(bytes(end))
    return gzip_parts(parts)


def joined(parts: Sequence[Part]) -> bytes:
    return b"".join(part.raw if isinstance(part, Shared) else part for part in parts)


def tar_of(files: dict[str, Sequence[Part]]) -> bytes:
    """The tar stream `build_segmented_archive` compresses (for tests)."""
    return build_tar({name: joined(parts) for name, parts in files.items()})
