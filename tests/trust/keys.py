"""Signing keys for the tests, written as the PEM files an operator would hand to gen-bundle and OPA."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

HMAC_SECRET = b"gen-bundle test secret, long enough for HS512 "  # the exact bytes: no trailing newline
CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


@dataclass(frozen=True)
class KeyPair:
    algorithm: str
    private_pem: bytes  # what gen-bundle --signing-key reads
    public_pem: bytes  # what OPA's keys[_].key and gen-bundle --verification-key read

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        private, public = folder / f"{name}.key", folder / f"{name}.pub"
        private.write_bytes(self.private_pem)
        public.write_bytes(self.public_pem)
        return private, public


@cache
def key_pair(algorithm: str, seed: int = 0) -> KeyPair:
    """A fresh key for `algorithm` (`seed` tells distinct keys of one algorithm apart)."""
    if algorithm.startswith("HS"):
        secret = HMAC_SECRET + str(seed).encode()
        return KeyPair(algorithm, secret, secret)
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm.startswith("ES"):
        private = ec.generate_private_key(CURVES[algorithm])
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(
        algorithm,
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )
