"""Distribution through an OCI registry (docs/distribution.md): `gen-bundle push` uploads a bundle to a
real registry (CNCF distribution, pinned), and a real OPA and OPA-Envoy configured with
`services[].type: oci` download it, follow a new push to the same tag, and, when configured to verify,
activate only bundles signed with the mesh key."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from generator.build import build
from generator.bundle import Bundle, sign_bundle
from generator.bundle.oci import MANIFEST_MEDIA_TYPE, parse_reference, push
from generator.bundle.oci_credentials import find_credentials
from generator.bundle.sign import load_signing_key
from generator.cli import main
from tests.support.checks import inbound_check
from tests.support.deployment import LOOPBACK, OpaEnvoy
from tests.support.opa import free_port
from tests.support.registry import Registry, TokenService
from tests.trust.configured_opa import ConfiguredOpa
from tests.trust.keys import key_pair

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).parent / "oci"
KEY_ID = "mesh-bundles"
USER, PASSWORD = "ci-pusher", "oci-test-password"  # the htpasswd fixture's user
ALLOW = "kuma/authz/inbound/allow"
WEB_TO_PAYMENTS = inbound_check({"kuma.io/service": "payments"}, {"kuma.io/service": "web"})
ORDERS_TO_PAYMENTS = inbound_check({"kuma.io/service": "payments"}, {"kuma.io/service": "orders"})
SWITCH_SECONDS = 15.0  # polling every 1-2 s: a new push is active well within this

GZIP_TRAILER = 8  # CRC-32 and input size (RFC 1952)


def built(name: str) -> Bundle:
    result = build([str(SCENARIOS / name)])
    assert result.bundle is not None, [str(d) for d in result.errors]
    return result.bundle


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A (orders only) and B (everybody), unsigned and signed; B also signed with a key OPA does not trust."""
    folder = tmp_path_factory.mktemp("oci-bundles")
    private, public = key_pair("ES256").write(folder, "mesh")
    other, _ = key_pair("ES256", seed=1).write(folder, "other")
    a, b = built("orders-only.yaml"), built("allow-all.yaml")
    assert a.revision != b.revision
    key = load_signing_key(private)
    found = {
        "a": a,
        "b": b,
        "a signed": sign_bundle(a, key, KEY_ID),
        "b signed": sign_bundle(b, key, KEY_ID),
        "b other key": sign_bundle(b, load_signing_key(other), KEY_ID),
        "public": public,
    }
    for name, bundle in found.items():
        if isinstance(bundle, Bundle):
            (folder / f"{name.replace(' ', '-')}.tar.gz").write_bytes(bundle.archive)
    found["folder"] = folder
    return found


def bundle_file(bundles: dict[str, Any], name: str) -> Path:
    path: Path = bundles["folder"] / f"{name.replace(' ', '-')}.tar.gz"
    return path


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with Registry(tmp_path / "registry") as running:
        yield running


def gen_bundle_push(bundle: Path, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install -e '.[dev]')"
    return subprocess.run(
        [command, "push", str(bundle), target, *extra], capture_output=True, text=True, cwd=ROOT, check=False
    )


def pushed(bundle: Bundle, registry: Registry, repository: str) -> str:
    """Push in-process (what the push verb calls, without a Python start-up); the manifest digest."""
    return push(bundle.archive, parse_reference(f"oci://{registry.host}/{repository}"), plain_http=True).manifest_digest


def opa_config(registry: Registry, repository: str, *, verify_with: Path | None = None, extra: str = "") -> str:
    """The OPA configuration docs/distribution.md shows, for this registry (plain HTTP: an http:// url)."""
    config = f"""\
services:
  registry:
    url: {registry.url}
    type: oci
{extra}bundles:
  kuma:
    service: registry
    resource: {registry.host}/{repository}
    polling: {{min_delay_seconds: 1, max_delay_seconds: 2}}
"""
    if verify_with is not None:
        key = "\n".join(f"      {line}" for line in verify_with.read_text().splitlines())
        config += f"    signing: {{keyid: {KEY_ID}}}\nkeys:\n  {KEY_ID}:\n    algorithm: ES256\n    key: |\n{key}\n"
    return config + "status: {console: true}\n"


