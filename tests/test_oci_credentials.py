"""Where `gen-bundle push` finds registry credentials (docs/distribution.md#authentication): the
environment first, then the Docker CLI's config as `docker login` writes it. The pushes themselves,
with each source, against real registries: tests/e2e/test_oci_distribution.py."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from generator.bundle.oci import Credentials, OciError
from generator.bundle.oci_credentials import find_credentials

HOST = "registry.example.com:5000"


def docker_config(folder: Path, config: object) -> dict[str, str]:
    """An environment whose Docker config is `config`, and nothing else."""
    (folder / "config.json").write_text(json.dumps(config))
    return {"DOCKER_CONFIG": str(folder)}


def pair(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_environment_comes_before_the_docker_config(tmp_path: Path) -> None:
    environ = docker_config(tmp_path, {"auths": {HOST: {"auth": pair("docker", "x")}}})
    token = {**environ, "GEN_BUNDLE_REGISTRY_TOKEN": "t0ken", "GEN_BUNDLE_REGISTRY_USERNAME": "ci"}
    assert find_credentials(HOST, token) == Credentials("$GEN_BUNDLE_REGISTRY_TOKEN", token="t0ken")
    user = {**environ, "GEN_BUNDLE_REGISTRY_USERNAME": "ci", "GEN_BUNDLE_REGISTRY_PASSWORD": "pw"}
    assert find_credentials(HOST, user) == Credentials("$GEN_BUNDLE_REGISTRY_USERNAME", username="ci", password="pw")
    with pytest.raises(OciError, match="set both GEN_BUNDLE_REGISTRY_USERNAME and GEN_BUNDLE_REGISTRY_PASSWORD"):
        find_credentials(HOST, {**environ, "GEN_BUNDLE_REGISTRY_USERNAME": "ci"})
    found = find_credentials(HOST, environ)
    assert found is not None
    assert (found.username, found.password) == ("docker", "x")


@pytest.mark.parametrize("key", [HOST, f"https://{HOST}", f"http://{HOST}/v2/", f"https://{HOST}/v1/"])
def test_an_auths_key_is_matched_by_host_and_port_whatever_its_form(key: str, tmp_path: Path) -> None:
    environ = docker_config(tmp_path, {"auths": {key: {"auth": pair("ci", "a:b")}}})
    found = find_credentials(HOST, environ)
    assert found is not None
    assert (found.username, found.password) == ("ci", "a:b")  # the password may hold a colon
    assert find_credentials("registry.example.com:5001", environ) is None


def test_docker_hub_credentials_are_filed_under_its_v1_index_url(tmp_path: Path) -> None:
    environ = docker_config(tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": pair("me", "pat")}}})
    for name in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        found = find_credentials(name, environ)
        assert found is not None
        assert found.username == "me"


def test_tokens_in_an_auths_entry(tmp_path: Path) -> None:
    identity = find_credentials(HOST, docker_config(tmp_path, {"auths": {HOST: {"identitytoken": "refresh"}}}))
    assert identity is not None
    assert identity.identity_token == "refresh"
    registry = find_credentials(HOST, docker_config(tmp_path, {"auths": {HOST: {"registrytoken": "bearer"}}}))
    assert registry is not None
    assert registry.token == "bearer"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "cannot read the Docker config"),
        ("[]", "not a Docker config"),
        (json.dumps({"auths": {HOST: {"auth": "%%%"}}}), "`auth` is not base64 of user:password"),
        (json.dumps({"auths": {HOST: {"auth": base64.b64encode(b"nocolon").decode()}}}), "not base64 of user:pass"),
        (json.dumps({"credsStore": "gen-bundle-missing-helper"}), "docker-credential-gen-bundle-missing-helper"),
    ],
)
def test_an_unusable_docker_config_is_an_error_not_an_anonymous_push(config: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(config)
    with pytest.raises(OciError, match=message):
        find_credentials(HOST, {"DOCKER_CONFIG": str(tmp_path)})


def test_a_helper_that_has_no_credentials_means_none(tmp_path: Path) -> None:
    helper = tmp_path / "docker-credential-empty"
    helper.write_text("#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n")
    helper.chmod(0o755)
    environ = docker_config(tmp_path, {"credHelpers": {HOST: "empty"}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(tmp_path))
        assert find_credentials(HOST, environ) is None


def test_no_docker_config_means_no_credentials(tmp_path: Path) -> None:
    assert find_credentials(HOST, {"DOCKER_CONFIG": str(tmp_path / "absent")}) is None
