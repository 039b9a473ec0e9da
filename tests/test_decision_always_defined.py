"""Every public rule answers every input, and answers deny when in doubt (decision-api.md): OPA-Envoy
turns an undefined decision into an error, so `{}`, strings, garbage and mistyped fields must all give a
defined deny with a reason code, through a real OPA."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from generator.build import build
from tests.support.checks import ALLOW_PATHS, DECISION_PATHS, inbound_check
from tests.support.opa import OpaServer

POLICIES = """
type: Mesh
name: default
mtls: {enabledBackend: ca-1, backends: [{name: ca-1, type: builtin}]}
---
type: MeshTrafficPermission
name: allow-all
mesh: default
spec:
  from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]
"""


def _valid() -> dict[str, Any]:
    return inbound_check({"kuma.io/service": "payments"}, {"kuma.io/service": "orders"})


def _with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    check = _valid()
    target = check
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return check


# Malformed for every direction.
MALFORMED: dict[str, Any] = {
    "empty object": {},
    "string": "allow me",
    "number": 42,
    "null": None,
    "list": [1, 2],
    "attributes not an object": {"attributes": "x"},
    "principal not a string": _with(("attributes", "source", "principal"), 7),
    "tag value not a string": _with(("attributes", "contextExtensions", "version"), 3),
    "context extensions not an object": _with(("attributes", "contextExtensions"), ["kuma.io/service"]),
    "unknown direction": _with(("attributes", "contextExtensions", "kuma.io/direction"), "sideways"),
    "mesh not a string": _with(("attributes", "contextExtensions", "kuma.io/mesh"), True),
}
# Malformed client identity: only inbound checks read it (outbound, the local proxy is the client).
MALFORMED_IDENTITY: dict[str, Any] = {
    "certificate garbage": _with(("attributes", "source", "certificate"), "-----BEGIN%20CERTIFICATE-----%0Azzz"),
    "certificate of the wrong type": _with(("attributes", "source", "certificate"), {"pem": "x"}),
}


@pytest.fixture(scope="module")
def opa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    folder = tmp_path_factory.mktemp("always-defined")
    (folder / "policies.yaml").write_text(POLICIES)
    result = build([str(folder / "policies.yaml")])
    assert result.bundle is not None
    (folder / "bundle.tar.gz").write_bytes(result.bundle.archive)
    with OpaServer(folder / "bundle.tar.gz") as server:
        yield server


def test_the_valid_request_is_allowed(opa: OpaServer) -> None:
    assert opa.query("kuma/authz/allow", _valid()) is True


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_input_is_denied_with_a_reason_on_every_path(opa: OpaServer, name: str) -> None:
    _assert_denied(opa, MALFORMED[name], ALLOW_PATHS, DECISION_PATHS)


@pytest.mark.parametrize("name", MALFORMED_IDENTITY)
def test_malformed_client_identity_is_denied_inbound(opa: OpaServer, name: str) -> None:
    _assert_denied(opa, MALFORMED_IDENTITY[name], ALLOW_PATHS[:2], DECISION_PATHS[:2])


def _assert_denied(opa: OpaServer, request: Any, allow_paths: list[str], decision_paths: list[str]) -> None:
    for path in allow_paths:
        assert opa.query(path, request) is False, path
    for path in decision_paths:
        decision = opa.query(path, request)
        assert decision["allowed"] is False, path
        assert decision["http_status"] == 403
        assert isinstance(decision["body"], str)
        assert decision["dynamic_metadata"]["reason"] in {"invalid-input", "foreign-identity", "no-identity"}
        assert decision["headers"]["x-kuma-authz-decision"] == "deny"


def test_a_principal_from_another_trust_domain_is_not_identity(opa: OpaServer) -> None:
    request = _with(("attributes", "source", "principal"), "spiffe://evil/orders")
    del request["attributes"]["source"]["certificate"]
    decision = opa.query("kuma/authz/inbound/decision", request)
    assert decision["allowed"] is False
    assert decision["dynamic_metadata"]["reason"] == "foreign-identity"


def test_a_principal_missing_from_the_certificate_is_refused(opa: OpaServer) -> None:
    request = _with(("attributes", "source", "principal"), "spiffe://default/admin")
    decision = opa.query("kuma/authz/inbound/decision", request)
    assert decision["allowed"] is False
    assert decision["dynamic_metadata"]["reason"] == "invalid-input"


def test_identity_headers_alone_are_no_identity(opa: OpaServer) -> None:
    request = inbound_check(
        {"kuma.io/service": "payments"},
        None,
        identity="none",
        extra_headers={
            "x-kuma-tags": "&kuma.io/service=orders&",
            "x-forwarded-client-cert": "URI=spiffe://default/orders",
        },
    )
    decision = opa.query("kuma/authz/inbound/decision", request)
    assert decision["allowed"] is False
    assert decision["dynamic_metadata"]["reason"] == "no-identity"


def test_the_dispatcher_routes_outbound_checks(opa: OpaServer) -> None:
    request = _with(("attributes", "contextExtensions", "kuma.io/direction"), "outbound")
    decision = opa.query("kuma/authz/decision", request)
    assert decision == opa.query("kuma/authz/outbound/decision", request)
    assert decision["dynamic_metadata"]["direction"] == "outbound"