def basic_credentials() -> str:
    """OPA's credentials for the test user. For a `type: oci` service OPA base64-encodes
    credentials.bearer's token itself (plugins/rest/auth.go): with scheme Basic it is user:password."""
    return f'    credentials:\n      bearer: {{scheme: Basic, token: "{USER}:{PASSWORD}"}}\n'


def configured_opa(folder: Path, config: str) -> ConfiguredOpa:
    path = folder / "opa.yaml"
    path.write_text(config)
    return ConfiguredOpa(path, folder / "opa.log")


def test_opa_downloads_a_pushed_bundle_and_follows_a_new_push_to_the_same_tag(
    registry: Registry, bundles: dict[str, Any], tmp_path: Path
) -> None:
    a, b = bundles["a"], bundles["b"]
    result = gen_bundle_push(bundle_file(bundles, "a"), f"oci://{registry.host}/mesh/kuma:live", "--plain-http")
    assert result.returncode == 0, result.stderr
    assert f"to oci://{registry.host}/mesh/kuma:live: manifest sha256:" in result.stdout
    assert registry.tags("mesh/kuma") == ["live"]

    with configured_opa(tmp_path, opa_config(registry, "mesh/kuma:live")) as opa:
        assert opa.get("system/bundles/kuma/manifest/revision") == a.revision
        assert opa.query(ALLOW, ORDERS_TO_PAYMENTS) is True
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is False
        # the layer OPA loaded is the bundle file. OPA's status counts the bytes its reader took from the
        # layer, and the tar ends before gzip's 8-byte trailer: when the trailer starts a new read, it is
        # not counted (20,480 of a 20,487-byte bundle)
        assert len(a.archive) - GZIP_TRAILER <= opa.bundle_status()["size"] <= len(a.archive)

        pushed(b, registry, "mesh/kuma:live")
        opa.wait_until(
            lambda: opa.get("system/bundles/kuma/manifest/revision") == b.revision, "OPA to activate B", SWITCH_SECONDS
        )
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is True
        assert "code" not in opa.bundle_status()


def test_the_same_bundle_pushed_twice_is_the_same_manifest(registry: Registry, bundles: dict[str, Any]) -> None:
    first = pushed(bundles["a"], registry, "mesh/kuma:one")
    again = pushed(bundles["a"], registry, "mesh/kuma:two")
    assert first == again  # so a re-push of an unchanged policy set gives OPA nothing new to load
    assert pushed(bundles["b"], registry, "mesh/kuma:one") != first
    assert sorted(registry.tags("mesh/kuma")) == ["one", "two"]
    repeated = push(bundles["a"].archive, parse_reference(f"oci://{registry.host}/mesh/kuma:two"), plain_http=True)
    assert (repeated.manifest_digest, repeated.changed) == (first, False)  # the tag has it: nothing uploaded


