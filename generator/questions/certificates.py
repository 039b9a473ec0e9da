"""Client certificates that stand for a party: what Envoy hands OPA-Envoy as
`attributes.source.certificate` once it has verified the peer. The library reads only their URI SANs
(decision-api.md), so they are self-signed by one process-wide key."""

from __future__ import annotations

import datetime
import urllib.parse
from functools import cache
from typing import Any


class CertificatesUnavailable(Exception):
    """The `cryptography` package (a dependency of gen-bundle) cannot be imported."""


@cache
def _key() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415  (build runs without it)
    except ImportError:
        raise CertificatesUnavailable(
            "the questions stand for a client with a certificate, which needs the 'cryptography' package "
            "(a dependency of gen-bundle): pip install 'cryptography>=48,<49'"
        ) from None
    return ec.generate_private_key(ec.SECP256R1())


@cache
def envoy_certificate(uri_sans: tuple[str, ...]) -> str:
    """A PEM certificate with exactly these URI SANs, URL-encoded as Envoy sends it."""
    key = _key()
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gen-bundle explain")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)  # fixed: the same party, the same input
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri) for uri in uri_sans]), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return urllib.parse.quote(certificate.public_bytes(serialization.Encoding.PEM).decode(), safe="")
