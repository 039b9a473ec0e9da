"""Mesh certificates as Kuma's builtin CA issues them (spec B §1.1): empty subject, URI SANs
`spiffe://<mesh>/<service>` for each service, then `kuma://<tag>/<value>` for every tag value."""

from __future__ import annotations

import datetime
import urllib.parse
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Tags = tuple[tuple[str, tuple[str, ...]], ...]  # sorted (key, sorted values)


@dataclass(frozen=True)
class Issued:
    certificate_pem: str
    key_pem: str


def kuma_uris(mesh: str, tags: Tags) -> list[str]:
    services = dict(tags).get("kuma.io/service", ())
    uris = [f"spiffe://{mesh}/{service}" for service in sorted(services)]
    uris += [f"kuma://{key}/{value}" for key, values in sorted(tags) for value in sorted(values)]
    return uris


@cache
def certificate_authority(mesh: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, mesh)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"spiffe://{mesh}")]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@cache
def workload_certificate(mesh: str, tags: Tags, uris: tuple[str, ...] | None = None) -> Issued:
    """A workload certificate for `tags` (or exactly `uris`), signed by the mesh's CA."""
    ca_key, ca_certificate = certificate_authority(mesh)
    key = ec.generate_private_key(ec.SECP256R1())
    sans = list(uris) if uris is not None else kuma_uris(mesh, tags)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=24))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri) for uri in sans]), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def envoy_encoded(pem: str) -> str:
    """The peer certificate as Envoy puts it in a check request: URL-encoded PEM."""
    return urllib.parse.quote(pem, safe="")
