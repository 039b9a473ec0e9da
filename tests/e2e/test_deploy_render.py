"""`gen-bundle deploy render`, the renderer an installed gen-bundle carries: a values file naming one
sidecar renders what that side needs (nginx, its OPA-Envoy, its Envoy), which the real Envoy accepts;
a client rendered alone reaches the upstream its values name; sides rendered one at a time trust each
other through a kept mesh CA (--ca); the wheel alone renders it all."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

from tests.support.envoy_validation import assert_envoy_accepts
from tests.support.tools import ROOT

COMPOSE_VALUES = ROOT / "deploy" / "compose" / "values.yaml"
CLIENT_ALONE = Path(__file__).parent / "deploy" / "client-alone.yaml"


def deploy_render(values: Path, output: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "deploy", "render", str(values), str(output), *options],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def without(section: str, folder: Path) -> Path:
    """The compose values without `section`, with listeners on loopback."""
    values = yaml.safe_load(COMPOSE_VALUES.read_text())
    del values[section]
    values["bind"] = "127.0.0.1"
    path = folder / f"without-{section}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def rendered_alone(values: Path, folder: Path, *options: str) -> dict[str, Path]:
    """`values` rendered into `folder`/out by the verb, with certificates in `folder`/certs where the
    sidecars' certificate folders point: file name -> path."""
    document = yaml.safe_load(values.read_text())
    for side in ("server", "client"):
        if side in document:
            document[side]["certificates"] = str(folder / "certs" / document[side]["name"])
    folder.mkdir(parents=True, exist_ok=True)
    moved = folder / f"moved-{values.name}"
    moved.write_text(yaml.safe_dump(document))
    result = deploy_render(moved, folder / "out", "--certificates", str(folder / "certs"), *options)
    assert result.returncode == 0, result.stderr
    return {path.name: path for path in (folder / "out").iterdir()}


def mutual_tls_handshake(server_certificates: Path, client_certificates: Path) -> str | None:
    """A TLS handshake on loopback in which each side presents its workload certificate and requires the
    other's to chain to its own ca.pem, as the two Envoys do: None when it succeeds, else why not."""

    def context(side: ssl._SSLMethod, folder: Path) -> ssl.SSLContext:
        made = ssl.SSLContext(side)
        made.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        made.load_verify_locations(folder / "ca.pem")
        made.verify_mode = ssl.CERT_REQUIRED
        made.check_hostname = False  # workload certificates carry URI SANs only
        return made

    server_side = context(ssl.PROTOCOL_TLS_SERVER, server_certificates)
    client_side = context(ssl.PROTOCOL_TLS_CLIENT, client_certificates)
    problems: list[str] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            connection, _ = listener.accept()
            try:
                with server_side.wrap_socket(connection, server_side=True) as tls:
                    tls.sendall(b"k")
            except (ssl.SSLError, OSError) as error:
                problems.append(f"server: {error}")
            finally:
                connection.close()

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with (
                socket.create_connection(listener.getsockname(), timeout=10) as raw,
                client_side.wrap_socket(raw) as tls,
            ):
                # the server's byte, or (TLS 1.3) its verdict on the client certificate
                if tls.recv(1) != b"k":
                    problems.append("client: the server closed the connection")
        except (ssl.SSLError, OSError) as error:
            problems.append(f"client: {error}")
        thread.join(timeout=10)
    return "; ".join(problems) or None


def test_a_server_sidecar_alone_renders_nginx_its_opa_envoy_and_its_envoy(tmp_path: Path) -> None:
    files = rendered_alone(without("client", tmp_path), tmp_path)
    assert set(files) == {"nginx.conf", "opa-payments.yaml", "envoy-payments.yaml"}
    assert {path.name for path in (tmp_path / "certs").iterdir()} == {"payments"}
    assert_envoy_accepts(files["envoy-payments.yaml"])
    opa = yaml.safe_load(files["opa-payments.yaml"].read_text())
    assert opa["plugins"]["envoy_ext_authz_grpc"]["path"] == "kuma/authz/inbound/decision"


