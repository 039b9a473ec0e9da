"""ext_authz check requests shaped as OPA-Envoy hands them to OPA (decision-api.md, opa-envoy.md §3.2)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tests.support.certificates import Tags, envoy_encoded, kuma_uris, workload_certificate

ClientTags = Mapping[str, str | Sequence[str]]

# The public rules (decision-api.md): each must be defined for every input.
ALLOW_PATHS = ["kuma/authz/allow", "kuma/authz/inbound/allow", "kuma/authz/outbound/allow"]
DECISION_PATHS = ["kuma/authz/decision", "kuma/authz/inbound/decision", "kuma/authz/outbound/decision"]


def normalise_tags(tags: ClientTags) -> Tags:
    return tuple(
        sorted((key, tuple(sorted({value} if isinstance(value, str) else set(value)))) for key, value in tags.items())
    )


def inbound_check(
    local_tags: Mapping[str, str],
    client: ClientTags | None,
    *,
    mesh: str = "default",
    identity: str = "certificate",
    client_mesh: str | None = None,
    http: bool = True,
    extra_headers: Mapping[str, str] | None = None,
    spiffe_ids: Sequence[str] | None = None,
    sni: str | None = None,
    dataplane: Mapping[str, Any] | None = None,
    port: int = 8080,
    settings: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An inbound check: `client` calls the local inbound whose tags are `local_tags`.

    identity: `certificate` (principal and the peer certificate, as with include_peer_certificate),
    `session` (principal and the certificate's URI SANs as dynamic metadata from Envoy's TLS session,
    decision-api.md), `principal` (the principal only), or `none` (plaintext: no TLS identity at all).
    spiffe_ids: the client certificate's URI SANs exactly (a MeshIdentity certificate has one), in
    place of the Kuma URIs of `client`'s tags. sni: the TLS server name (include_tls_session).
    dataplane: the local Dataplane's `name`, `namespace`, `labels` and `inbound` (the inbound's
    name), as the context extensions carry them (decision-api.md); port: the inbound's port.
    settings: the context extensions exactly, in place of the mesh, `local_tags` and `dataplane`
    (e.g. generator.model.check_settings.inbound_settings, as deploy/ writes them).
    """
    local_service = local_tags.get("kuma.io/service", "")
    attributes: dict[str, Any] = {
        "source": {"address": {"socketAddress": {"address": "10.0.0.7", "portValue": 51234}}},
        "destination": {
            "address": {"socketAddress": {"address": "10.0.0.9", "portValue": port}},
            "principal": f"spiffe://{mesh}/{local_service}",
        },
        "contextExtensions": (
            dict(settings)
            if settings is not None
            else {"kuma.io/mesh": mesh, **local_tags, **dataplane_settings(dataplane)}
        ),
        "metadataContext": {},
    }
    if sni is not None:
        attributes["tlsSession"] = {"sni": sni}
    if spiffe_ids is not None and identity != "none":
        attributes["source"]["principal"] = spiffe_ids[0]
        if identity == "certificate":
            pem = workload_certificate(mesh, (), tuple(spiffe_ids)).certificate_pem
            attributes["source"]["certificate"] = envoy_encoded(pem)
        elif identity == "session":
            attributes["metadataContext"] = session_metadata(spiffe_ids)
    elif client is not None and identity != "none":
        tags = normalise_tags(client)
        issuing_mesh = client_mesh or mesh
        services = dict(tags).get("kuma.io/service", ("unknown",))
        attributes["source"]["principal"] = f"spiffe://{issuing_mesh}/{services[0]}"
        if identity == "certificate":
            pem = workload_certificate(issuing_mesh, tags).certificate_pem
            attributes["source"]["certificate"] = envoy_encoded(pem)
        elif identity == "session":
            attributes["metadataContext"] = session_metadata(kuma_uris(issuing_mesh, tags))
    if http:
        headers = {
            ":authority": f"{local_service}:8080",
            ":method": "GET",
            ":path": "/",
            **(extra_headers or {}),
        }
        attributes["request"] = {
            "http": {
                "method": "GET",
                "path": "/",
                "host": f"{local_service}:8080",
                "protocol": "HTTP/1.1",
                "headers": headers,
            }
        }
    check: dict[str, Any] = {
        "attributes": attributes,
        "parsed_path": [""],
        "parsed_query": {},
        "version": {"ext_authz": "v3", "encoding": "protojson"},
    }
    if "principal" in attributes["source"]:
        check["source_principal"] = attributes["source"]["principal"]
    return check


def session_metadata(uris: Sequence[str]) -> dict[str, Any]:
    """The client certificate's URI SANs as Envoy's %DOWNSTREAM_PEER_URI_SAN% puts them in the dynamic
    metadata it sends (generator/deploy/templates, decision-api.md)."""
    return {"filterMetadata": {"kuma.authz": {"peer_uri_sans": ",".join(uris)}}}


def dataplane_settings(dataplane: Mapping[str, Any] | None) -> dict[str, str]:
    """The local Dataplane's facts as context extensions (decision-api.md)."""
    if not dataplane:
        return {}
    settings = {}
    if "name" in dataplane:
        settings["kuma.io/dataplane-name"] = str(dataplane["name"])
    if "namespace" in dataplane:
        settings["kuma.io/dataplane-namespace"] = str(dataplane["namespace"])
    if "labels" in dataplane:
        settings["kuma.io/dataplane-labels"] = json.dumps(dataplane["labels"], sort_keys=True)
    if "inbound" in dataplane:
        settings["kuma.io/inbound-name"] = str(dataplane["inbound"])
    return settings


def outbound_check(
    local_tags: Mapping[str, str],
    *,
    address: str = "203.0.113.10",
    port: int = 443,
    host: str | None = None,
    sni: str | None = None,
    mesh: str = "default",
    protocol: str = "HTTP/1.1",
    content_type: str | None = None,
) -> dict[str, Any]:
    """An outbound check: the local proxy (tags `local_tags`) calls `address:port`, with an HTTP host
    (HTTP ext_authz filter) or a TLS server name (network filter), or neither (plain TCP)."""
    attributes: dict[str, Any] = {
        "source": {"address": {"socketAddress": {"address": "10.0.0.7", "portValue": 40000}}},
        "destination": {"address": {"socketAddress": {"address": address, "portValue": port}}},
        "contextExtensions": {"kuma.io/mesh": mesh, "kuma.io/direction": "outbound", **local_tags},
        "metadataContext": {},
    }
    if host is not None:
        headers = {":authority": host, ":method": "GET", ":path": "/"}
        if content_type:
            headers["content-type"] = content_type
        attributes["request"] = {
            "http": {"method": "GET", "path": "/", "host": host, "protocol": protocol, "headers": headers}
        }
    if sni is not None:
        attributes["tlsSession"] = {"sni": sni}
    return {
        "attributes": attributes,
        "parsed_path": [""],
        "parsed_query": {},
        "version": {"ext_authz": "v3", "encoding": "protojson"},
    }
