"""The whole chain with the real parts: `gen-bundle` writes the bundle into the folder nginx serves,
OPA-Envoy downloads and polls it, and real Envoy sidecars (mTLS with Kuma-style certificates) ask
OPA-Envoy over gRPC before any request or connection reaches the app. Configured from
generator/deploy/templates/ (tests/support/deployment.py). One deployment for the module: servers
start once (OPA-Envoy of the server sidecar is restarted once, by the fail-closed test)."""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from generator.deploy.certs import MeshCA
from generator.deploy.render import PEER_IDENTITY_HEADER, PEER_IDENTITY_NAMESPACE, Polling
from tests.support.deployment import (
    Answer,
    Mesh,
    OpaEnvoy,
    bundle_revision,
    gen_bundle,
    http_get,
    mtls_context,
    replace_atomically,
    seen_as_new,
    start_mesh,
    tcp_exchange,
    wait_until,
)

pytestmark = pytest.mark.e2e

POLLING = Polling(min_delay_seconds=1, max_delay_seconds=2)
# Download, activation and the check itself, on top of the polling delay.
ACTIVATION_SLACK_SECONDS = 1.5

MESH = """\
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
networking:
  outbound:
    passthrough: false
"""

# payments (inbound tags app: payments) accepts orders in env prod; the env tag is only in the client
# certificate's kuma:// URI SANs, so the allow also proves Envoy sends the peer certificate.
PERMISSION = """\
type: MeshTrafficPermission
name: payments-accepts-orders
mesh: default
spec:
  targetRef:
    kind: MeshSubset
    tags:
      app: payments
  from:
    - targetRef:
        kind: MeshSubset
        tags:
          kuma.io/service: orders
          env: prod
      default:
        action: {action}
"""

EXTERNAL = """\
type: ExternalService
mesh: default
name: partner-api
tags:
  kuma.io/service: partner-api
  kuma.io/protocol: http
networking:
  address: api.partner.test:80
---
type: TrafficPermission
name: orders-to-partner-api
mesh: default
sources:
  - match:
      kuma.io/service: orders
destinations:
  - match:
      kuma.io/service: partner-api
"""

ALLOWING_POLICY = "MeshTrafficPermission/default/payments-accepts-orders"
INTRUDER_TAGS = {"kuma.io/service": "intruder", "env": "prod"}
# The URI SANs of the client sidecar's certificate as Envoy joins them (%DOWNSTREAM_PEER_URI_SAN%).
ORDERS_URI_SANS = "spiffe://default/orders,kuma://env/prod,kuma://kuma.io/service/orders"
INTRUDER_URI_SANS = "spiffe://default/intruder,kuma://env/prod,kuma://kuma.io/service/intruder"
# Every place a client might try to name the identity of orders: the header Envoy turns into the
# metadata, the metadata's own names, Kuma-ish headers and an x-forwarded-client-cert.
FORGED_ORDERS_IDENTITY = {
    PEER_IDENTITY_HEADER: ORDERS_URI_SANS,
    PEER_IDENTITY_NAMESPACE: ORDERS_URI_SANS,
    "peer_uri_sans": ORDERS_URI_SANS,
    "x-kuma-tags": "&kuma.io/service=orders&&env=prod&",
    "x-forwarded-client-cert": "By=spiffe://default/payments;URI=spiffe://default/orders",
}
TCP_REQUEST = b"GET /over-tcp HTTP/1.0\r\nHost: payments\r\n\r\n"