def test_a_client_sidecar_alone_reaches_the_upstream_its_values_name(tmp_path: Path) -> None:
    files = rendered_alone(CLIENT_ALONE, tmp_path)
    assert set(files) == {"nginx.conf", "opa-orders.yaml", "envoy-orders.yaml"}
    envoy = files["envoy-orders.yaml"]
    assert_envoy_accepts(envoy)
    clusters = {
        cluster["name"]: cluster for cluster in yaml.safe_load(envoy.read_text())["static_resources"]["clusters"]
    }
    http = clusters["payments_http"]
    endpoint = http["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert (endpoint["address"], endpoint["port_value"]) == ("payments.mesh.test", 10000)
    tls: dict[str, Any] = http["transport_socket"]["typed_config"]
    assert tls["sni"] == "payments"
    matcher = tls["common_tls_context"]["validation_context"]["match_typed_subject_alt_names"][0]["matcher"]
    assert matcher == {"exact": "spiffe://default/payments"}


def test_a_client_alone_without_an_upstream_is_refused_with_the_reason(tmp_path: Path) -> None:
    result = deploy_render(without("server", tmp_path), tmp_path / "out")
    assert result.returncode == 2
    assert "client 'orders' alone needs an upstream" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_values_file_without_a_sidecar_is_refused(tmp_path: Path) -> None:
    values = yaml.safe_load(COMPOSE_VALUES.read_text())
    del values["server"], values["client"]
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
    result = deploy_render(tmp_path / "values.yaml", tmp_path / "out")
    assert result.returncode == 2
    assert "needs a server sidecar, a client sidecar or both" in result.stderr


def test_python_m_deploy_render_still_renders_in_a_checkout(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "deploy.render", str(COMPOSE_VALUES), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    rendered = ROOT / "deploy" / "compose" / "rendered"
    assert {path.name: path.read_text() for path in tmp_path.iterdir()} == {
        path.name: path.read_text() for path in rendered.iterdir()
    }


def test_sides_rendered_one_at_a_time_trust_each_other_through_a_kept_mesh_ca(tmp_path: Path) -> None:
    ca = tmp_path / "mesh-ca"
    rendered_alone(without("client", tmp_path), tmp_path / "server-host", "--ca", str(ca))
    assert {path.name for path in ca.iterdir()} == {"ca.pem", "ca-key.pem"}
    assert (ca / "ca-key.pem").stat().st_mode & 0o077 == 0
    rendered_alone(CLIENT_ALONE, tmp_path / "client-host", "--ca", str(ca))
    server, client = tmp_path / "server-host" / "certs" / "payments", tmp_path / "client-host" / "certs" / "orders"
    assert (server / "ca.pem").read_bytes() == (client / "ca.pem").read_bytes() == (ca / "ca.pem").read_bytes()
    assert mutual_tls_handshake(server, client) is None


def test_sides_rendered_one_at_a_time_without_a_kept_ca_do_not_trust_each_other(tmp_path: Path) -> None:
    # what --ca is for: each run makes its own mesh CA
    rendered_alone(without("client", tmp_path), tmp_path / "server-host")
    rendered_alone(CLIENT_ALONE, tmp_path / "client-host")
    server, client = tmp_path / "server-host" / "certs" / "payments", tmp_path / "client-host" / "certs" / "orders"
    problem = mutual_tls_handshake(server, client)
    assert problem is not None
    assert "certificate verify failed" in problem


def test_a_kept_ca_that_cannot_issue_for_the_mesh_is_refused_with_the_reason(tmp_path: Path) -> None:
    values = without("client", tmp_path)
    other_mesh = yaml.safe_load(values.read_text()) | {"mesh": "other"}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other_mesh))
    ca = tmp_path / "mesh-ca"
    assert (
        deploy_render(
            tmp_path / "other.yaml", tmp_path / "first", "--certificates", str(tmp_path / "c"), "--ca", str(ca)
        ).returncode
        == 0
    )
    refused = deploy_render(values, tmp_path / "out", "--certificates", str(tmp_path / "certs"), "--ca", str(ca))
    assert refused.returncode == 2
    assert "is the CA of mesh ['other'], not of mesh 'default'" in refused.stderr
    (ca / "ca-key.pem").unlink()
    refused = deploy_render(values, tmp_path / "out", "--certificates", str(tmp_path / "certs"), "--ca", str(ca))
    assert refused.returncode == 2
    assert "holds half a mesh CA: ca-key.pem is missing" in refused.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "certs").exists()
    without_certificates = deploy_render(values, tmp_path / "out", "--ca", str(ca))
    assert without_certificates.returncode == 2
    assert "--ca needs --certificates" in without_certificates.stderr
