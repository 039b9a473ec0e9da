"""Signed bundles as OPA verifies them (OPA's `v1/bundle/{sign,verify,hash}.go`; docs/trust.md).

A signed bundle carries `/.signatures.json` = `{"signatures": ["<compact JWS>"]}`, exactly one token:

* protected header `{"alg": <algorithm>, "kid": <key id>}`;
* payload `{"files": [{"name", "hash", "algorithm": "SHA-256"}…], "keyid": <key id>}`, listing every
  file of the bundle but the signatures file, names without a leading `/`, sorted by name.

Digests follow OPA's rules: files whose base name is `data.json`, `data.yaml`, `.manifest` or
`signatures.json` are parsed and hashed over OPA's canonical form (keys sorted, no white space, strings
as Go's encoder writes them, numbers as written); every other file (`.rego`) is hashed as raw bytes.

Output is deterministic except for PS256/384/512, whose RSA-PSS salt is random: RS* is deterministic by
construction, ES* uses deterministic ECDSA (RFC 6979), HS* is an HMAC.

RSA and ECDSA need the `cryptography` package (`pip install 'gen-bundle[signing]'`), imported only
when such a key is used; HMAC needs nothing beyond the standard library.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SIGNATURES_PATH = ".signatures.json"
DIGEST_ALGORITHM = "SHA-256"
DEFAULT_KEY_ID = "default"
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_ALGORITHMS = ("ES256", "ES384", "ES512")
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
ALGORITHMS = (*RSA_ALGORITHMS, *EC_ALGORITHMS, *HMAC_ALGORITHMS)
MIN_RSA_BITS = 2048
MAX_KEY_BYTES = 64 * 1024
# Base names OPA parses and hashes in canonical form (bundle.IsStructuredDoc); note: not data.yml.
STRUCTURED_NAMES = frozenset({"data.json", "data.yaml", ".manifest", "signatures.json"})
# Hash algorithms OPA accepts in `files[].algorithm` (bundle/hash.go) → hashlib names.
HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
    "SHA-512-224": "sha512_224",
    "SHA-512-256": "sha512_256",
}
_CURVE_BY_ALGORITHM = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_ALGORITHM_BY_CURVE = {curve: algorithm for algorithm, curve in _CURVE_BY_ALGORITHM.items()}
_PEM_MARK = b"-----BEGIN "


class SigningError(Exception):
    """A key that cannot be used: unreadable, of the wrong type for the algorithm, or too weak."""


@dataclass(frozen=True)
class Key:
    """A key ready to sign or to verify: `material` is a cryptography key object, or the HMAC secret."""

    algorithm: str
    material: Any

    @property
    def is_hmac(self) -> bool:
        return self.algorithm in HMAC_ALGORITHMS


# --- keys -------------------------------------------------------------------------------------------


def load_signing_key(path: Path, algorithm: str | None = None) -> Key:
    """A private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) or, for HS*, the secret: the
    file's bytes exactly. Without `algorithm`: RS256 for RSA, ES256/384/512 by curve for EC."""
    data = _read_key_file(path)
    if algorithm in HMAC_ALGORITHMS or (algorithm is None and not data.lstrip().startswith(_PEM_MARK)):
        return _hmac_key(path, data, algorithm)
    serialization = crypto(algorithm).serialization
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningError(f"{path}: encrypted private keys are not supported; decrypt it first") from None
    except ValueError as exc:
        raise SigningError(f"{path}: not a PEM private key ({_first_line(exc)})") from None
    return _checked(path, private, algorithm)


