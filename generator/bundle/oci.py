"""Push a bundle to an OCI registry in the form OPA downloads with `services[].type: oci` (docs/distribution.md).

What OPA v1.22.2 does with a `type: oci` service (v1/download/oci_download.go): it resolves the tag with
`HEAD /v2/<repository>/manifests/<tag>` (the digest from `Docker-Content-Digest`, the media type from
`Content-Type`), fetches that manifest by digest and copies it with its config and layers
(`/v2/<repository>/blobs/<digest>`) into a local OCI store, then loads the first layer of media type
`application/vnd.oci.image.layer.v1.tar+gzip` as the bundle. That layer's digest is its ETag: the same
digest is not loaded again. The config is copied, never read; OPA's docs push `{}` as
`application/vnd.oci.image.config.v1+json`, and so do we.

The upload follows the OCI distribution spec v1.1: each blob is skipped when `HEAD` finds it, else
sent with `POST .../blobs/uploads/` then one monolithic `PUT <location>?digest=`; the manifest is
`PUT` to the tag last, so a reader never sees a tag whose blobs are missing. Authentication answers the
registry's `WWW-Authenticate` challenge: `Basic` with a user name and password, `Bearer` by the token
exchange of the Docker registry token spec (the same credentials, or an identity token as an OAuth2
refresh token); a static token is sent as `Authorization: Bearer` from the first request, as OPA's
`credentials.bearer` does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"  # the one layer type OPA loads
EMPTY_CONFIG = b"{}"
BUNDLE_TITLE = "bundle.tar.gz"  # the layer's file name for tools such as `oras pull`
TITLE = "org.opencontainers.image.title"
DEFAULT_TAG = "latest"
TIMEOUT_SECONDS = 60.0
# The distribution spec's grammar for a repository name and a tag.
REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")
NAME_MAX = 255  # host and repository together (distribution's reference.NameTotalLengthMax)
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
REGISTRY = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
CHALLENGE_PARAMETER = re.compile(r'([A-Za-z_]+)="([^"]*)"')


class OciError(Exception):
    """A reference that is not one, or a push the registry did not take; the message says which."""


@dataclass(frozen=True)
class Reference:
    registry: str  # host[:port]
    repository: str
    tag: str

    def __str__(self) -> str:
        return f"oci://{self.registry}/{self.repository}:{self.tag}"


@dataclass(frozen=True)
class Credentials:
    """What to answer a registry with: a user name and password, or a token; `source` says where
    they were found, for messages (never the secret itself)."""

    source: str
    username: str | None = None
    password: str | None = None
    token: str | None = None  # sent as is: `Authorization: Bearer <token>`
    identity_token: str | None = None  # an OAuth2 refresh token for the Bearer token exchange


@dataclass(frozen=True)
class Pushed:
    reference: Reference
    manifest_digest: str
    layer_digest: str  # what OPA reports as the bundle's ETag (without `sha256:`)
    size: int
    changed: bool = True  # False: the tag already named this manifest, nothing was uploaded


def is_oci(target: str) -> bool:
    return target.startswith("oci://")


def parse_reference(target: str) -> Reference:
    """`oci://HOST[:PORT]/REPOSITORY[:TAG]` → Reference; the tag defaults to `latest`."""
    if not is_oci(target):
        raise OciError(f"{target!r} is not an OCI reference: write oci://HOST[:PORT]/REPOSITORY[:TAG]")
    rest = target.removeprefix("oci://")
    registry, _, path = rest.partition("/")
    if "@" in path:
        raise OciError(f"{target}: push to a tag, not a digest (a manifest's digest follows from its content)")
    repository, tag = path, DEFAULT_TAG
    if ":" in path.rsplit("/", 1)[-1]:
        repository, tag = path.rsplit(":", 1)
    if not REGISTRY.fullmatch(registry):
        raise OciError(f"{target}: {registry!r} is not a registry host[:port]")
    if not REPOSITORY.fullmatch(repository):
        raise OciError(
            f"{target}: {repository!r} is not a repository name (lower-case letters, digits, "
            "separators . _ __ - inside components, components joined by /)"
        )
    if len(f"{registry}/{repository}") > NAME_MAX:
        raise OciError(f"{target}: the name is longer than {NAME_MAX} characters, which registries refuse")
    if not TAG.fullmatch(tag):
        raise OciError(f"{target}: {tag!r} is not a tag (letters, digits, _ . -; at most 128; not first . or -)")
    return Reference(registry, repository, tag)


def digest_of(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Layer:
    media_type: str
    content: bytes
    title: str  # the file name tools such as `oras pull` and `conftest pull` write it to


def image_manifest(
    config_media_type: str, layers: Sequence[Layer], annotations: Mapping[str, str] | None = None
) -> bytes:
    """The image manifest of an empty `{}` config and `layers`: the same bytes for the same content,
    so the same digest."""
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": config_media_type, "digest": digest_of(EMPTY_CONFIG), "size": len(EMPTY_CONFIG)},
        "layers": [
            {
                "mediaType": layer.media_type,
                "digest": digest_of(layer.content),
                "size": len(layer.content),
                "annotations": {TITLE: layer.title},
            }
            for layer in layers
        ],
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    return json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()


def push_image(
    reference: Reference,
    manifest: bytes,
    layers: Sequence[Layer],
    credentials: Credentials | None,
    *,
    plain_http: bool,
    timeout: float,
) -> bool:
    """Upload the config and `layers`, then `manifest` tagged `reference`; whether anything was
    uploaded (a tag that already names this very manifest is left as it is). OciError if the registry
    refuses."""
    with Registry(reference, credentials, plain_http=plain_http, timeout=timeout) as registry:
        if registry.tagged_digest() == digest_of(manifest):
            return False
        registry.upload_blob(EMPTY_CONFIG)
        for layer in layers:
            registry.upload_blob(layer.content)
        registry.put_manifest(manifest)
    return True


def bundle_layer(archive: bytes) -> Layer:
    return Layer(LAYER_MEDIA_TYPE, archive, BUNDLE_TITLE)


def bundle_manifest(archive: bytes) -> bytes:
    """The image manifest for `archive`: the same bytes for the same bundle, so the same digest."""
    return image_manifest(CONFIG_MEDIA_TYPE, [bundle_layer(archive)])


def push(
    archive: bytes,
    reference: Reference,
    credentials: Credentials | None = None,
    *,
    plain_http: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> Pushed:
    """Upload `archive` as the one layer of an image tagged `reference`; OciError if the registry refuses.
    A tag that already names this very manifest is left as it is (`Pushed.changed` is False)."""
    manifest = bundle_manifest(archive)
    changed = push_image(
        reference, manifest, [bundle_layer(archive)], credentials, plain_http=plain_http, timeout=timeout
    )
    return Pushed(reference, digest_of(manifest), digest_of(archive), len(archive), changed=changed)


class Registry:
    """One repository of one registry, over one HTTP session that keeps the authorization it earned."""

    def __init__(
        self, reference: Reference, credentials: Credentials | None, *, plain_http: bool, timeout: float
    ) -> None:
        self.reference = reference
        self.credentials = credentials
        self.plain_http = plain_http
        self.timeout = timeout
        scheme = "http" if plain_http else "https"
        self.base = f"{scheme}://{reference.registry}/v2/{reference.repository}/"
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "gen-bundle"
        self.authorization = f"Bearer {credentials.token}" if credentials and credentials.token else None

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_: object) -> None:
        self.session.close()

    def tagged_digest(self) -> str | None:
        """The digest of the manifest the tag names now (as OPA resolves it: HEAD), or None."""
        response = self.send("HEAD", f"manifests/{self.reference.tag}", headers={"Accept": MANIFEST_MEDIA_TYPE})
        return response.headers.get("Docker-Content-Digest") if response.status_code == 200 else None

    def upload_blob(self, content: bytes) -> None:
        digest = digest_of(content)
        if self.send("HEAD", f"blobs/{digest}").status_code == 200:
            return  # already there: registries share blobs across tags
        started = self.send("POST", "blobs/uploads/")
        self.expect(started, 202, "start a blob upload")
        location = started.headers.get("Location")
        if not location:
            raise OciError(f"{self.reference.registry}: the blob upload answer has no Location header")
        url = urljoin(self.base, location)
        url += ("&" if "?" in url else "?") + urlencode({"digest": digest})
        finished = self.send("PUT", url, data=content, headers={"Content-Type": "application/octet-stream"})
        self.expect(finished, 201, f"upload blob {digest}")

    def put_manifest(self, manifest: bytes) -> None:
        response = self.send(
            "PUT", f"manifests/{self.reference.tag}", data=manifest, headers={"Content-Type": MANIFEST_MEDIA_TYPE}
        )
        self.expect(response, 201, f"tag the manifest {self.reference.tag}")
        stored = response.headers.get("Docker-Content-Digest")
        if stored and stored != digest_of(manifest):
            raise OciError(f"{self.reference}: the registry stored the manifest as {stored}, not {digest_of(manifest)}")

    def send(self, method: str, path: str, **options: Any) -> requests.Response:
        """The response to `method` on `path` (relative to the repository, or a full URL), once
        authenticated when the registry asks for it."""
        url = urljoin(self.base, path)
        response = self._send(method, url, **options)
        if response.status_code == 401:
            self._authenticate(response)
            response = self._send(method, url, **options)
        if response.status_code in (401, 403):
            raise OciError(self._refusal(response))
        return response

    def _send(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **options: Any
    ) -> requests.Response:
        headers = dict(headers or {})
        if self.authorization and urlsplit(url).netloc == self.reference.registry:
            # an upload Location on another host (a storage backend) gets no registry credentials
            headers["Authorization"] = self.authorization
        try:
            return self.session.request(method, url, headers=headers, timeout=self.timeout, **options)
        except requests.exceptions.SSLError as exc:
            raise OciError(
                f"{self.reference.registry}: TLS failed ({_reason(exc)}); a registry that speaks plain HTTP needs "
                "--plain-http, one with a private CA REQUESTS_CA_BUNDLE=ca.pem"
            ) from None
        except requests.RequestException as exc:
            raise OciError(f"{self.reference.registry}: cannot reach the registry: {_reason(exc)}") from None

    def _authenticate(self, response: requests.Response) -> None:
        scheme, parameters = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        credentials = self.credentials
        if credentials is not None and credentials.token:
            raise OciError(self._refusal(response))  # a static token was sent and refused: nothing else to try
        if scheme == "basic":
            if credentials is None or credentials.username is None:
                raise OciError(self._refusal(response))
            pair = f"{credentials.username}:{credentials.password or ''}".encode()
            self.authorization = "Basic " + base64.b64encode(pair).decode()
        elif scheme == "bearer" and "realm" in parameters:
            self.authorization = f"Bearer {self._token(parameters)}"
        else:
            raise OciError(self._refusal(response))

    def _token(self, challenge: dict[str, str]) -> str:
        """A registry token from the challenge's realm (Docker registry token spec; OAuth2 with an identity token)."""
        # Ask for push and pull at once, whatever this request's challenge names, so that one token
        # serves every request of the push; and for the challenge's own scope if that is more.
        ours = f"repository:{self.reference.repository}:"
        scopes = [ours + "pull,push"]
        asked = challenge.get("scope", "")
        if asked and not (asked.startswith(ours) and set(asked.removeprefix(ours).split(",")) <= {"pull", "push"}):
            scopes.append(asked)
        service = challenge.get("service", "")
        credentials = self.credentials
        realm = challenge["realm"]
        try:
            if credentials is not None and credentials.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": credentials.identity_token,
                    "service": service,
                    "scope": " ".join(scopes),
                    "client_id": "gen-bundle",
                }
                answer = self.session.post(realm, data=form, timeout=self.timeout)
            else:
                basic = None
                if credentials is not None and credentials.username is not None:
                    basic = (credentials.username, credentials.password or "")
                query = [("service", service)] + [("scope", scope) for scope in scopes]
                answer = self.session.get(realm, params=query, auth=basic, timeout=self.timeout)
        except requests.RequestException as exc:
            raise OciError(f"{realm}: cannot reach the registry's token service: {_reason(exc)}") from None
        if answer.status_code != 200:
            raise OciError(f"{realm}: the token service refused {self._who()} ({answer.status_code} {answer.reason})")
        try:
            body = answer.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise OciError(f"{realm}: the token service answered without a token")
        return token

    def expect(self, response: requests.Response, status: int, what: str) -> None:
        if response.status_code != status:
            raise OciError(f"{self.reference}: could not {what}: {_registry_error(response)}")

    def _who(self) -> str:
        return f"the credentials from {self.credentials.source}" if self.credentials else "an anonymous push"

    def _refusal(self, response: requests.Response) -> str:
        if self.credentials is None:
            return (
                f"{self.reference.registry} asks for credentials ({_registry_error(response)}) and none were found: "
                "set GEN_BUNDLE_REGISTRY_USERNAME and GEN_BUNDLE_REGISTRY_PASSWORD (or GEN_BUNDLE_REGISTRY_TOKEN), "
                "or log in with `docker login` (docs/distribution.md)"
            )
        return f"{self.reference.registry} refused {self._who()}: {_registry_error(response)}"


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="…",service="…"` → ("bearer", {"realm": …, "service": …})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(CHALLENGE_PARAMETER.findall(rest))


def _registry_error(response: requests.Response) -> str:
    """The status and the distribution spec's error body (`{"errors": [{"code", "message"}]}`) in one line."""
    text = f"{response.status_code} {response.reason}"
    try:
        errors = response.json().get("errors") or []
        details = "; ".join(f"{error.get('code', '')}: {error.get('message', '')}" for error in errors)
    except (ValueError, AttributeError):
        details = ""
    return f"{text} ({details})" if details else text


def _reason(exc: Exception) -> str:
    """The innermost cause of a connection failure, without urllib3's object reprs."""
    cause: BaseException = exc
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    return str(cause) or type(cause).__name__