def write_policies(folder: Path, action: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mesh.yaml").write_text(MESH)
    (folder / "permission.yaml").write_text(PERMISSION.replace("{action}", action))
    (folder / "external.yaml").write_text(EXTERNAL)
    return folder


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    work = tmp_path_factory.mktemp("e2e")
    # nginx's workers drop root privileges (to nobody): the served folder must be readable by anyone.
    served = Path(tempfile.mkdtemp(prefix="gen-bundle-served-"))
    os.chmod(served, 0o755)
    try:
        gen_bundle(write_policies(work / "policies", "Allow"), served / "bundle.tar.gz")
        yield from start_mesh(work, served, POLLING)
    finally:
        shutil.rmtree(served, ignore_errors=True)


@pytest.fixture
def intruder(mesh: Mesh) -> str:
    """A client with a valid mesh certificate that no policy admits."""
    mesh.issue("intruder", INTRUDER_TAGS)
    return "intruder"


def via_client_sidecar(mesh: Mesh, path: str = "/", headers: dict[str, str] | None = None) -> Answer:
    return http_get(mesh.deployment.client.http_port, path, headers)


def direct_to_server_sidecar(mesh: Mesh, client: str, headers: dict[str, str] | None = None) -> Answer:
    return http_get(mesh.deployment.server.http_port, "/", headers, tls=mesh.client_tls(client))


def assert_allowed(answer: Answer) -> None:
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.json()["app"] == "payments"
    assert answer.decision_headers == {
        "x-kuma-authz-decision": "allow",
        "x-kuma-authz-reason": "allowed-by-policy",
        "x-kuma-authz-policy": ALLOWING_POLICY,
    }


# --- serving -------------------------------------------------------------------------------------


def test_bundle_server_answers_an_unchanged_bundle_with_304(mesh: Mesh) -> None:
    url = f"{mesh.deployment.bundle_server.url}/bundle.tar.gz"
    first = requests.get(url, timeout=5)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/gzip"
    assert first.content == mesh.bundle.read_bytes()
    etag = first.headers["ETag"]
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304
    # OPA-Envoy polls with the ETag it got, so its polls of the unchanged bundle are 304s too.
    access_log = Path(mesh.deployment.bundle_server.access_log)
    wait_until(
        lambda: any(
            '"GET /bundle.tar.gz' in line and '" 304 ' in line and "python-requests" not in line
            for line in access_log.read_text().splitlines()
        ),
        POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS,
        "a 304 answer to an OPA-Envoy poll in nginx's access log",
    )
    assert requests.get(f"{mesh.opa_server.url}/v1/data/system/bundles/kuma/etag", timeout=5).json()["result"] == etag


def test_bundle_server_hides_gen_bundles_temporary_files(mesh: Mesh) -> None:
    temporary = mesh.served / ".bundle.tar.gz.half-written.tmp"
    temporary.write_bytes(b"partial")
    os.chmod(temporary, 0o644)
    try:
        response = requests.get(f"{mesh.deployment.bundle_server.url}/{temporary.name}", timeout=5)
        assert response.status_code == 404
    finally:
        temporary.unlink()


def test_both_opa_envoy_instances_activate_the_served_bundle(mesh: Mesh) -> None:
    revision = bundle_revision(mesh.bundle)
    assert mesh.opa_server.revision() == revision
    assert mesh.opa_client.revision() == revision


# --- inbound, HTTP -------------------------------------------------------------------------------


def test_allowed_client_gets_the_upstreams_answer_and_the_deciding_policy(mesh: Mesh) -> None:
    answer = via_client_sidecar(mesh, "/charges/42")
    assert_allowed(answer)
    upstream_saw = answer.json()
    assert upstream_saw["path"] == "/charges/42"
    # on allow the decision's headers go to the app too
    assert upstream_saw["headers"]["x-kuma-authz-policy"] == ALLOWING_POLICY


def test_denied_client_gets_403_with_the_reason_and_the_policy_that_selects_the_inbound(
    mesh: Mesh, intruder: str
) -> None:
    answer = direct_to_server_sidecar(mesh, intruder)
    assert answer.status == 403
    # no entry applies to the intruder: the denial names where an entry for it would go
    assert answer.decision_headers == {
        "x-kuma-authz-decision": "deny",
        "x-kuma-authz-reason": "no-matching-rule",
        "x-kuma-authz-policy": ALLOWING_POLICY,
    }
    assert answer.body == b"kuma: denied (no-matching-rule) by MeshTrafficPermission default/payments-accepts-orders"


def test_client_without_a_mesh_certificate_is_refused_by_the_tls_handshake(mesh: Mesh) -> None:
    context = ssl.create_default_context(cafile=str(mesh.certificates / "orders" / "ca.pem"))
    context.check_hostname = False
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        http_get(mesh.deployment.server.http_port, "/", tls=context)


def test_forged_identity_headers_change_no_decision(mesh: Mesh, intruder: str) -> None:
    denied = direct_to_server_sidecar(mesh, intruder)
    denied_forged = direct_to_server_sidecar(mesh, intruder, FORGED_ORDERS_IDENTITY)
    assert denied_forged.status == denied.status == 403
    assert denied_forged.decision_headers == denied.decision_headers
    # OPA got the intruder's own URI SANs, from Envoy's TLS session, and none of the forged header
    entry = wait_for_decision(mesh, lambda e: "x-kuma-tags" in request_headers(e))
    assert peer_uri_sans(entry) == INTRUDER_URI_SANS
    assert PEER_IDENTITY_HEADER not in request_headers(entry)

    pretending_to_be_intruder = {
        PEER_IDENTITY_HEADER: INTRUDER_URI_SANS,
        "x-kuma-tags": "&kuma.io/service=intruder&",
        "x-forwarded-client-cert": "URI=spiffe://default/intruder",
    }
    allowed = direct_to_server_sidecar(mesh, "orders", pretending_to_be_intruder)
    assert_allowed(allowed)
    # the server sidecar drops a client's x-forwarded-client-cert, and the identity header it writes
    # itself, before the app sees them
    assert "x-forwarded-client-cert" not in allowed.json()["headers"]
    assert PEER_IDENTITY_HEADER not in allowed.json()["headers"]


def test_http_checks_carry_the_verified_uri_sans_as_metadata_instead_of_the_certificate(mesh: Mesh) -> None:
    # The policy needs env: prod, which only the client certificate's URI SANs carry: with no
    # certificate in the check, the allow is the metadata's doing.
    assert_allowed(via_client_sidecar(mesh, "/identity-from-metadata"))
    entry = wait_for_decision(mesh, lambda e: http_path(e) == "/identity-from-metadata")
    assert peer_uri_sans(entry) == ORDERS_URI_SANS
    assert "certificate" not in check_attributes(entry)["source"]
    assert check_attributes(entry)["source"]["principal"] == "spiffe://default/orders"


def test_a_plaintext_client_gets_no_identity_from_a_forged_header(mesh: Mesh) -> None:
    # The client sidecar's outbound check listener is plaintext (the app talks to its own sidecar):
    # there is no peer certificate, so no metadata, and the forged header is gone before the check.
    answer = http_get(mesh.deployment.client.external_port, "/plaintext", FORGED_ORDERS_IDENTITY | {"Host": "x.test"})
    assert answer.status == 403
    entry = wait_for_decision(mesh, lambda e: http_path(e) == "/plaintext", mesh.opa_client)
    assert PEER_IDENTITY_NAMESPACE not in filter_metadata(entry)
    assert "certificate" not in check_attributes(entry)["source"]
    assert PEER_IDENTITY_HEADER not in request_headers(entry)


def test_a_certificate_from_another_ca_is_refused_by_the_tls_handshake(mesh: Mesh, tmp_path: Path) -> None:
    # orders' very tags, signed by a CA the mesh does not trust: no handshake, so no identity to claim
    MeshCA.create("default", days=1).write_workload(tmp_path, {"kuma.io/service": "orders", "env": "prod"}, days=1)
    context = mtls_context(tmp_path)
    context.verify_mode = ssl.CERT_NONE  # the client does not check the server: only the server decides
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        http_get(mesh.deployment.server.http_port, "/", tls=context)


def test_opa_envoy_keeps_every_segment_of_a_double_slash_path(mesh: Mesh) -> None:
    # The parsed_path bypass fixed in opa-envoy-plugin v1.13.2-envoy-2: `//admin/x` lost `admin`.
    assert_allowed(via_client_sidecar(mesh, "//admin/x"))
    entry = wait_for_decision(mesh, lambda e: http_path(e) == "//admin/x")
    assert entry["input"]["parsed_path"] == ["admin", "x"]
    assert entry["path"] == "kuma/authz/inbound/decision"


# --- inbound, TCP --------------------------------------------------------------------------------


def test_tcp_inbound_admits_the_client_by_the_inbound_tags_in_opa_labels(mesh: Mesh) -> None:
    # The policy selects `app: payments`, a tag only the OPA labels carry for a network-filter check.
    answer = tcp_exchange(mesh.deployment.client.tcp_port, TCP_REQUEST)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"path": "/over-tcp"' in answer
    entry = wait_for_decision(
        mesh, lambda e: "request" not in check_attributes(e) and e.get("result", {}).get("allowed") is True
    )
    assert entry["input"]["attributes"]["source"]["principal"] == "spiffe://default/orders"
    # no network filter can write the URI SANs into metadata: the TCP check parses the certificate
    assert entry["input"]["attributes"]["source"]["certificate"]
    assert PEER_IDENTITY_NAMESPACE not in filter_metadata(entry)
    assert entry["result"]["dynamic_metadata"]["reason"] == "allowed-by-policy"
    assert entry["result"]["dynamic_metadata"]["policy"]["name"] == "payments-accepts-orders"


def test_tcp_inbound_closes_a_denied_clients_connection(mesh: Mesh, intruder: str) -> None:
    answer = tcp_exchange(mesh.deployment.server.tcp_port, TCP_REQUEST, tls=mesh.client_tls(intruder))
    assert answer == b""


# --- outbound ------------------------------------------------------------------------------------


def test_outbound_check_lets_the_client_reach_an_external_service_it_may_use(mesh: Mesh) -> None:
    answer = http_get(mesh.deployment.client.external_port, "/status", {"Host": "api.partner.test"})
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.json()["app"] == "external"
    assert answer.decision_headers == {
        "x-kuma-authz-decision": "allow",
        "x-kuma-authz-reason": "external-service-allowed",
        "x-kuma-authz-policy": "TrafficPermission/default/orders-to-partner-api",
    }


def test_outbound_check_blocks_passthrough_when_the_mesh_disables_it(mesh: Mesh) -> None:
    answer = http_get(mesh.deployment.client.external_port, "/", {"Host": "elsewhere.test"})
    assert answer.status == 403
    assert answer.decision_headers == {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "passthrough-blocked"}


# --- failure and live update ---------------------------------------------------------------------


def test_requests_fail_closed_while_opa_envoy_is_unreachable(mesh: Mesh) -> None:
    mesh.opa_server.stop()
    try:
        answer = via_client_sidecar(mesh)
        assert answer.status == mesh.deployment.status_on_error
        assert "x-kuma-authz-decision" not in answer.headers
        assert tcp_exchange(mesh.deployment.client.tcp_port, TCP_REQUEST) == b""
    finally:
        mesh.opa_server.start()
        mesh.opa_server.wait_ready()
    assert_allowed(via_client_sidecar(mesh))


def test_changed_policy_flips_the_envoy_decision_without_a_restart(mesh: Mesh, tmp_path: Path) -> None:
    processes = {server.name: server.pid for server in mesh.servers}
    original = mesh.bundle.read_bytes()
    original_mtime = mesh.bundle.stat().st_mtime
    assert_allowed(via_client_sidecar(mesh))

    new_revision = gen_bundle(write_policies(tmp_path / "policies", "Deny"), mesh.bundle)
    assert mesh.bundle.read_bytes() != original
    seen_as_new(mesh.bundle, original_mtime)
    try:
        took = wait_until(
            lambda: mesh.opa_server.revision() == new_revision,
            POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS,
            "OPA-Envoy activates the new revision",
        )
        assert took <= POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS

        denied = via_client_sidecar(mesh)
        assert denied.status == 403
        assert denied.decision_headers == {
            "x-kuma-authz-decision": "deny",
            "x-kuma-authz-reason": "denied-by-policy",
            "x-kuma-authz-policy": ALLOWING_POLICY,
        }
        assert tcp_exchange(mesh.deployment.client.tcp_port, TCP_REQUEST) == b""
        assert {server.name: server.pid for server in mesh.servers if server.running()} == processes
    finally:
        restore(mesh, original)
    assert_allowed(via_client_sidecar(mesh))


def test_corrupt_bundle_keeps_the_last_good_revision_and_decisions(mesh: Mesh, tmp_path: Path) -> None:
    original = mesh.bundle.read_bytes()
    good_revision = bundle_revision(original)
    # a half-written bundle of a policy change that would deny
    changed = tmp_path / "changed.tar.gz"
    gen_bundle(write_policies(tmp_path / "policies", "Deny"), changed)
    replace_atomically(mesh.bundle, changed.read_bytes()[: len(original) // 2])
    try:
        wait_until(
            lambda: mesh.opa_server.bundle_status().get("code") == "bundle_error",
            POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS,
            "OPA-Envoy reports the corrupt download",
        )
        assert mesh.opa_server.revision() == good_revision
        assert_allowed(via_client_sidecar(mesh))
        assert tcp_exchange(mesh.deployment.client.tcp_port, TCP_REQUEST).startswith(b"HTTP/1.1 200")
    finally:
        restore(mesh, original)


# --- helpers -------------------------------------------------------------------------------------


def restore(mesh: Mesh, original: bytes) -> None:
    """Serve `original` again and wait until OPA-Envoy has activated it without error."""
    replace_atomically(mesh.bundle, original)
    revision = bundle_revision(original)
    wait_until(
        lambda: mesh.opa_server.revision() == revision and not mesh.opa_server.bundle_status().get("code"),
        POLLING.max_delay_seconds * 3 + ACTIVATION_SLACK_SECONDS,
        "OPA-Envoy activates the original bundle again",
    )


def wait_for_decision(
    mesh: Mesh, matches: Callable[[dict[str, Any]], bool], opa: OpaEnvoy | None = None
) -> dict[str, Any]:
    """The newest entry of an OPA-Envoy decision log (the server sidecar's by default) that `matches`
    (waiting for it to be written)."""
    found: list[dict[str, Any]] = []
    log = opa or mesh.opa_server

    def logged() -> bool:
        found[:] = [entry for entry in reversed(log.decisions()) if matches(entry)][:1]
        return bool(found)

    wait_until(logged, 5, "the decision in OPA-Envoy's decision log")
    return found[0]


def check_attributes(entry: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = entry.get("input", {}).get("attributes", {})
    return attributes


def http_path(entry: dict[str, Any]) -> str | None:
    path: str | None = check_attributes(entry).get("request", {}).get("http", {}).get("path")
    return path


def request_headers(entry: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = check_attributes(entry).get("request", {}).get("http", {}).get("headers", {})
    return headers


def filter_metadata(entry: dict[str, Any]) -> dict[str, Any]:
    """The dynamic metadata Envoy forwarded with the check, by namespace."""
    metadata: dict[str, Any] = check_attributes(entry).get("metadataContext", {}).get("filterMetadata", {})
    return metadata


def peer_uri_sans(entry: dict[str, Any]) -> str | None:
    """The client's URI SANs as Envoy's dynamic metadata handed them to OPA."""
    value: str | None = filter_metadata(entry).get(PEER_IDENTITY_NAMESPACE, {}).get("peer_uri_sans")
    return value
