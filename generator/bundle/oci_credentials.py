"""Where `gen-bundle push` finds the credentials for a registry (docs/distribution.md); the first found wins:

1. `GEN_BUNDLE_REGISTRY_TOKEN`: a token sent as `Authorization: Bearer`, as OPA's `credentials.bearer`;
2. `GEN_BUNDLE_REGISTRY_USERNAME` and `GEN_BUNDLE_REGISTRY_PASSWORD`;
3. the Docker CLI's config file, as `docker login` writes it (`$DOCKER_CONFIG/config.json`, else
   `~/.docker/config.json`): the registry's credential helper (`credHelpers`, else `credsStore`), run as
   `docker-credential-<name> get` the way the Docker CLI runs it, else the registry's `auths` entry
   (`auth`: base64 of `user:password`, or `username` / `password`, `identitytoken`, `registrytoken`).

No credentials is a valid answer: the push is then anonymous, and a registry that wants more says so.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.bundle.oci import Credentials, OciError

TOKEN_VARIABLE = "GEN_BUNDLE_REGISTRY_TOKEN"
USERNAME_VARIABLE = "GEN_BUNDLE_REGISTRY_USERNAME"
PASSWORD_VARIABLE = "GEN_BUNDLE_REGISTRY_PASSWORD"
# The Docker CLI files Docker Hub's credentials under its v1 index URL, whatever name the push used.
DOCKER_HUB = "https://index.docker.io/v1/"
DOCKER_HUB_NAMES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
HELPER_IDENTITY_USER = "<token>"  # a helper's user name that marks the secret as an identity token
HELPER_TIMEOUT_SECONDS = 30


def find_credentials(registry: str, environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials for `registry` (host[:port]), or None; OciError when a source is unusable."""
    environ = os.environ if environ is None else environ
    if environ.get(TOKEN_VARIABLE):
        return Credentials(f"${TOKEN_VARIABLE}", token=environ[TOKEN_VARIABLE])
    username, password = environ.get(USERNAME_VARIABLE), environ.get(PASSWORD_VARIABLE)
    if username or password:
        if not (username and password is not None):
            raise OciError(f"set both {USERNAME_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
        return Credentials(f"${USERNAME_VARIABLE}", username=username, password=password)
    return docker_credentials(registry, docker_config_path(environ))


def docker_config_path(environ: Mapping[str, str]) -> Path:
    folder = environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else Path.home() / ".docker" / "config.json"


def docker_credentials(registry: str, config_path: Path) -> Credentials | None:
    try:
        config = json.loads(config_path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise OciError(f"cannot read the Docker config {config_path}: {exc}") from None
    if not isinstance(config, dict):
        raise OciError(f"{config_path}: not a Docker config (a JSON object)")
    server = DOCKER_HUB if registry in DOCKER_HUB_NAMES else registry
    helper = (config.get("credHelpers") or {}).get(server) or config.get("credsStore")
    if helper:
        return helper_credentials(str(helper), server)
    for key, entry in (config.get("auths") or {}).items():
        if _registry_of(key) == _registry_of(server) and isinstance(entry, dict) and entry:
            return _auths_entry(entry, f"{config_path} (auths {key})")
    return None


def helper_credentials(helper: str, server: str) -> Credentials | None:
    """`docker-credential-<helper> get`, the Docker credential helper protocol: the server on stdin,
    `{"Username", "Secret"}` on stdout; a failure that says "credentials not found" means none."""
    program = f"docker-credential-{helper}"
    try:
        answer = subprocess.run(
            [program, "get"], input=server, capture_output=True, text=True, timeout=HELPER_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OciError(f"the Docker config names the credential helper {program}, which did not run: {exc}") from None
    if answer.returncode != 0:
        if "credentials not found" in (answer.stdout + answer.stderr).lower():
            return None
        raise OciError(f"{program} get failed for {server}: {(answer.stderr or answer.stdout).strip()}")
    try:
        found: Any = json.loads(answer.stdout)
        username, secret = str(found["Username"]), str(found["Secret"])
    except (ValueError, KeyError, TypeError):
        raise OciError(f"{program} get answered something else than its protocol's JSON") from None
    if username == HELPER_IDENTITY_USER:
        return Credentials(program, identity_token=secret)
    return Credentials(program, username=username, password=secret)


def _auths_entry(entry: dict[str, Any], source: str) -> Credentials | None:
    if entry.get("registrytoken"):
        return Credentials(source, token=str(entry["registrytoken"]))
    if entry.get("identitytoken"):
        return Credentials(source, identity_token=str(entry["identitytoken"]))
    if entry.get("auth"):
        try:
            username, separator, password = base64.b64decode(str(entry["auth"]), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OciError(f"{source}: `auth` is not base64 of user:password") from None
        if not separator:
            raise OciError(f"{source}: `auth` is not base64 of user:password")
        return Credentials(source, username=username, password=password)
    if entry.get("username"):
        return Credentials(source, username=str(entry["username"]), password=str(entry.get("password", "")))
    return None


def _registry_of(key: str) -> str:
    """An `auths` key as the Docker CLI writes it (`host:port`, `https://host/v1/`) → `host:port`."""
    host = key.split("://", 1)[-1]
    return host.split("/", 1)[0]