def load_verification_key(path: Path, algorithm: str | None = None) -> Key:
    """A public key (PEM `PUBLIC KEY` or `RSA PUBLIC KEY`), a certificate, or a private key (its public
    half is used); for HS*, the secret (the file's bytes exactly)."""
    data = _read_key_file(path)
    if algorithm in HMAC_ALGORITHMS or (algorithm is None and not data.lstrip().startswith(_PEM_MARK)):
        return _hmac_key(path, data, algorithm)
    serialization = crypto(algorithm).serialization
    x509 = crypto(algorithm).x509
    public: Any = None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            public = x509.load_pem_x509_certificate(data).public_key()
        elif b"PRIVATE KEY-----" in data:
            public = serialization.load_pem_private_key(data, password=None).public_key()
        else:
            public = serialization.load_pem_public_key(data)
    except TypeError:
        raise SigningError(f"{path}: encrypted private keys are not supported; give the public key") from None
    except ValueError as exc:
        raise SigningError(f"{path}: not a PEM public key or certificate ({_first_line(exc)})") from None
    return _checked(path, public, algorithm)


def _read_key_file(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise SigningError(f"{path}: cannot read key: {exc.strerror or exc}") from None
    if not data:
        raise SigningError(f"{path}: the key file is empty")
    if len(data) > MAX_KEY_BYTES:
        raise SigningError(f"{path}: larger than {MAX_KEY_BYTES} bytes, not a key")
    return data


def _hmac_key(path: Path, data: bytes, algorithm: str | None) -> Key:
    if algorithm is None:
        raise SigningError(f"{path}: not a PEM key; for an HMAC secret name the algorithm (--signing-alg HS256)")
    if data.lstrip().startswith(_PEM_MARK):
        # A PEM key used as an HMAC secret is the classic algorithm-confusion mistake: refuse it.
        raise SigningError(f"{path}: {algorithm} needs a shared secret, not a PEM key")
    return Key(algorithm, data)


def _checked(path: Path, key: Any, algorithm: str | None) -> Key:
    rsa = crypto(algorithm).rsa
    ec = crypto(algorithm).ec
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        chosen = algorithm or "RS256"
        if chosen not in RSA_ALGORITHMS:
            raise SigningError(f"{path}: an RSA key signs with {', '.join(RSA_ALGORITHMS)}, not {chosen}")
        if key.key_size < MIN_RSA_BITS:
            raise SigningError(f"{path}: RSA key of {key.key_size} bits; at least {MIN_RSA_BITS} are needed")
        return Key(chosen, key)
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        curve = key.curve.name
        natural = _ALGORITHM_BY_CURVE.get(curve)
        if natural is None:
            raise SigningError(f"{path}: EC curve {curve} is not usable for bundle signatures")
        chosen = algorithm or natural
        if chosen != natural:
            raise SigningError(f"{path}: a key on curve {curve} signs with {natural}, not {chosen}")
        return Key(chosen, key)
    raise SigningError(f"{path}: unsupported key type {type(key).__name__}; use RSA or EC (P-256, P-384, P-521)")


@functools.cache
def _crypto() -> Any:
    """The `cryptography` modules RSA and ECDSA need, imported on first use (they cost ~60 ms)."""
    try:
        from cryptography import exceptions, x509  # noqa: PLC0415
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils  # noqa: PLC0415
    except ImportError:
        return None
    return types.SimpleNamespace(
        exceptions=exceptions,
        x509=x509,
        hashes=hashes,
        serialization=serialization,
        ec=ec,
        padding=padding,
        rsa=rsa,
        utils=utils,
    )


def crypto(algorithm: str | None) -> Any:
    found = _crypto()
    if found is None:
        raise SigningError(
            f"{algorithm or 'RSA and ECDSA'} signatures need the 'cryptography' package: "
            "pip install 'gen-bundle[signing]'"
        )
    return found


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --- digests ----------------------------------------------------------------------------------------


def is_structured(name: str) -> bool:
    return name.rsplit("/", 1)[-1] in STRUCTURED_NAMES


def file_digest(name: str, content: bytes, algorithm: str = DIGEST_ALGORITHM) -> str:
    """The hex digest OPA computes for a bundle file (bundle.VerifyBundleFile)."""
    hasher = hashlib.new(HASHES[algorithm])
    hasher.update(opa_canonical(content) if is_structured(name) else content)
    return hasher.hexdigest()


class _Number(str):
    """A JSON number kept as written: OPA parses with UseNumber and hashes the literal."""


def opa_canonical(content: bytes) -> bytes:
    """A JSON document as OPA's hasher walks it: objects with keys sorted (byte order), no white space,
    strings as Go's encoder writes them without HTML escaping, numbers as written."""
    text = content.decode("utf-8", errors="replace")  # Go's decoder turns invalid UTF-8 into U+FFFD
    value = json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_refuse_constant)
    parts: list[str] = []
    _walk(value, parts.append)
    return "".join(parts).encode()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _walk(value: Any, out: Callable[[str], object]) -> None:
    if isinstance(value, dict):
        out("{")
        for index, key in enumerate(sorted(value, key=lambda k: k.encode("utf-8", "surrogatepass"))):
            if index:
                out(",")
            out(go_string(key))
            out(":")
            _walk(value[key], out)
        out("}")
    elif isinstance(value, list):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _walk(item, out)
        out("]")
    elif isinstance(value, _Number):
        out(str(value))
    elif isinstance(value, str):
        out(go_string(value))
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    else:
        out("null")