def test_a_build_pushes_with_an_oci_output(
    registry: Registry, bundles: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"oci://{registry.host}/mesh/kuma:built"
    assert main([str(SCENARIOS / "orders-only.yaml"), "-o", target, "--plain-http"]) == 0
    assert f"pushed {target} (revision {bundles['a'].revision[:19]}" in capsys.readouterr().out
    accept = {"Accept": MANIFEST_MEDIA_TYPE}  # as OPA asks; without it the registry answers 404 for an OCI manifest
    head = requests.head(f"{registry.url}/v2/mesh/kuma/manifests/built", headers=accept, timeout=5)
    assert head.headers["Docker-Content-Digest"] == pushed(bundles["a"], registry, "mesh/kuma:file")

    with pytest.raises(SystemExit) as usage:
        main([str(SCENARIOS / "orders-only.yaml"), "-o", "bundle.tar.gz", "--plain-http"])
    assert usage.value.code == 2
    assert "--plain-http goes with -o oci://" in capsys.readouterr().err


def test_a_split_folder_pushes_each_bundle_to_its_own_repository(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    split = tmp_path / "split"
    assert main([str(SCENARIOS / "orders-only.yaml"), "--split", str(split), "-q"]) == 0
    index = json.loads((split / "index.json").read_text())["bundles"]
    target = f"oci://{registry.host}/mesh/kuma:v1"
    assert main(["push", str(split), target, "--plain-http"]) == 0
    assert f"{len(index)} split bundles under {target}: {len(index)} pushed, 0 unchanged" in capsys.readouterr().out
    assert main(["push", str(split), target, "--plain-http"]) == 0
    assert f": 0 pushed, {len(index)} unchanged" in capsys.readouterr().out  # the tags already name them

    payments = next(entry for entry in index if entry.get("service") == "payments")
    repository = "mesh/kuma/" + payments["file"].removesuffix(".tar.gz")  # mesh/kuma/default/services/payments
    with configured_opa(tmp_path, opa_config(registry, f"{repository}:v1")) as opa:
        assert opa.bundle_status()["active_revision"] == payments["revision"]
        assert opa.query(ALLOW, ORDERS_TO_PAYMENTS) is True
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is False

    upper = tmp_path / "upper"
    assert main([str(SCENARIOS / "upper-case-service.yaml"), "--split", str(upper), "-q"]) == 0
    assert main(["push", str(upper), f"oci://{registry.host}/other:v1", "--plain-http"]) == 2
    assert "default/services/Billing.tar.gz cannot be pushed under its own name" in capsys.readouterr().err
    catalog = requests.get(f"{registry.url}/v2/_catalog", timeout=5).json()["repositories"]
    assert not [name for name in catalog if name.startswith("other/")]  # checked before any upload


def test_a_verifying_opa_activates_a_signed_push_and_refuses_a_wrongly_signed_one(
    registry: Registry, bundles: dict[str, Any], tmp_path: Path
) -> None:
    signed_a, signed_b = bundles["a signed"], bundles["b signed"]
    pushed(signed_a, registry, "mesh/kuma:signed")
    config = opa_config(registry, "mesh/kuma:signed", verify_with=bundles["public"])
    with configured_opa(tmp_path, config) as opa:
        assert opa.bundle_status()["active_revision"] == signed_a.revision
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is False

        pushed(bundles["b other key"], registry, "mesh/kuma:signed")
        opa.wait_until(lambda: "failed to verify" in json.dumps(opa.bundle_status()), "OPA to refuse B", SWITCH_SECONDS)
        status = opa.bundle_status()
        assert status["code"] == "bundle_error"
        assert status["active_revision"] == signed_a.revision
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is False

        # The same OPA takes B signed with the mesh key: the refusal was the signature's.
        pushed(signed_b, registry, "mesh/kuma:signed")
        opa.wait_until(
            lambda: opa.bundle_status().get("active_revision") == signed_b.revision, "OPA to take B", SWITCH_SECONDS
        )
        assert opa.query(ALLOW, WEB_TO_PAYMENTS) is True


def test_opa_envoy_downloads_a_pushed_bundle(registry: Registry, bundles: dict[str, Any], tmp_path: Path) -> None:
    pushed(bundles["a"], registry, "mesh/payments:v1")
    grpc = f"{LOOPBACK}:{free_port()}"
    plugin = f"plugins:\n  envoy_ext_authz_grpc:\n    addr: {grpc}\n    path: kuma/authz/inbound/decision\n"
    config = tmp_path / "opa-envoy.yaml"
    config.write_text(opa_config(registry, "mesh/payments:v1") + plugin)
    opa_envoy = OpaEnvoy("opa-envoy", config, free_port(), tmp_path / "opa-envoy.log")
    try:
        opa_envoy.start().wait_ready()
        assert opa_envoy.revision() == bundles["a"].revision
        answer = requests.post(f"{opa_envoy.url}/v1/data/{ALLOW}", json={"input": WEB_TO_PAYMENTS}, timeout=10)
        assert answer.json()["result"] is False
    finally:
        opa_envoy.stop()


# --- credentials ---------------------------------------------------------------------------------------


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[Registry]:
    with Registry(tmp_path / "registry", htpasswd=(SCENARIOS / "htpasswd").read_text()) as running:
        yield running


def push_status(bundles: dict[str, Any], target: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["push", str(bundle_file(bundles, "a")), target, "--plain-http"])
    return status, capsys.readouterr().err


def test_a_push_finds_the_credentials_a_registry_asks_for(
    private_registry: Registry,
    bundles: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = f"oci://{private_registry.host}/mesh/kuma:v1"
    for variable in ("GEN_BUNDLE_REGISTRY_TOKEN", "GEN_BUNDLE_REGISTRY_USERNAME", "GEN_BUNDLE_REGISTRY_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))

    status, errors = push_status(bundles, target, capsys)
    assert status == 2
    assert "asks for credentials" in errors
    assert "GEN_BUNDLE_REGISTRY_USERNAME" in errors

    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_TOKEN", "not-a-token-it-knows")
    status, errors = push_status(bundles, target, capsys)
    assert status == 2
    assert "refused the credentials from $GEN_BUNDLE_REGISTRY_TOKEN" in errors
    monkeypatch.delenv("GEN_BUNDLE_REGISTRY_TOKEN")

    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_USERNAME", USER)
    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_PASSWORD", "wrong")
    status, errors = push_status(bundles, target, capsys)
    assert status == 2
    assert "refused the credentials from $GEN_BUNDLE_REGISTRY_USERNAME" in errors
    assert "wrong" not in errors

    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_PASSWORD", PASSWORD)
    assert push_status(bundles, target, capsys)[0] == 0

    # `docker login` writes either the base64 pair or names a credential helper; both are read.
    monkeypatch.delenv("GEN_BUNDLE_REGISTRY_USERNAME")
    monkeypatch.delenv("GEN_BUNDLE_REGISTRY_PASSWORD")
    docker = tmp_path / "docker"
    docker.mkdir()
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {f"http://{private_registry.host}": {"auth": pair}}}))
    assert find_credentials(private_registry.host) is not None
    assert push_status(bundles, target, capsys)[0] == 0

    helper = tmp_path / "bin" / "docker-credential-gen-bundle-test"
    helper.parent.mkdir()
    answer = json.dumps({"ServerURL": private_registry.host, "Username": USER, "Secret": PASSWORD})
    helper.write_text(
        f'#!/bin/sh\nread server\n[ "$server" = "{private_registry.host}" ] || exit 1\necho \'{answer}\'\n'
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper.parent}:{os.environ['PATH']}")
    (docker / "config.json").write_text(json.dumps({"credHelpers": {private_registry.host: "gen-bundle-test"}}))
    credentials = find_credentials(private_registry.host)
    assert credentials is not None
    assert credentials.source == "docker-credential-gen-bundle-test"
    assert push_status(bundles, target.replace(":v1", ":v2"), capsys)[0] == 0
    assert sorted(private_registry.tags("mesh/kuma", auth=(USER, PASSWORD))) == ["v1", "v2"]


def test_opa_downloads_from_a_registry_that_asks_for_credentials(
    private_registry: Registry, bundles: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_USERNAME", USER)
    monkeypatch.setenv("GEN_BUNDLE_REGISTRY_PASSWORD", PASSWORD)
    reference = parse_reference(f"oci://{private_registry.host}/mesh/kuma:v1")
    push(bundles["a"].archive, reference, find_credentials(reference.registry), plain_http=True)
    with configured_opa(tmp_path, opa_config(private_registry, "mesh/kuma:v1", extra=basic_credentials())) as opa:
        assert opa.bundle_status()["active_revision"] == bundles["a"].revision


def test_a_push_and_opa_go_through_a_registry_token_exchange(
    bundles: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Token authentication, as Docker Hub, GHCR or Harbor use it: the registry answers `401 Bearer
    realm=…`, the client gets a token for the repository's scope from the realm and sends that."""
    for variable in ("GEN_BUNDLE_REGISTRY_TOKEN", "GEN_BUNDLE_REGISTRY_USERNAME", "GEN_BUNDLE_REGISTRY_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    with (
        TokenService({USER: PASSWORD}, frozenset({"refresh-for-ci"})) as tokens,
        Registry(tmp_path / "registry", tokens=tokens) as registry,
    ):
        target = f"oci://{registry.host}/mesh/kuma:v1"
        status, errors = push_status(bundles, target, capsys)
        assert status == 2
        assert "asks for credentials" in errors
        assert tokens.granted[-1] == ("anonymous", ["pull"])  # the token service let it read, not write

        monkeypatch.setenv("GEN_BUNDLE_REGISTRY_USERNAME", USER)
        monkeypatch.setenv("GEN_BUNDLE_REGISTRY_PASSWORD", PASSWORD)
        before = len(tokens.granted)
        assert push_status(bundles, target, capsys)[0] == 0
        assert tokens.granted[before:] == [(USER, ["pull,push"])]  # one token for the whole push

        # `docker login` to a registry with OAuth2 keeps an identity token: a refresh token for the exchange
        monkeypatch.delenv("GEN_BUNDLE_REGISTRY_USERNAME")
        monkeypatch.delenv("GEN_BUNDLE_REGISTRY_PASSWORD")
        (tmp_path / "docker").mkdir()
        config = {"auths": {registry.host: {"identitytoken": "refresh-for-ci"}}}
        (tmp_path / "docker" / "config.json").write_text(json.dumps(config))
        assert push_status(bundles, target.replace(":v1", ":v2"), capsys)[0] == 0
        assert tokens.granted[-1] == ("refresh-token", ["pull,push"])

        # OPA does the same exchange (ORAS's auth client), presenting credentials.bearer to the token service
        before = len(tokens.granted)
        with configured_opa(tmp_path, opa_config(registry, "mesh/kuma:v2", extra=basic_credentials())) as opa:
            assert opa.bundle_status()["active_revision"] == bundles["a"].revision
        assert (USER, ["pull"]) in tokens.granted[before:]


def test_a_push_and_opa_speak_https_to_a_registry_with_a_private_ca(
    bundles: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Registry(tmp_path / "registry", tls=True) as registry:
        target = f"oci://{registry.host}/mesh/kuma:v1"
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        assert main(["push", str(bundle_file(bundles, "a")), target]) == 2
        assert "TLS failed" in capsys.readouterr().err  # the registry's CA is nobody's default

        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(registry.ca_file))  # docs/distribution.md
        assert main(["push", str(bundle_file(bundles, "a")), target]) == 0
        tls = f"    tls: {{ca_cert: {registry.ca_file}}}\n"
        with configured_opa(tmp_path, opa_config(registry, "mesh/kuma:v1", extra=tls)) as opa:
            assert opa.bundle_status()["active_revision"] == bundles["a"].revision


# --- what a push refuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("registry.example/mesh/kuma", "is not an OCI reference"),
        ("oci://registry.example/Mesh/kuma", "is not a repository name"),
        ("oci://registry.example/mesh/kuma:-x", "is not a tag"),
        ("oci://registry.example/mesh/kuma@sha256:0000", "push to a tag, not a digest"),
    ],
)
def test_a_wrong_reference_exits_2(
    target: str, message: str, bundles: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    status, errors = push_status(bundles, target, capsys)
    assert (status, message in errors) == (2, True), errors


def test_a_file_that_is_not_a_bundle_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "policies.yaml").write_text("type: Mesh\nname: default\n")
    assert main(["push", str(tmp_path / "policies.yaml"), "oci://127.0.0.1:1/mesh/kuma", "--plain-http"]) == 2
    assert "is not a bundle: not a gzipped tar archive" in capsys.readouterr().err
    assert main(["push", str(tmp_path / "missing.tar.gz"), "oci://127.0.0.1:1/mesh/kuma"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_registry_that_cannot_be_reached_or_speaks_plain_http_exits_2(
    registry: Registry, bundles: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    status, errors = push_status(bundles, f"oci://127.0.0.1:{free_port()}/mesh/kuma", capsys)
    assert status == 2
    assert "cannot reach the registry" in errors
    assert "Traceback" not in errors

    assert main(["push", str(bundle_file(bundles, "a")), f"oci://{registry.host}/mesh/kuma"]) == 2
    assert "needs --plain-http" in capsys.readouterr().err
