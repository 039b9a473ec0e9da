"""A real OCI registry for a test: CNCF distribution's `registry` (pinned in scripts/tools.env), on a
free loopback port, storing in a temporary folder, waited for on `GET /v2/`, stopped at the end.

Its configuration is written in full (configuration/configuration.go of the pinned release): plain
HTTP on 127.0.0.1 only (or HTTPS with a certificate from a CA of the test's own, `tls=True`), no debug
server, filesystem storage in `folder`, and either no authentication,
htpasswd (bcrypt entries, as the registry reads them), or token authentication against a TokenService
(registry/auth/token: the Docker registry token spec, the scheme of Docker Hub, GHCR and Harbor).
OpenTelemetry export is off (`OTEL_TRACES_EXPORTER=none`): by default the registry would send traces
to localhost:4318.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import subprocess
import time
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.loopback_http import LoopbackHttpServer, QuietHandler
from tests.support.opa import START_TIMEOUT_SECONDS, free_port
from tests.support.processes import stop_process
from tests.support.tools import tool

POLL_SECONDS = 0.05  # how often the test asks, not a wait for anything to happen


class TokenService(LoopbackHttpServer):
    """The registry's token service (Docker registry token spec): `GET /token?service=&scope=` with
    Basic credentials, or an OAuth2 `POST /token` with a refresh token, answers a JWT (ES256, `kid`
    in the registry's JWKS file) granting the scopes asked for: pull and push to a known user or
    refresh token, pull only to anyone else (a public repository)."""

    ISSUER = "gen-bundle-tests-token-service"
    SERVICE = "gen-bundle-tests-registry"
    KEY_ID = "token-service"

    def __init__(self, users: dict[str, str], refresh_tokens: frozenset[str] = frozenset()) -> None:
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.granted: list[tuple[str, list[str]]] = []  # (who, actions granted per scope), in order
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                query = parse_qsl(urlsplit(self.path).query)
                self.answer(outer.basic_user(self.headers.get("Authorization", "")), query)

            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                if form.get("refresh_token") not in outer.refresh_tokens:
                    self.send_error(HTTPStatus.UNAUTHORIZED)
                    return
                scopes = [("scope", scope) for scope in form.get("scope", "").split(" ") if scope]
                self.answer("refresh-token", [("service", form.get("service", "")), *scopes])

            def answer(self, who: str | None, query: list[tuple[str, str]]) -> None:
                if who == "":  # credentials given, and wrong
                    self.send_error(HTTPStatus.UNAUTHORIZED)
                    return
                body = json.dumps({"token": outer.token(who, query)}).encode()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)

    @property
    def realm(self) -> str:
        return f"{self.origin}/token"

    def basic_user(self, authorization: str) -> str | None:
        """The user of valid Basic credentials, None without credentials, "" with wrong ones."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user if self.users.get(user) == password else ""

    def token(self, who: str | None, query: list[tuple[str, str]]) -> str:
        access = []
        for name, value in query:
            if name == "scope" and value.startswith("repository:"):
                _, repository, actions = value.split(":")
                allowed = [action for action in actions.split(",") if who is not None or action == "pull"]
                access.append({"type": "repository", "name": repository, "actions": allowed})
        self.granted.append((who or "anonymous", [",".join(entry["actions"]) for entry in access]))
        now = int(time.time())
        claims = {"iss": self.ISSUER, "sub": who or "", "aud": self.SERVICE, "exp": now + 300, "nbf": now - 10}
        header = {"alg": "ES256", "typ": "JWT", "kid": self.KEY_ID}
        signing_input = f"{_b64url(json.dumps(header))}.{_b64url(json.dumps({**claims, 'access': access}))}"
        r, s = decode_dss_signature(self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def jwks(self) -> str:
        numbers = self.key.public_key().public_numbers()
        key = {
            "kty": "EC",
            "crv": "P-256",
            "kid": self.KEY_ID,
            "alg": "ES256",
            "use": "sig",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }
        return json.dumps({"keys": [key]})


def _b64url(content: str | bytes) -> str:
    raw = content.encode() if isinstance(content, str) else content
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def serving_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 it issued: the files ca.pem, cert.pem, key.pem in `folder`."""
    now = datetime.datetime.now(datetime.UTC)

    def issued(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None
    ) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, issuer[0])]) if issuer else name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        )
        if issuer is not None:
            loopback = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(loopback, critical=False)
        return builder.sign(issuer[1] if issuer else key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(issued("registry test CA", ca_key, None).public_bytes(serialization.Encoding.PEM))
    server = issued("127.0.0.1", server_key, ("registry test CA", ca_key))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class Registry:
    def __init__(
        self, folder: Path, htpasswd: str | None = None, tokens: TokenService | None = None, *, tls: bool = False
    ) -> None:
        """`htpasswd`: the file's content (`user:bcrypt hash` lines); `tokens`: a running token service;
        neither means anonymous push and pull. `tls`: serve HTTPS; the CA's certificate is `ca_file`."""
        self.folder = folder
        self.htpasswd = htpasswd
        self.tokens = tokens
        self.tls = tls
        self.ca_file = folder / "ca.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self.host = ""
        self.log = folder / "registry.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def start(self) -> Registry:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host = f"127.0.0.1:{free_port()}"
        config = self.folder / "registry.yml"
        config.write_text(self._config())
        environment = {name: value for name, value in os.environ.items() if not name.startswith("REGISTRY_")}
        environment["OTEL_TRACES_EXPORTER"] = "none"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [tool("registry"), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        self._wait_until_serving()
        return self

    def _config(self) -> str:
        storage = self.folder / "storage"
        auth = ""
        if self.htpasswd is not None:
            users = self.folder / "htpasswd"
            users.write_text(self.htpasswd)
            auth = f"auth:\n  htpasswd:\n    realm: gen-bundle-tests\n    path: {users}\n"
        elif self.tokens is not None:
            jwks = self.folder / "jwks.json"
            jwks.write_text(self.tokens.jwks())
            auth = (
                f"auth:\n  token:\n    realm: {self.tokens.realm}\n    service: {self.tokens.SERVICE}\n"
                f"    issuer: {self.tokens.ISSUER}\n    jwks: {jwks}\n"
            )
        return (
            "version: 0.1\n"
            "log:\n  level: info\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
            "  maintenance:\n    uploadpurging:\n      enabled: false\n"
            f"http:\n  addr: {self.host}\n" + self._tls() + auth
        )

    @property
    def verify(self) -> str | bool:
        """requests' `verify` for this registry: its CA's certificate when it serves HTTPS."""
        return str(self.ca_file) if self.tls else True

    def _tls(self) -> str:
        if not self.tls:
            return ""
        _, certificate, key = serving_certificate(self.folder)
        return f"  tls:\n    certificate: {certificate}\n    key: {key}\n"

    def _wait_until_serving(self) -> None:
        # /v2/ is the API's version check: 200 when anonymous access is allowed, 401 with a challenge when not.
        expected = 200 if self.htpasswd is None and self.tokens is None else 401
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/v2/", timeout=1, verify=self.verify).status_code == expected:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(POLL_SECONDS)
        self.stop()
        raise TimeoutError(f"the registry did not answer /v2/ within {START_TIMEOUT_SECONDS}s: {self.log.read_text()}")

    def tags(self, repository: str, auth: tuple[str, str] | None = None) -> list[str]:
        response = requests.get(
            f"{self.url}/v2/{repository}/tags/list",
            auth=auth,
            timeout=5,
            verify=self.verify,
        )
        response.raise_for_status()
        tags: list[str] = response.json()["tags"]
        return tags

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
