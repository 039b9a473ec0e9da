"""Hostile input to the decision, through a real OPA: random JSON of any shape, and valid checks with
fields removed, mistyped or replaced by garbage (certificates, principals of another mesh, several
principals, forged identity headers, huge header maps, non-string tag values).

For every input all six public paths are defined: `allow` is a boolean, `decision` an object with a
boolean `allowed` and a documented reason code, and the two agree. And no such change turns a denied
client into an allowed one: headers are never identity, and the identity that is read fails closed.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import build
from tests.support.certificates import envoy_encoded, workload_certificate
from tests.support.checks import ALLOW_PATHS, DECISION_PATHS, inbound_check, normalise_tags, outbound_check
from tests.support.opa import OpaServer

ROOT = Path(__file__).resolve().parents[2]
# More for a long run: GEN_BUNDLE_FUZZ_EXAMPLES=5000 pytest tests/trust (docs/trust.md).
FUZZ_EXAMPLES = int(os.environ.get("GEN_BUNDLE_FUZZ_EXAMPLES", "150"))
REASON_CODES = frozenset(re.findall(r"^\| `([a-z-]+)` \|", (ROOT / "docs" / "reason-codes.md").read_text(), re.M))

# payments admits only clients whose certificate carries team: x (a kuma://team/x SAN).
POLICIES = """
type: Mesh
name: default
mtls: {enabledBackend: ca-1, backends: [{name: ca-1, type: builtin}]}
---
type: MeshTrafficPermission
name: team-x-only
mesh: default
spec:
  targetRef: {kind: MeshService, name: payments}
  from: [{targetRef: {kind: MeshSubset, tags: {team: x}}, default: {action: Allow}}]
---
type: ExternalService
name: httpbin
mesh: default
tags: {kuma.io/service: httpbin}
networking: {address: httpbin.org:443}
---
type: TrafficPermission
name: nobody-to-httpbin
mesh: default
sources: [{match: {kuma.io/service: nobody}}]
destinations: [{match: {kuma.io/service: httpbin}}]
"""
PAYMENTS = {"kuma.io/service": "payments"}
ADMITTED = {"kuma.io/service": "orders", "team": "x"}
REFUSED = {"kuma.io/service": "web", "team": "y"}


@pytest.fixture(scope="module")
def opa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpaServer]:
    folder = tmp_path_factory.mktemp("hostile-decision")
    (folder / "policies.yaml").write_text(POLICIES)
    result = build([str(folder / "policies.yaml")])
    assert result.bundle is not None, [str(d) for d in result.errors]
    (folder / "bundle.tar.gz").write_bytes(result.bundle.archive)
    with OpaServer(folder / "bundle.tar.gz") as server:
        yield server


def decisions(opa: OpaServer, request: Any) -> dict[str, Any]:
    """Every public path's answer, checked for shape: defined, typed, consistent."""
    answers = {path: opa.query(path, request) for path in ALLOW_PATHS + DECISION_PATHS}
    for path in ALLOW_PATHS:
        assert isinstance(answers[path], bool), (path, answers[path])
    for path in DECISION_PATHS:
        decision = answers[path]
        assert isinstance(decision, dict), (path, decision)
        assert isinstance(decision["allowed"], bool)
        reason = decision["dynamic_metadata"]["reason"]
        assert reason in REASON_CODES, reason
        assert decision["headers"]["x-kuma-authz-reason"] == reason
        assert decision["headers"]["x-kuma-authz-decision"] == ("allow" if decision["allowed"] else "deny")
        assert all(isinstance(value, str) for value in decision["headers"].values())
        if not decision["allowed"]:
            assert decision["http_status"] == 403
            assert isinstance(decision["body"], str)
        assert answers[path.replace("decision", "allow")] is decision["allowed"]
    return answers


def test_the_reason_codes_are_read_from_the_docs() -> None:
    assert {"invalid-input", "foreign-identity", "no-identity", "allowed-by-policy"} <= REASON_CODES


def test_the_base_checks_decide_as_the_policy_says(opa: OpaServer) -> None:
    assert decisions(opa, inbound_check(PAYMENTS, ADMITTED))["kuma/authz/inbound/allow"] is True
    assert decisions(opa, inbound_check(PAYMENTS, REFUSED))["kuma/authz/inbound/allow"] is False
    assert decisions(opa, outbound_check(ADMITTED, host="httpbin.org"))["kuma/authz/outbound/allow"] is False


# --- any JSON at all ----------------------------------------------------------------------------------

NAMES = ["attributes", "source", "destination", "principal", "certificate", "contextExtensions", "request"]
NAMES += ["http", "headers", "kuma.io/service", "kuma.io/mesh", "kuma.io/direction", "socketAddress", "tlsSession"]
KEYS = st.sampled_from(NAMES) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["inbound", "outbound", "default", "payments", "spiffe://default/web", "kuma://team/x", ""])
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)
SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(request=JSON)
def test_any_json_input_gets_a_defined_decision_on_every_path(opa: OpaServer, request: Any) -> None:
    decisions(opa, request)


# --- valid checks, damaged -----------------------------------------------------------------------------

