"""Each sidecar's OPA-Envoy fetches its own split bundle (docs/split.md) from the real nginx and decides
real Envoy traffic with it: the server sidecar its Dataplane's bundle, built with an inventory that
describes the deployed sidecar exactly, whose decision tables answer the checks Envoy sends (with the
client's URI SANs from the TLS session, deploy/'s default, and with its certificate); the client
sidecar its service's bundle. A change to another service's policy leaves their bundles untouched, a
change to the server's own policy reaches it within the polling interval."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from generator.deploy.render import Deployment, Polling, render
from tests.support.deployment import Answer, Mesh, OpaEnvoy, http_get, start_mesh, tcp_exchange, wait_until
from tests.support.opa import OpaServer
from tests.support.tools import ROOT

pytestmark = pytest.mark.e2e

POLLING = Polling(min_delay_seconds=1, max_delay_seconds=2)
ACTIVATION_SLACK_SECONDS = 1.5
SCENARIOS = Path(__file__).parent / "split"
MESH_POLICY, PAYMENTS_POLICY, LEDGER_POLICY = "mesh.yaml", "payments-accepts-orders.yaml", "ledger-accepts-web.yaml"
SPLIT = "split"
PAYMENTS = f"{SPLIT}/default/services/payments.tar.gz"
PAYMENTS_DATAPLANE = f"{SPLIT}/default/dataplanes/payments.tar.gz"
ORDERS = f"{SPLIT}/default/services/orders.tar.gz"
LEDGER = f"{SPLIT}/default/services/ledger.tar.gz"
INVENTORY = "dataplanes.yaml"
WHOLE = "whole.tar.gz"  # the whole-mesh bundle of the same build, not served: what the split must agree with
INBOUND_DECISION = "kuma/authz/inbound/decision"  # what OPA-Envoy logs as the path of an ext_authz check
TABLE_DECISION = "kuma/authz/inbound/table_decision"
TCP_REQUEST = b"GET /over-tcp HTTP/1.0\r\nHost: payments\r\n\r\n"


def split(work: Path, served: Path, denying: Collection[str] = ()) -> dict[str, str]:
    """`gen-bundle --split --inventory` as users run it, on the scenario policies with the action of the
    files `denying` turned to Deny; the revision of every split bundle, by file."""
    policies = work / "policies"
    policies.mkdir(exist_ok=True)
    for name in (MESH_POLICY, PAYMENTS_POLICY, LEDGER_POLICY):
        text = (SCENARIOS / name).read_text()
        (policies / name).write_text(text.replace("action: Allow", "action: Deny") if name in denying else text)
    command = [sys.executable, "-m", "generator", str(policies), "-o", str(work / WHOLE), "-q"]
    command += ["--split", str(served / SPLIT), "--inventory", str(work / INVENTORY)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    index = json.loads((served / SPLIT / "index.json").read_text())
    return {f"{SPLIT}/{entry['file']}": entry["revision"] for entry in index["bundles"]}


def write_inventory(deployment: Deployment, path: Path) -> None:
    """The server sidecar as `kumactl get dataplanes -o yaml` would list it: its Dataplane's name and
    labels, and an inbound with its tags at each listener's port. Envoy's ext_authz sends the
    listener's own address as a check's destination (the port a decision table is keyed by)."""
    server = deployment.server
    assert server.dataplane is not None
    assert not server.dataplane.namespace  # a Universal Dataplane
    inbounds = [{"port": port, "tags": dict(server.tags)} for port in (server.http_port, server.tcp_port)]
    dataplane = {
        "type": "Dataplane",
        "mesh": deployment.mesh,
        "name": server.dataplane.name,
        "labels": dict(server.dataplane.labels),
        "networking": {"address": server.host, "inbound": inbounds},
    }
    path.write_text(yaml.safe_dump({"items": [dataplane], "total": 1, "next": None}))


def served_folder() -> Iterator[Path]:
    # nginx's workers drop root privileges (to nobody): the served folder must be readable by anyone.
    folder = Path(tempfile.mkdtemp(prefix="gen-bundle-split-served-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def split_mesh(work: Path, served: Path, peer_identity: str) -> Iterator[Mesh]:
    """The deployment with the server sidecar's OPA-Envoy on its Dataplane's split bundle."""

    def build(deployment: Deployment) -> None:  # once the ports are chosen, before OPA-Envoy fetches
        write_inventory(deployment, work / INVENTORY)
        split(work, served)

    resources = (PAYMENTS_DATAPLANE, ORDERS)
    yield from start_mesh(work, served, POLLING, resources, before_start=build, peer_identity=peer_identity)


@pytest.fixture(scope="module")
def served() -> Iterator[Path]:
    yield from served_folder()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-split")


@pytest.fixture(scope="module")
def mesh(work: Path, served: Path) -> Iterator[Mesh]:
    yield from split_mesh(work, served, "metadata")


def serve(mesh: Mesh, work: Path, served: Path, denying: Collection[str] = ()) -> dict[str, str]:
    """`split`, then wait until the server sidecar's OPA-Envoy has activated its Dataplane's bundle."""
    revisions = split(work, served, denying)
    wait_until(
        lambda: mesh.opa_server.revision() == revisions[PAYMENTS_DATAPLANE],
        POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS,
        "the server sidecar's OPA-Envoy to activate its rewritten bundle",
    )
    return revisions


def test_each_sidecar_activates_its_own_bundle_and_decides_with_it(mesh: Mesh, work: Path, served: Path) -> None:
    revisions = split(work, served)
    assert mesh.opa_server.revision() == revisions[PAYMENTS_DATAPLANE]
    assert mesh.opa_client.revision() == revisions[ORDERS]
    answer = http_get(mesh.deployment.client.http_port, "/")
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.decision_headers["x-kuma-authz-policy"] == "MeshTrafficPermission/default/payments-accepts-orders"


# --- decision tables -----------------------------------------------------------------------------


def logged_check(opa: OpaEnvoy, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The newest ext_authz check in `opa`'s decision log whose attributes `matches` (waiting until
    OPA-Envoy has written it: it logs after answering Envoy)."""
    found: list[dict[str, Any]] = []

    def logged() -> bool:
        found[:] = [
            entry
            for entry in reversed(opa.decisions())
            if entry.get("path") == INBOUND_DECISION and matches(entry["input"]["attributes"])
        ][:1]
        return bool(found)

    wait_until(logged, 5, f"the check in {opa.name}'s decision log")
    return found[0]


