"""Check a signed bundle the way OPA does before it activates one (OPA's `bundle/verify.go`), and a
little stricter: one problem per line, every problem reported.

A bundle verifies when it is a gzipped tar of regular files with unique names, `.signatures.json`
holds exactly one compact JWS whose header `alg` is the key's algorithm and whose signature is valid
for the key, its `scope` claim is empty, and its `files` claim lists every other file of the bundle,
each once, with a digest that matches (sign.file_digest) — no file missing, none extra.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import io
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from generator.bundle.sign import (
    EC_ALGORITHMS,
    HASHES,
    SIGNATURES_PATH,
    Key,
    b64url_decode,
    crypto,
    file_digest,
)

MAX_FILE_BYTES = 1 << 30  # OPA's default bundles[_].size_limit_bytes, per file
MAX_FILES = 100_000
MAX_TOTAL_BYTES = 1 << 30  # all files together: a gzip bomb stops here


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the files whose digests matched
    algorithm: str | None = None
    key_id: str | None = None
    revision: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.files)


def verify_archive(archive: bytes, key: Key) -> Verification:
    files, problems = read_archive(archive)
    result = verify_files(files, key) if files else Verification()
    result.problems[:0] = problems
    if not files and not problems:
        result.problems.append("the bundle holds no file")
    return result


def read_archive(archive: bytes) -> tuple[dict[str, bytes], list[str]]:
    """Bundle path (without a leading `/`) → content, and what is wrong with the archive itself."""
    files: dict[str, bytes] = {}
    problems: list[str] = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_FILES:
                    problems.append(f"more than {MAX_FILES} entries")
                    break
                name = member.name.removeprefix("/")
                if not member.isreg():
                    problems.append(f"{member.name}: not a regular file (OPA ignores it, so nothing may rely on it)")
                    continue
                if member.size > MAX_FILE_BYTES:
                    problems.append(f"{name}: {member.size} bytes, more than OPA's {MAX_FILE_BYTES} per file")
                    continue
                if name in files:
                    problems.append(f"{name}: in the archive twice")
                    continue
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    problems.append(f"more than {MAX_TOTAL_BYTES} bytes once unpacked")
                    break
                handle = tar.extractfile(member)
                files[name] = handle.read() if handle is not None else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        problems.append(f"not a gzipped tar archive: {exc}")
    return files, problems


def verify_files(files: dict[str, bytes], key: Key) -> Verification:
    result = Verification()
    manifest = files.get(".manifest")
    if manifest is not None:
        result.revision = _revision(manifest)
    signatures = files.get(SIGNATURES_PATH)
    if signatures is None:
        result.problems.append(f"bundle missing {SIGNATURES_PATH} file")
        return result
    token = _single_token(signatures, result)
    if token is None:
        return result
    claims = _verified_claims(token, key, result)
    if claims is None:
        return result
    listed = _listed_files(claims, result)
    for name in sorted(files):
        if name == SIGNATURES_PATH:
            continue
        entry = listed.pop(name, None)
        if entry is None:
            result.problems.append(f"file {name} not included in bundle signature")
            continue
        try:
            got = file_digest(name, files[name], entry["algorithm"])
        except (ValueError, RecursionError):
            result.problems.append(f"{name}: not valid JSON, so it cannot be hashed as OPA does")
            continue
        if not hmac.compare_digest(got, entry["hash"].lower()):
            result.problems.append(f"{name}: digest mismatch (want: {entry['hash']}, got: {got})")
        else:
            result.files.append(name)
    if listed:
        result.problems.append(
            f"file(s) {sorted(listed)} specified in bundle signatures but not found in the target bundle"
        )
    return result


def _revision(manifest: bytes) -> str | None:
    try:
        revision = json.loads(manifest).get("revision")
    except (ValueError, AttributeError):
        return None
    return revision if isinstance(revision, str) else None


def _single_token(content: bytes, result: Verification) -> str | None:
    try:
        document = json.loads(content)
    except ValueError:
        result.problems.append(f"{SIGNATURES_PATH}: not JSON")
        return None
    tokens = document.get("signatures") if isinstance(document, dict) else None
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
        result.problems.append(f'{SIGNATURES_PATH}: "signatures" must be a list of strings')
        return None
    if len(tokens) != 1:
        result.problems.append(f"{SIGNATURES_PATH}: {len(tokens)} JWTs (expected exactly one)")
        return None
    if isinstance(document, dict) and document.get("plugin"):
        plugin = document["plugin"]
        result.problems.append(f"{SIGNATURES_PATH}: signed by plugin {plugin!r}, which gen-bundle cannot check")
        return None
    token: str = tokens[0]
    return token


def _verified_claims(token: str, key: Key, result: Verification) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        result.problems.append("the signature is not a compact JWS (three dot-separated parts)")
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        result.problems.append("the JWS header, payload or signature is not base64url-encoded JSON")
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        result.problems.append("the JWS header and payload must be JSON objects")
        return None
    result.algorithm = header.get("alg") if isinstance(header.get("alg"), str) else None
    kid = header.get("kid") or claims.get("keyid")
    result.key_id = kid if isinstance(kid, str) else None
    if result.algorithm != key.algorithm:
        result.problems.append(f"signed with {result.algorithm!r}, but the key is for {key.algorithm}")
        return None
    if not _signature_valid(f"{parts[0]}.{parts[1]}".encode(), signature, key):
        result.problems.append(f"the signature does not verify with the {key.algorithm} key")
        return None
    if claims.get("scope"):
        result.problems.append(f"scope mismatch (the token has scope {claims['scope']!r}, none is expected)")
        return None
    return claims


def _signature_valid(message: bytes, signature: bytes, key: Key) -> bool:
    bits = key.algorithm[2:]
    if key.is_hmac:
        expected = hmac.new(key.material, message, getattr(hashlib, f"sha{bits}")).digest()
        return hmac.compare_digest(expected, signature)
    library = crypto(key.algorithm)
    chosen = {"256": library.hashes.SHA256(), "384": library.hashes.SHA384(), "512": library.hashes.SHA512()}[bits]
    public = key.material.public_key() if hasattr(key.material, "private_bytes") else key.material
    try:
        if key.algorithm in EC_ALGORITHMS:
            size = (public.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                return False
            r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            public.verify(library.utils.encode_dss_signature(r, s), message, library.ec.ECDSA(chosen))
        elif key.algorithm.startswith("PS"):
            pss = library.padding.PSS(mgf=library.padding.MGF1(chosen), salt_length=library.padding.PSS.AUTO)
            public.verify(signature, message, pss, chosen)
        else:
            public.verify(signature, message, library.padding.PKCS1v15(), chosen)
    except library.exceptions.InvalidSignature:
        return False
    return True


def _listed_files(claims: dict[str, Any], result: Verification) -> dict[str, dict[str, str]]:
    listed: dict[str, dict[str, str]] = {}
    entries = claims.get("files")
    if not isinstance(entries, list):
        result.problems.append('the signature payload has no "files" list')
        return listed
    for entry in entries:
        if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("name", "hash", "algorithm"))):
            result.problems.append(f"a files entry is not {{name, hash, algorithm}}: {entry!r}")
            continue
        if entry["algorithm"] not in HASHES:
            result.problems.append(f"{entry['name']}: unsupported hashing algorithm {entry['algorithm']}")
            continue
        if entry["name"] in listed:
            result.problems.append(f"{entry['name']}: listed twice in the bundle signature")
            continue
        listed[entry["name"]] = entry
    return listed
