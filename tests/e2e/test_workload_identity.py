"""MeshTrafficPermission rules[] end to end: MeshIdentity-style workload certificates (one SPIFFE ID
each, signed by the mesh CA) call the server sidecar; real Envoy hands OPA-Envoy the peer certificate
and the TLS session, and the bundle decides by rules[] as Kuma 2.14's RBAC would (docs/semantics.md
9-13): the server's Dataplane has a workload identity, the Dataplane ref selects it by its labels,
a deny wins, an sni match needs the server name the client asked for."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.deploy.render import PEER_IDENTITY_HEADER, Polling
from tests.support.deployment import Answer, Mesh, gen_bundle, http_get, start_mesh, tcp_exchange

pytestmark = pytest.mark.e2e

TRUST_DOMAIN = "default.zone-1.mesh.local"
ORDERS = f"spiffe://{TRUST_DOMAIN}/ns/shop/sa/orders"
INTRUDER = f"spiffe://{TRUST_DOMAIN}/ns/shop/sa/intruder"
PARTNER = f"spiffe://{TRUST_DOMAIN}/ns/partners/sa/billing"
PARTNER_SNI = "payments.partners.test"
POLICY = "MeshTrafficPermission/default/payments-clients"
KRI = "kri_mtp_default___payments-clients_"

# A Prefix may not end in "/" (Kuma refuses it), so the shop prefix ends at the namespace's name.
POLICIES = (
    """\
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends: [{name: ca-1, type: builtin}]
meshServices: {mode: Exclusive}
---
type: MeshIdentity
name: workloads
mesh: default
spec:
  selector:
    dataplane:
      matchLabels: {app: payments}
  provider:
    type: Bundled
    bundled:
      autogenerate: {enabled: true}
---
type: MeshTrafficPermission
name: payments-clients
mesh: default
spec:
  targetRef: {kind: Dataplane, labels: {app: payments}}
  rules:
    - default:
        allow:
          - spiffeID: {type: Prefix, value: "spiffe://TRUST_DOMAIN/ns/shop"}
          - spiffeID: {type: Prefix, value: "spiffe://TRUST_DOMAIN/ns/partners"}
            sni: {type: Exact, value: PARTNER_SNI}
        deny:
          - spiffeID: {type: Exact, value: "INTRUDER"}
""".replace("TRUST_DOMAIN", TRUST_DOMAIN)
    .replace("PARTNER_SNI", PARTNER_SNI)
    .replace("INTRUDER", INTRUDER)
)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    work = tmp_path_factory.mktemp("e2e-identity")
    served = Path(tempfile.mkdtemp(prefix="gen-bundle-served-"))
    os.chmod(served, 0o755)  # nginx's workers (nobody) read it
    try:
        folder = work / "policies"
        folder.mkdir()
        (folder / "policies.yaml").write_text(POLICIES)
        gen_bundle(folder, served / "bundle.tar.gz")
        yield from start_mesh(work, served, Polling(min_delay_seconds=1, max_delay_seconds=2))
    finally:
        shutil.rmtree(served, ignore_errors=True)


def call(mesh: Mesh, client: str, spiffe_id: str, server_name: str | None = None) -> Answer:
    tls = mesh.issue_identity(client, spiffe_id)
    return http_get(mesh.deployment.server.http_port, "/", tls=tls, server_name=server_name)


def test_a_workload_identity_the_rules_allow_reaches_the_app(mesh: Mesh) -> None:
    answer = call(mesh, "orders-identity", ORDERS)
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.json()["app"] == "payments"
    assert answer.decision_headers == {
        "x-kuma-authz-decision": "allow",
        "x-kuma-authz-reason": "allowed-by-policy",
        "x-kuma-authz-policy": POLICY,
    }


def test_a_matching_deny_wins_over_the_prefix_allow(mesh: Mesh) -> None:
    answer = call(mesh, "intruder-identity", INTRUDER)
    assert answer.status == 403
    assert answer.decision_headers["x-kuma-authz-reason"] == "denied-by-policy"


def test_an_sni_match_needs_the_server_name_from_the_tls_session(mesh: Mesh) -> None:
    with_name = call(mesh, "partner-identity", PARTNER, server_name=PARTNER_SNI)
    assert with_name.status == 200, (with_name.status, with_name.body)
    without = call(mesh, "partner-identity", PARTNER)
    assert without.status == 403
    assert without.decision_headers["x-kuma-authz-reason"] == "no-matching-rule"
    other_name = call(mesh, "partner-identity", PARTNER, server_name="other.partners.test")
    assert other_name.status == 403


def test_the_decision_log_names_the_matcher_as_envoys_rbac_does(mesh: Mesh) -> None:
    call(mesh, "orders-identity", ORDERS)
    entries = [
        entry
        for entry in mesh.opa_server.decisions()
        if entry.get("input", {}).get("attributes", {}).get("source", {}).get("principal") == ORDERS
    ]
    assert entries, "no decision logged for the orders identity"
    metadata = entries[-1]["result"]["dynamic_metadata"]
    assert metadata["rule"] == KRI
    assert metadata["match"] == {"spiffe": {"type": "Prefix", "value": f"spiffe://{TRUST_DOMAIN}/ns/shop"}}


def test_a_mesh_ca_certificate_with_several_uri_sans_never_matches_exact(mesh: Mesh) -> None:
    # the legacy certificate of orders: spiffe://default/orders plus kuma:// tags; Envoy joins them
    # with commas, so the Prefix on the new trust domain cannot match it either
    tls = mesh.issue("legacy-orders", {"kuma.io/service": "orders"})
    answer = http_get(mesh.deployment.server.http_port, "/", tls=tls)
    assert answer.status == 403
    assert answer.decision_headers["x-kuma-authz-reason"] == "no-matching-rule"


def test_forged_identity_headers_do_not_help(mesh: Mesh) -> None:
    tls = mesh.issue_identity("stranger", f"spiffe://{TRUST_DOMAIN}/ns/elsewhere/sa/x")
    forged = {
        PEER_IDENTITY_HEADER: ORDERS,  # the header Envoy writes the client's URI SANs into, then removes
        "x-forwarded-client-cert": f"URI={ORDERS}",
        "x-kuma-tags": "&kuma.io/service=orders&",
    }
    answer = http_get(mesh.deployment.server.http_port, "/", forged, tls=tls)
    assert answer.status == 403


def test_the_tcp_inbound_decides_by_the_same_rules(mesh: Mesh) -> None:
    request = b"GET /over-tcp HTTP/1.0\r\nHost: payments\r\n\r\n"
    allowed = tcp_exchange(mesh.deployment.server.tcp_port, request, tls=mesh.issue_identity("orders-tcp", ORDERS))
    assert allowed.startswith(b"HTTP/1.1 200")
    denied = tcp_exchange(mesh.deployment.server.tcp_port, request, tls=mesh.issue_identity("bad-tcp", INTRUDER))
    assert denied == b""
