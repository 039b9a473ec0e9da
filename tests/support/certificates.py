"""Mesh certificates as Kuma's builtin CA issues them (spec B §1.1): empty subject, URI SANs
`spiffe://<mesh>/<service>` for each service, then `kuma://<tag>/<value>` for every tag value."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from functools import cache

from generator.deploy.certs import MeshCA

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
def certificate_authority(mesh: str) -> MeshCA:
    """The mesh's CA, as deploy/ makes it (generator/deploy/certs.py), one per mesh and test run."""
    return MeshCA.create(mesh, days=1)


@cache
def workload_certificate(mesh: str, tags: Tags, uris: tuple[str, ...] | None = None) -> Issued:
    """A workload certificate for `tags` (several values per key allowed) or exactly `uris`, signed by
    the mesh's CA."""
    sans = list(uris) if uris is not None else kuma_uris(mesh, tags)
    certificate_pem, key_pem = certificate_authority(mesh).issue({}, days=1, uris=sans)
    return Issued(certificate_pem, key_pem)


def envoy_encoded(pem: str) -> str:
    """The peer certificate as Envoy puts it in a check request: URL-encoded PEM."""
    return urllib.parse.quote(pem, safe="")
