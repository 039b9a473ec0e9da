"""A mesh CA and workload certificates shaped as Kuma's builtin CA issues them, for the sidecars of
deploy/ (the e2e tests and the docker-compose demo): empty subject, URI SANs `spiffe://<mesh>/<service>`
first, then `kuma://<tag>/<value>` for every tag, so Envoy's `source.principal` is the SPIFFE ID and
the certificate carries the client's tags."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def kuma_uris(mesh: str, tags: Mapping[str, str]) -> list[str]:
    """The URI SANs of a workload with `tags`, in Kuma's order."""
    uris = [f"spiffe://{mesh}/{tags['kuma.io/service']}"] if "kuma.io/service" in tags else []
    return uris + [f"kuma://{key}/{value}" for key, value in sorted(tags.items())]


@dataclass(frozen=True)
class MeshCA:
    mesh: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, mesh: str, days: int = 365) -> MeshCA:
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
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(f"spiffe://{mesh}")]), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(mesh, key, certificate)

    CERTIFICATE_FILE = "ca.pem"
    KEY_FILE = "ca-key.pem"

    @classmethod
    def kept(cls, directory: Path, mesh: str, days: int = 365) -> tuple[MeshCA, bool]:
        """The mesh CA kept in `directory` ({ca,ca-key}.pem), or a new one written there; and whether it
        is new. Sidecars rendered one at a time (on different hosts) trust each other only through it."""
        certificate_path, key_path = directory / cls.CERTIFICATE_FILE, directory / cls.KEY_FILE
        present = [path.exists() for path in (certificate_path, key_path)]
        if not any(present):
            ca = cls.create(mesh, days)
            directory.mkdir(parents=True, exist_ok=True)
            key_path.write_bytes(b"")
            os.chmod(key_path, 0o600)  # before the key is in it
            key_path.write_bytes(
                ca.key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            certificate_path.write_text(ca.certificate_pem)
            return ca, True
        if not all(present):
            missing = certificate_path if not present[0] else key_path
            raise ValueError(f"{directory} holds half a mesh CA: {missing.name} is missing")
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
            raise ValueError(f"{key_path} is not the key of {certificate_path}")
        issued_for = [
            attribute.value for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        ]
        if issued_for != [mesh]:
            raise ValueError(f"{certificate_path} is the CA of mesh {issued_for}, not of mesh {mesh!r}")
        return cls(mesh, key, certificate), False

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, tags: Mapping[str, str], days: int = 365, uris: Sequence[str] | None = None) -> tuple[str, str]:
        """A workload certificate and its key (PEM) for a proxy with `tags`: Kuma's mesh-CA URI SANs, or
        exactly `uris` (a MeshIdentity workload certificate carries one SPIFFE ID)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(uri) for uri in (uris or kuma_uris(self.mesh, tags))]
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem

    def write_workload(
        self, directory: Path, tags: Mapping[str, str], days: int = 365, uris: Sequence[str] | None = None
    ) -> Path:
        """`directory`/{ca.pem,cert.pem,key.pem} for a proxy with `tags` (or exactly `uris`), as the Envoy
        templates read them."""
        directory.mkdir(parents=True, exist_ok=True)
        certificate_pem, key_pem = self.issue(tags, days, uris)
        (directory / "ca.pem").write_text(self.certificate_pem)
        (directory / "cert.pem").write_text(certificate_pem)
        key_path = directory / "key.pem"
        key_path.write_text(key_pem)
        os.chmod(key_path, 0o600)
        return directory
