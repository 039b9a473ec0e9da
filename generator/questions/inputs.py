"""The OPA-Envoy input (ext_authz v3, protobuf-JSON) that stands for a question's parties: the
fields the library reads (docs/decision-api.md), as Envoy and OPA-Envoy would fill them."""

from __future__ import annotations

import json
from typing import Any

from generator.questions.certificates import envoy_certificate
from generator.questions.parties import Client, Destination, Inbound


def inbound_input(mesh: str, inbound: Inbound, client: Client) -> dict[str, Any]:
    settings: dict[str, str] = {"kuma.io/mesh": mesh, **inbound.tags}
    if inbound.dataplane_name:
        settings["kuma.io/dataplane-name"] = inbound.dataplane_name
    if inbound.dataplane_namespace:
        settings["kuma.io/dataplane-namespace"] = inbound.dataplane_namespace
    if inbound.labels:
        settings["kuma.io/dataplane-labels"] = json.dumps(inbound.labels, sort_keys=True)
    if inbound.inbound_name:
        settings["kuma.io/inbound-name"] = inbound.inbound_name
    source: dict[str, Any] = {"address": {"socketAddress": {"address": "10.0.0.7", "portValue": 51234}}}
    if not client.plaintext:
        uri_sans = client.uri_sans(mesh)
        source["principal"] = uri_sans[0]
        source["certificate"] = envoy_certificate(tuple(uri_sans))
    attributes: dict[str, Any] = {
        "source": source,
        "destination": {"address": {"socketAddress": {"address": "10.0.0.9", "portValue": inbound.port}}},
        "contextExtensions": settings,
    }
    if inbound.sni:
        attributes["tlsSession"] = {"sni": inbound.sni}
    return {"attributes": attributes, "version": {"ext_authz": "v3", "encoding": "protojson"}}


def outbound_input(mesh: str, local_tags: dict[str, str], destination: Destination) -> dict[str, Any]:
    """The local proxy (its inbound's tags) connects to `destination`: the HTTP ext_authz filter sees
    the request's host, the network filter the TLS server name, plain TCP neither."""
    attributes: dict[str, Any] = {
        "source": {"address": {"socketAddress": {"address": "10.0.0.7", "portValue": 40000}}},
        "destination": {"address": {"socketAddress": {"address": destination.address, "portValue": destination.port}}},
        "contextExtensions": {"kuma.io/mesh": mesh, "kuma.io/direction": "outbound", **local_tags},
    }
    if destination.protocol in ("http", "http2", "grpc"):
        host = destination.host if destination.port in (80, 443) else f"{destination.host}:{destination.port}"
        headers = {":authority": host, ":method": "GET", ":path": "/"}
        if destination.protocol == "grpc":
            headers["content-type"] = "application/grpc"
        version = "HTTP/1.1" if destination.protocol == "http" else "HTTP/2"
        attributes["request"] = {
            "http": {"method": "GET", "path": "/", "host": host, "protocol": version, "headers": headers}
        }
    elif destination.protocol == "tls":
        attributes["tlsSession"] = {"sni": destination.host}
    return {"attributes": attributes, "version": {"ext_authz": "v3", "encoding": "protojson"}}