def http_check(path: str) -> Callable[[dict[str, Any]], bool]:
    return lambda attributes: attributes.get("request", {}).get("http", {}).get("path") == path


def table_answer(opa: OpaEnvoy, check_input: dict[str, Any]) -> dict[str, Any] | None:
    """What the sidecar's own OPA-Envoy (its REST API, the same bundle) answers from its decision
    tables for `check_input`; None when no table answers it."""
    response = requests.post(f"{opa.url}/v1/data/{TABLE_DECISION}", json={"input": check_input}, timeout=5)
    response.raise_for_status()
    answer: dict[str, Any] | None = response.json().get("result")
    return answer


def assert_enforced(answer: Answer, decision: dict[str, Any]) -> None:
    """Envoy did what `decision` says: the status, and the decision's headers on the response."""
    assert answer.status == (200 if decision["allowed"] else decision["http_status"]), (answer.status, answer.body)
    assert answer.decision_headers == decision["headers"]


def whole_bundle_opa(mesh: Mesh, work: Path, served: Path) -> Iterator[OpaServer]:
    """A plain OPA with the whole-mesh bundle of the served (allowing) revision, labelled as the server
    sidecar's OPA-Envoy is (checks without context extensions read the local side from the labels)."""
    serve(mesh, work, served)
    labels = yaml.safe_load(render(mesh.deployment)[f"opa-{mesh.deployment.server.name}.yaml"])["labels"]
    with OpaServer(work / WHOLE, labels=labels) as opa:
        yield opa


@pytest.fixture(scope="module")
def whole(mesh: Mesh, work: Path, served: Path) -> Iterator[OpaServer]:
    yield from whole_bundle_opa(mesh, work, served)


def assert_tables_answer_what_envoy_enforced(mesh: Mesh, whole: OpaServer) -> list[dict[str, Any]]:
    """An allowed (orders, through its sidecar) and a denied (web) request of a Kuma-identity client:
    the check Envoy sent is answered by the decision table, which is what Envoy enforced and what the
    whole-mesh bundle decides for the same check. The two checks' inputs."""
    server = mesh.deployment.server
    allowed = http_get(mesh.deployment.client.http_port, "/tables/orders")
    denied = http_get(server.http_port, "/tables/web", tls=mesh.issue("web", {"kuma.io/service": "web"}))
    assert (allowed.status, denied.status) == (200, 403), (allowed.body, denied.body)
    inputs = []
    for answer, path in ((allowed, "/tables/orders"), (denied, "/tables/web")):
        check = logged_check(mesh.opa_server, http_check(path))
        assert check["input"]["attributes"]["destination"]["address"]["socketAddress"]["portValue"] == server.http_port
        assert table_answer(mesh.opa_server, check["input"]) == check["result"], path
        assert_enforced(answer, check["result"])
        assert whole.query(INBOUND_DECISION, check["input"]) == check["result"], path
        inputs.append(check["input"])
    assert denied.decision_headers["x-kuma-authz-reason"] == "no-matching-rule"
    return inputs