_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def go_string(text: str) -> str:
    """A string as Go's encoding/json writes it with SetEscapeHTML(false) (Go 1.22+, which every OPA 1.x
    is built with): short escapes for `"`, `\\`, \\n, \\r, \\t, \\b, \\f; \\u00XX for other control
    characters; \\u2028 and \\u2029 escaped; invalid code points (lone surrogates) as U+FFFD."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif code < 0x20 or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


# --- JWS --------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    if not text or any(char not in _B64URL for char in text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def compact_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signing_payload(files: dict[str, bytes], key_id: str) -> dict[str, Any]:
    """The JWT claims: every file but the signatures file, by name, with its OPA digest."""
    listed = sorted(name.removeprefix("/") for name in files if name.removeprefix("/") != SIGNATURES_PATH)
    contents = {name.removeprefix("/"): content for name, content in files.items()}
    return {
        "files": [
            {"name": name, "hash": file_digest(name, contents[name]), "algorithm": DIGEST_ALGORITHM} for name in listed
        ],
        "keyid": key_id,
    }


def signatures_file(files: dict[str, bytes], key: Key, key_id: str = DEFAULT_KEY_ID) -> bytes:
    """The content of `.signatures.json` for `files` (bundle path → bytes)."""
    if not key_id:
        raise SigningError("the key id must not be empty")
    header = compact_json({"alg": key.algorithm, "kid": key_id})
    payload = compact_json(signing_payload(files, key_id))
    signing_input = f"{b64url(header)}.{b64url(payload)}".encode()
    token = f"{signing_input.decode()}.{b64url(sign(signing_input, key))}"
    return compact_json({"signatures": [token]})


def sign(message: bytes, key: Key) -> bytes:
    """The JWS signature of `message` (RFC 7518: raw r||s for ECDSA)."""
    bits = key.algorithm[2:]
    if key.is_hmac:
        digest: Any = getattr(hashlib, f"sha{bits}")
        return hmac.new(key.material, message, digest).digest()
    library = crypto(key.algorithm)
    chosen = {"256": library.hashes.SHA256(), "384": library.hashes.SHA384(), "512": library.hashes.SHA512()}[bits]
    if key.algorithm in EC_ALGORITHMS:
        der = key.material.sign(message, library.ec.ECDSA(chosen, deterministic_signing=True))
        r, s = library.utils.decode_dss_signature(der)
        size = (key.material.curve.key_size + 7) // 8
        return bytes(r.to_bytes(size, "big") + s.to_bytes(size, "big"))
    if key.algorithm.startswith("PS"):
        pss = library.padding.PSS(mgf=library.padding.MGF1(chosen), salt_length=chosen.digest_size)
        return bytes(key.material.sign(message, pss, chosen))
    return bytes(key.material.sign(message, library.padding.PKCS1v15(), chosen))