FOREIGN_MESH_CERTIFICATE = workload_certificate("other", normalise_tags(ADMITTED)).certificate_pem
UNRELATED_CERTIFICATE = workload_certificate("default", normalise_tags({"team": "x"}), ("https://example.com",))
GARBAGE = st.sampled_from(
    [
        "-----BEGIN CERTIFICATE-----%0AZm9v%0A-----END CERTIFICATE-----%0A",
        "-----BEGIN CERTIFICATE-----\n" + "A" * 5000 + "\n-----END CERTIFICATE-----\n",
        "%ZZ%%",
        envoy_encoded(FOREIGN_MESH_CERTIFICATE),  # a genuine certificate, from another trust domain
        envoy_encoded(UNRELATED_CERTIFICATE.certificate_pem),  # carries team x, but not the principal
        "spiffe://default/orders",
        "spiffe://other/orders",
        "spiffe://default/orders/extra",
        ["spiffe://default/orders", "spiffe://default/web"],  # several principals
        {"principal": "spiffe://default/orders"},
        "kuma://team/x",
        7,
        True,
        None,
    ]
)
FORGED_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "x-kuma-tags": st.sampled_from(["&kuma.io/service=orders&&team=x&", "&team=x&"]),
        "x-forwarded-client-cert": st.just(
            "By=spiffe://default/payments;URI=spiffe://default/orders;URI=kuma://team/x"
        ),
        "x-kuma-authz-decision": st.just("allow"),
        "x-client-principal": st.just("spiffe://default/orders"),
        ":authority": st.just("payments:8080"),
    },
)
# Where in a check a hostile value goes; the last key is replaced (or, for DELETE, removed).
PLACES = [
    (),
    ("attributes",),
    ("attributes", "source"),
    ("attributes", "source", "principal"),
    ("attributes", "source", "certificate"),
    ("attributes", "destination"),
    ("attributes", "destination", "principal"),
    ("attributes", "contextExtensions"),
    ("attributes", "contextExtensions", "kuma.io/service"),
    ("attributes", "contextExtensions", "kuma.io/mesh"),
    ("attributes", "contextExtensions", "kuma.io/direction"),
    ("attributes", "contextExtensions", "team"),
    ("attributes", "request", "http", "headers"),
    ("source_principal",),
    ("attributes", "metadataContext"),
]
DELETE = object()


def damaged(check: dict[str, Any], place: tuple[str, ...], value: Any) -> Any:
    if not place:
        return None if value is DELETE else value
    result = copy.deepcopy(check)
    target = result
    for key in place[:-1]:
        target = target.setdefault(key, {}) if isinstance(target, dict) else target
    if isinstance(target, dict):
        if value is DELETE:
            target.pop(place[-1], None)
        else:
            target[place[-1]] = value
    return result


@SETTINGS
@given(
    damages=st.lists(
        st.tuples(st.sampled_from(PLACES), st.one_of(st.just(DELETE), GARBAGE, SCALARS, JSON)), min_size=1, max_size=3
    ),
    headers=FORGED_HEADERS,
)
def test_damaged_checks_are_decided_and_never_admit_a_refused_client(
    opa: OpaServer, damages: list[tuple[tuple[str, ...], Any]], headers: dict[str, str]
) -> None:
    request: Any = inbound_check(PAYMENTS, REFUSED, extra_headers=headers)
    for place, value in damages:
        request = damaged(request, place, value) if isinstance(request, dict) else request
    answers = decisions(opa, request)
    # The inbound path ignores a valid direction setting, so it still judges the same client.
    assert answers["kuma/authz/inbound/allow"] is False, (request, answers["kuma/authz/inbound/decision"])


@settings(SETTINGS, max_examples=max(10, FUZZ_EXAMPLES // 5))
@given(headers=FORGED_HEADERS, count=st.integers(0, 3))
def test_headers_are_never_identity(opa: OpaServer, headers: dict[str, str], count: int) -> None:
    for client in (REFUSED, ADMITTED):
        plain = inbound_check(PAYMENTS, client)
        forged = inbound_check(
            PAYMENTS, client, extra_headers={**headers, **{f"x-extra-{i}": "1" for i in range(count)}}
        )
        assert decisions(opa, forged) == decisions(opa, plain)
    # Forged headers on a plaintext request are no identity at all.
    plaintext = inbound_check(PAYMENTS, None, identity="none", extra_headers=headers)
    assert decisions(opa, plaintext)["kuma/authz/inbound/decision"]["dynamic_metadata"]["reason"] == "no-identity"


def test_a_huge_header_map_changes_nothing(opa: OpaServer) -> None:
    headers = {f"x-header-{index}": "v" * 64 for index in range(20_000)}
    headers["x-kuma-tags"] = "&kuma.io/service=orders&&team=x&"
    for client in (REFUSED, ADMITTED):
        assert decisions(opa, inbound_check(PAYMENTS, client, extra_headers=headers)) == decisions(
            opa, inbound_check(PAYMENTS, client)
        )


@pytest.mark.parametrize(
    ("place", "value", "reason"),
    [
        (("attributes", "source", "principal"), "spiffe://other/orders", "foreign-identity"),
        (("attributes", "source", "principal"), ["spiffe://default/orders"], "invalid-input"),
        (("attributes", "source", "certificate"), envoy_encoded(FOREIGN_MESH_CERTIFICATE), "invalid-input"),
        (("attributes", "source", "certificate"), "not a certificate", "invalid-input"),
        (("attributes", "contextExtensions", "team"), 1, "invalid-input"),
        (("attributes", "contextExtensions", "kuma.io/service"), ["payments"], "invalid-input"),
        (("attributes", "contextExtensions", "kuma.io/mesh"), "elsewhere", "unknown-mesh"),
        (("attributes", "contextExtensions"), "kuma.io/service=payments", "invalid-input"),
        (("attributes", "source"), DELETE, "no-identity"),
    ],
)
def test_damage_to_an_admitted_client_denies_with_a_reason(
    opa: OpaServer, place: tuple[str, ...], value: Any, reason: str
) -> None:
    decision = decisions(opa, damaged(inbound_check(PAYMENTS, ADMITTED), place, value))["kuma/authz/inbound/decision"]
    assert decision["allowed"] is False
    assert decision["dynamic_metadata"]["reason"] == reason