def test_the_dataplane_bundles_tables_answer_the_checks_envoy_sends(mesh: Mesh, whole: OpaServer) -> None:
    for check in assert_tables_answer_what_envoy_enforced(mesh, whole):
        # the client's URI SANs from Envoy's TLS session, no certificate (deploy/'s default)
        assert check["attributes"]["metadataContext"]["filterMetadata"]["kuma.authz"]["peer_uri_sans"]
        assert not check["attributes"]["source"].get("certificate")


@pytest.fixture(scope="module")
def certificate_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-split-certificate")


@pytest.fixture(scope="module")
def certificate_served() -> Iterator[Path]:
    yield from served_folder()


@pytest.fixture(scope="module")
def certificate_mesh(certificate_work: Path, certificate_served: Path) -> Iterator[Mesh]:
    yield from split_mesh(certificate_work, certificate_served, "certificate")


@pytest.fixture(scope="module")
def certificate_whole(certificate_mesh: Mesh, certificate_work: Path, certificate_served: Path) -> Iterator[OpaServer]:
    yield from whole_bundle_opa(certificate_mesh, certificate_work, certificate_served)


def test_with_the_client_certificate_in_the_check_the_tables_answer_too(
    certificate_mesh: Mesh, certificate_whole: OpaServer
) -> None:
    """`peer_identity: certificate` (setups that cannot pass the TLS session's URI SANs): Envoy sends the
    client's certificate, and the decision tables answer those checks as well."""
    for check in assert_tables_answer_what_envoy_enforced(certificate_mesh, certificate_whole):
        assert check["attributes"]["source"]["certificate"].startswith("-----BEGIN%20CERTIFICATE")
        assert not check["attributes"].get("metadataContext")


def test_checks_no_table_answers_are_decided_by_the_chain_as_the_whole_bundle_does(
    mesh: Mesh, whole: OpaServer
) -> None:
    """A client certificate naming two services, and a TCP connection (its check carries no context
    extensions: OPA-Envoy's labels give the local side), are not answered by a table; the chain of the
    same split bundle decides them as the whole-mesh bundle does."""
    server = mesh.deployment.server
    two_services = mesh.certificates / "orders-and-web"
    mesh.ca.write_workload(two_services, {}, days=1, uris=["spiffe://default/orders", "spiffe://default/web"])
    answer = http_get(server.http_port, "/tables/two-services", tls=mesh.client_tls(two_services.name))
    over_tcp = tcp_exchange(mesh.deployment.client.tcp_port, TCP_REQUEST)
    assert over_tcp.startswith(b"HTTP/1.1 200"), over_tcp[:200]

    http = logged_check(mesh.opa_server, http_check("/tables/two-services"))
    tcp = logged_check(
        mesh.opa_server,
        lambda attributes: attributes["destination"]["address"]["socketAddress"]["portValue"] == server.tcp_port,
    )
    assert "contextExtensions" not in tcp["input"]["attributes"]
    for check in (http, tcp):
        assert table_answer(mesh.opa_server, check["input"]) is None
        assert whole.query(INBOUND_DECISION, check["input"]) == check["result"]
    assert_enforced(answer, http["result"])
    assert tcp["result"]["allowed"] is True


# --- live updates --------------------------------------------------------------------------------


def test_only_the_bundles_a_change_affects_are_rewritten_and_reloaded(mesh: Mesh, work: Path, served: Path) -> None:
    before = serve(mesh, work, served)
    stamps = {file: (served / file).stat().st_mtime_ns for file in before}

    after = split(work, served, denying={LEDGER_POLICY})  # another service's policy
    assert {file for file in before if after[file] != before[file]} == {LEDGER}
    assert {file for file in before if (served / file).stat().st_mtime_ns != stamps[file]} == {LEDGER}

    denied = serve(mesh, work, served, denying={LEDGER_POLICY, PAYMENTS_POLICY})  # the server's own policy
    assert {file for file in after if denied[file] != after[file]} == {PAYMENTS, PAYMENTS_DATAPLANE}
    answer = http_get(mesh.deployment.client.http_port, "/")
    assert answer.status == 403, (answer.status, answer.body)
    assert answer.decision_headers["x-kuma-authz-reason"] == "denied-by-policy"
    assert mesh.opa_client.revision() == before[ORDERS]
