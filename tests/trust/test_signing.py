"""Signed bundles (docs/trust.md): gen-bundle writes `.signatures.json` exactly as OPA checks it, and a
real OPA configured with the public key activates the signed bundle and refuses every altered,
unsigned or wrongly signed one while keeping the bundle it had. `gen-bundle --verify` refuses them too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from generator.build import build
from generator.bundle import DATA_PATH, Bundle, sign_bundle
from generator.bundle.archive import build_archive
from generator.bundle.library import library_files
from generator.bundle.sign import (
    SIGNATURES_PATH,
    Key,
    b64url,
    compact_json,
    file_digest,
    go_string,
    load_signing_key,
    load_verification_key,
    opa_canonical,
    signing_payload,
)
from generator.bundle.verify import read_archive, verify_archive
from tests.support.checks import inbound_check
from tests.support.opa import OpaServer
from tests.support.tools import tool
from tests.trust.bundle_server import BundleServer
from tests.trust.configured_opa import ConfiguredOpa, opa_config
from tests.trust.keys import key_pair

ROOT = Path(__file__).resolve().parents[2]
KEY_ID = "mesh-bundles"
MESH = """\
type: Mesh
name: default
mtls: {enabledBackend: ca-1, backends: [{name: ca-1, type: builtin}]}
"""
# A: only orders may call payments. B: everybody may.
POLICIES_A = (
    MESH
    + """---
type: MeshTrafficPermission
name: orders-only
mesh: default
spec:
  targetRef: {kind: MeshService, name: payments}
  from: [{targetRef: {kind: MeshSubset, tags: {kuma.io/service: orders}}, default: {action: Allow}}]
"""
)
POLICIES_B = (
    MESH
    + """---
type: MeshTrafficPermission
name: allow-all
mesh: default
spec:
  from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]
"""
)
WEB_TO_PAYMENTS = inbound_check({"kuma.io/service": "payments"}, {"kuma.io/service": "web"})
ORDERS_TO_PAYMENTS = inbound_check({"kuma.io/service": "payments"}, {"kuma.io/service": "orders"})
QUERY = "data.kuma.authz.inbound.allow"
RESPONSE_REGO = "kuma/authz/response/response.rego"
ALLOW_EVERYTHING = ("\toutcome.allowed == true\n", "\toutcome.allowed == outcome.allowed\n")

# Everything but the signatures: the library's Rego files, data.json and .manifest.
SIGNED_FILES = len(library_files()) + 2


def built(folder: Path, text: str, name: str = "policies.yaml") -> Bundle:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    result = build([str(folder / name)])
    assert result.bundle is not None, [str(d) for d in result.errors]
    return result.bundle


def gen_bundle(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install -e '.[dev]')"
    return subprocess.run([command, *arguments], capture_output=True, text=True, cwd=cwd, check=False)


def jws_parts(archive: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    files, problems = read_archive(archive)
    assert not problems
    (token,) = json.loads(files[SIGNATURES_PATH])["signatures"]
    header, payload, _ = token.split(".")
    return _b64_json(header), _b64_json(payload)


def _b64_json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def altered(archive: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The archive with files replaced, added or (None) removed."""
    files, problems = read_archive(archive)
    assert not problems
    for name, content in changes.items():
        if content is None:
            assert name in files
            del files[name]
        else:
            files[name] = content
    return build_archive(files)


def rego_allowing_everything(archive: bytes) -> bytes:
    files, _ = read_archive(archive)
    source = files[RESPONSE_REGO].decode()
    assert ALLOW_EVERYTHING[0] in source
    return source.replace(*ALLOW_EVERYTHING).encode()


def unverified_allow(archive: bytes, folder: Path, request: dict[str, Any]) -> bool:
    """What an OPA that does not verify signatures would answer: proves a tampering is real."""
    path = folder / "unverified.tar.gz"
    path.write_bytes(archive)
    (folder / "input.json").write_text(json.dumps(request))
    evaluated = subprocess.run(
        [
            tool("opa"),
            "eval",
            "--format",
            "json",
            "-b",
            str(path),
            "-i",
            str(folder / "input.json"),
            "data.kuma.authz.inbound.allow",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    value: bool = json.loads(evaluated.stdout)["result"][0]["expressions"][0]["value"]
    return value


# --- the signature file itself ----------------------------------------------------------------------

TRICKY_NAME = 'line\u2028sep <b>&amp; "quoted" back\\slash \b\f\x01 é 🙂'
TRICKY_YAML = '"line\\Lsep <b>&amp; \\"quoted\\" back\\\\slash \\b\\f\\x01 é 🙂"'  # YAML escapes


def test_the_signature_lists_every_file_with_the_digest_opa_itself_computes(tmp_path: Path) -> None:
    # Strings that Python's and Go's JSON encoders write differently, in data.json (a policy's display
    # name; its name must be an RFC 1123 subdomain) and in .manifest (an input file name): the digests
    # are over OPA's canonical form regardless.
    policies = POLICIES_B.replace(
        "name: allow-all", f"name: allow-all\nlabels: {{kuma.io/display-name: {TRICKY_YAML}}}"
    )
    folder = tmp_path / "in"
    built(folder, policies, "pölicies €\u2028.yaml")
    private, _ = key_pair("ES256").write(tmp_path, "es256")
    signed = tmp_path / "signed.tar.gz"
    result = gen_bundle(str(folder), "-o", str(signed), "--signing-key", str(private), "--key-id", KEY_ID)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"; signed with ES256, key id {KEY_ID}")

    header, payload = jws_parts(signed.read_bytes())
    assert header == {"alg": "ES256", "kid": KEY_ID}
    assert payload["keyid"] == KEY_ID
    assert set(payload) == {"files", "keyid"}
    names = [entry["name"] for entry in payload["files"]]
    assert names == sorted(names)
    with tarfile.open(signed) as archive:
        archived = sorted(name for name in archive.getnames() if name != SIGNATURES_PATH)
    assert names == archived, "every file but the signatures file, each once, no leading /"
    assert {entry["algorithm"] for entry in payload["files"]} == {"SHA-256"}

    # OPA's own signer over the same files is the oracle for every digest.
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    with tarfile.open(signed) as archive:
        archive.extractall(unpacked, filter="data")
    (unpacked / SIGNATURES_PATH).unlink()
    data = json.loads((unpacked / DATA_PATH).read_text())
    assert TRICKY_NAME in [policy["name"] for policy in data["meshes"]["default"]["policies"]]
    subprocess.run(
        [
            tool("opa"),
            "sign",
            "--signing-key",
            str(private),
            "--signing-alg",
            "ES256",
            "--bundle",
            ".",
            "-o",
            str(tmp_path),
        ],
        cwd=unpacked,
        check=True,
        capture_output=True,
    )
    opa_signature = json.loads((tmp_path / SIGNATURES_PATH).read_text())["signatures"][0]
    opa_files = _b64_json(opa_signature.split(".")[1])["files"]
    assert sorted(opa_files, key=lambda entry: entry["name"]) == payload["files"]


def test_the_canonical_form_is_gos_encoding_of_the_parsed_document() -> None:
    assert go_string('<&>\u2028\u2029\b\f\x1f\x7f"\\é') == '"<&>\\u2028\\u2029\\b\\f\\u001f\x7f\\"\\\\é"'
    document = b'{ "b": [1, 2.50, -0, 1e3], "a": {"y": true, "x": null}, "\xc3\xa9": "\\u00e9" }'
    assert opa_canonical(document) == '{"a":{"x":null,"y":true},"b":[1,2.50,-0,1e3],"é":"é"}'.encode()
    # Only structured files are parsed; a .rego file is hashed as it is.
    assert file_digest("x/data.json", b'{"a": 1}') == file_digest("y/data.json", b'{"a":1}')
    assert file_digest("p.rego", b'{"a": 1}') != file_digest("p.rego", b'{"a":1}')


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "ES384", "ES512", "HS256"])
def test_signing_is_deterministic(algorithm: str, tmp_path: Path) -> None:
    private, _ = key_pair(algorithm).write(tmp_path, "key")
    bundle = built(tmp_path, POLICIES_A)
    key = load_signing_key(private, algorithm)
    assert sign_bundle(bundle, key, KEY_ID).archive == sign_bundle(bundle, key, KEY_ID).archive


def test_pss_signatures_are_randomised_and_both_verify(tmp_path: Path) -> None:
    private, public = key_pair("PS256").write(tmp_path, "key")
    bundle = built(tmp_path, POLICIES_A)
    key = load_signing_key(private, "PS256")
    first, second = sign_bundle(bundle, key).archive, sign_bundle(bundle, key).archive
    assert first != second
    for archive in (first, second):
        assert gen_bundle_verify(tmp_path, archive, public, "--signing-alg", "PS256").returncode == 0


def gen_bundle_verify(folder: Path, archive: bytes, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    path = folder / "to-verify.tar.gz"
    path.write_bytes(archive)
    return gen_bundle("--verify", str(path), "--verification-key", str(key), *extra)


# --- OPA activates what is properly signed ----------------------------------------------------------

OPA_ALGORITHMS = ["RS256", "RS512", "PS256", "PS384", "ES256", "ES384", "ES512", "HS256", "HS512"]


@pytest.mark.parametrize("algorithm", OPA_ALGORITHMS)
def test_opa_activates_a_bundle_signed_with_each_algorithm(algorithm: str, tmp_path: Path) -> None:
    private, public = key_pair(algorithm).write(tmp_path, "key")
    (tmp_path / "p.yaml").write_text(POLICIES_A)
    bundle = tmp_path / "bundle.tar.gz"
    alg = ["--signing-alg", algorithm]
    signed = gen_bundle(str(tmp_path / "p.yaml"), "-o", str(bundle), "--signing-key", str(private), *alg)
    assert signed.returncode == 0, signed.stderr
    assert f"signed with {algorithm}, key id default" in signed.stdout

    verified = gen_bundle("--verify", str(bundle), "--verification-key", str(public), *alg)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(
        f"verified {bundle}: {SIGNED_FILES} files signed with {algorithm}, key id default"
    )

    # OPA's flags: the PEM file for RSA and ECDSA, the secret itself for HMAC; key id "default".
    verification_key = public.read_text() if algorithm.startswith("HS") else str(public)
    with OpaServer(bundle, "--verification-key", verification_key, "--signing-alg", algorithm) as opa:
        assert opa.query("kuma/authz/inbound/allow", ORDERS_TO_PAYMENTS) is True
        assert opa.query("kuma/authz/inbound/allow", WEB_TO_PAYMENTS) is False


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "ES384", "ES512"])
def test_the_algorithm_follows_the_key_when_not_named(algorithm: str, tmp_path: Path) -> None:
    private, public = key_pair(algorithm).write(tmp_path, "key")
    (tmp_path / "p.yaml").write_text(POLICIES_A)
    bundle = tmp_path / "bundle.tar.gz"
    signed = gen_bundle(str(tmp_path / "p.yaml"), "-o", str(bundle), "--signing-key", str(private))
    assert signed.returncode == 0, signed.stderr
    assert jws_parts(bundle.read_bytes())[0]["alg"] == algorithm
    assert gen_bundle("--verify", str(bundle), "--verification-key", str(public)).returncode == 0


# --- altered, unsigned and wrongly signed bundles -----------------------------------------------------


def _tampered(case: str, signed_a: bytes, bundle_b: Bundle, other_key_b: bytes, public_pem: bytes) -> bytes:
    if case == "data.json altered":
        return altered(signed_a, {DATA_PATH: bundle_b.files[DATA_PATH]})
    if case == "Rego altered":
        return altered(signed_a, {RESPONSE_REGO: rego_allowing_everything(signed_a)})
    if case == "Rego file added":
        return altered(signed_a, {"kuma/authz/extra/extra.rego": b"package kuma.authz.extra\n\nx := 1\n"})
    if case == "Rego file removed":
        return altered(signed_a, {"kuma/authz/tags/tags.rego": None})
    if case == "signatures removed":
        return bundle_b.archive
    if case == "HS256 over the public key":
        return algorithm_confusion(bundle_b, public_pem)
    assert case == "signed by another key"
    return other_key_b


def algorithm_confusion(bundle: Bundle, public_pem: bytes) -> bytes:
    """The classic JWS forgery: header alg HS256, HMAC keyed with the (public!) verification key."""
    files = dict(bundle.files)
    header = compact_json({"alg": "HS256", "kid": KEY_ID})
    payload = compact_json(signing_payload(files, KEY_ID))
    signing_input = f"{b64url(header)}.{b64url(payload)}".encode()
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    files[SIGNATURES_PATH] = compact_json({"signatures": [f"{signing_input.decode()}.{b64url(signature)}"]})
    return build_archive(files)


# case → (what OPA says, what gen-bundle --verify says)
TAMPERINGS = {
    "data.json altered": ("kuma/compiled/data.json: digest mismatch", "kuma/compiled/data.json: digest mismatch"),
    "Rego altered": (f"{RESPONSE_REGO}: digest mismatch", f"{RESPONSE_REGO}: digest mismatch"),
    "Rego file added": (
        "file kuma/authz/extra/extra.rego not included in bundle signature",
        "file kuma/authz/extra/extra.rego not included in bundle signature",
    ),
    "Rego file removed": (
        "specified in bundle signatures but not found in the target bundle",
        "file(s) ['kuma/authz/tags/tags.rego'] specified in bundle signatures but not found in the target bundle",
    ),
    "signatures removed": ("bundle missing .signatures.json file", "bundle missing .signatures.json file"),
    "signed by another key": (
        "failed to verify JWT signature: invalid ECDSA signature",
        "the signature does not verify with the ES256 key",
    ),
    "HS256 over the public key": (
        "failed to verify JWT signature: dsig.VerifyECDSA: failed to unpack ECDSA signature",
        "signed with 'HS256', but the key is for ES256",
    ),
}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Bundle A signed with the mesh key, bundle B unsigned and B signed by the mesh key and another key."""
    folder = tmp_path_factory.mktemp("signed")
    private, public = key_pair("ES256").write(folder, "mesh")
    other, _ = key_pair("ES256", seed=1).write(folder, "other")
    key = load_signing_key(private)
    bundle_a, bundle_b = built(folder / "a", POLICIES_A), built(folder / "b", POLICIES_B)
    return {
        "folder": folder,
        "public": public,
        "a": sign_bundle(bundle_a, key, KEY_ID),
        "b": bundle_b,
        "b signed": sign_bundle(bundle_b, key, KEY_ID),
        "b other key": sign_bundle(bundle_b, load_signing_key(other), KEY_ID).archive,
    }


def tampered(case: str, bundles: dict[str, Any]) -> bytes:
    return _tampered(case, bundles["a"].archive, bundles["b"], bundles["b other key"], bundles["public"].read_bytes())


@pytest.mark.parametrize("case", TAMPERINGS)
def test_gen_bundle_verify_refuses(case: str, bundles: dict[str, Any], tmp_path: Path) -> None:
    result = gen_bundle_verify(tmp_path, tampered(case, bundles), bundles["public"])
    assert result.returncode == 1
    assert TAMPERINGS[case][1] in result.stderr
    assert result.stderr.splitlines()[-1].endswith("does not verify; do not serve it")
    assert "Traceback" not in result.stderr
    assert verify_archive(tampered(case, bundles), load_verification(bundles)).ok is False


def load_verification(bundles: dict[str, Any]) -> Key:
    return load_verification_key(bundles["public"])


@pytest.mark.parametrize("case", ["data.json altered", "Rego altered"])
def test_the_tamperings_would_change_decisions_without_verification(
    case: str, bundles: dict[str, Any], tmp_path: Path
) -> None:
    assert unverified_allow(bundles["a"].archive, tmp_path, WEB_TO_PAYMENTS) is False
    assert unverified_allow(tampered(case, bundles), tmp_path, WEB_TO_PAYMENTS) is True


@pytest.mark.parametrize("case", TAMPERINGS)
def test_opa_refuses_to_start_with_a_tampered_bundle(case: str, bundles: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "bundle.tar.gz"
    path.write_bytes(tampered(case, bundles))
    started = subprocess.run(
        [
            tool("opa"),
            "run",
            "--server",
            "--addr",
            "127.0.0.1:0",
            "--bundle",
            str(path),
            "--verification-key",
            str(bundles["public"]),
            "--verification-key-id",
            KEY_ID,
            "--signing-alg",
            "ES256",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 1
    assert TAMPERINGS[case][0] in started.stdout + started.stderr


def test_a_served_opa_refuses_every_altered_bundle_and_keeps_the_last_good_one(bundles: dict[str, Any]) -> None:
    folder: Path = bundles["folder"]
    signed_a: Bundle = bundles["a"]
    with BundleServer(signed_a.archive) as server:
        config = folder / "opa.yaml"
        config.write_text(opa_config(server.url, KEY_ID, "ES256", bundles["public"].read_bytes()))
        with ConfiguredOpa(config, folder / "opa.log") as opa:
            assert opa.bundle_status()["active_revision"] == signed_a.revision
            assert opa.query("kuma/authz/inbound/allow", ORDERS_TO_PAYMENTS) is True
            assert opa.query("kuma/authz/inbound/allow", WEB_TO_PAYMENTS) is False

            for case, (message, _) in TAMPERINGS.items():
                etag = server.publish(tampered(case, bundles))

                def refused(etag: str = etag, message: str = message) -> bool:
                    return etag in server.downloads and message in json.dumps(opa.bundle_status())

                opa.wait_until(refused, f"OPA to download and refuse the bundle with {case}")
                status = opa.bundle_status()
                assert status["code"] == "bundle_error", case
                assert status["active_revision"] == signed_a.revision, case
                assert opa.query("kuma/authz/inbound/allow", WEB_TO_PAYMENTS) is False, case
                assert opa.query("kuma/authz/inbound/allow", ORDERS_TO_PAYMENTS) is True, case

            # The same server and OPA take a properly signed new bundle: the refusals were real.
            signed_b: Bundle = bundles["b signed"]
            assert signed_b.revision != signed_a.revision
            server.publish(signed_b.archive)
            opa.wait_until(
                lambda: opa.bundle_status().get("active_revision") == signed_b.revision, "OPA to activate bundle B"
            )
            assert "code" not in opa.bundle_status()
            assert opa.query("kuma/authz/inbound/allow", WEB_TO_PAYMENTS) is True


# --- gen-bundle --verify and signing options: what else they refuse ------------------------------------


def test_gen_bundle_verify_accepts_a_bundle_signed_by_opa_itself(bundles: dict[str, Any], tmp_path: Path) -> None:
    private = tmp_path / "mesh.key"
    private.write_bytes(key_pair("ES256").private_pem)
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    files, _ = read_archive(bundles["a"].archive)
    for name, content in files.items():
        if name != SIGNATURES_PATH:
            (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
            (unpacked / name).write_bytes(content)
    subprocess.run(
        [tool("opa"), "sign", "--signing-key", str(private), "--signing-alg", "ES256", "--bundle", "."],
        cwd=unpacked,
        check=True,
        capture_output=True,
    )
    files[SIGNATURES_PATH] = (unpacked / SIGNATURES_PATH).read_bytes()
    result = gen_bundle_verify(tmp_path, build_archive(files), bundles["public"])
    assert result.returncode == 0, result.stderr
    assert f"{SIGNED_FILES} files signed with ES256" in result.stdout


def test_a_bundle_that_is_not_an_archive_does_not_verify(bundles: dict[str, Any], tmp_path: Path) -> None:
    result = gen_bundle_verify(tmp_path, b"<html>not found</html>", bundles["public"])
    assert result.returncode == 1
    assert "error: not a gzipped tar archive" in result.stderr


def test_a_signature_for_another_key_id_is_reported_when_one_is_expected(
    bundles: dict[str, Any], tmp_path: Path
) -> None:
    assert gen_bundle_verify(tmp_path, bundles["a"].archive, bundles["public"], "--key-id", KEY_ID).returncode == 0
    result = gen_bundle_verify(tmp_path, bundles["a"].archive, bundles["public"], "--key-id", "someone-else")
    assert result.returncode == 1
    assert f"signed with key id '{KEY_ID}', expected 'someone-else'" in result.stderr


@pytest.mark.parametrize(
    ("case", "arguments", "message"),
    [
        ("missing key", ["--signing-key", "absent.key"], "absent.key: cannot read key: No such file or directory"),
        ("empty key", ["--signing-key", "empty.key"], "empty.key: the key file is empty"),
        ("secret without algorithm", ["--signing-key", "secret.key"], "for an HMAC secret name the algorithm"),
        ("PEM as HMAC secret", ["--signing-key", "es256.key", "--signing-alg", "HS256"], "needs a shared secret"),
        ("curve mismatch", ["--signing-key", "es256.key", "--signing-alg", "ES384"], "signs with ES256, not ES384"),
        (
            "RSA algorithm for EC",
            ["--signing-key", "es256.key", "--signing-alg", "RS256"],
            "signs with ES256, not RS256",
        ),
        ("EC algorithm for RSA", ["--signing-key", "rsa.key", "--signing-alg", "ES256"], "an RSA key signs with"),
        ("weak RSA key", ["--signing-key", "weak.key"], "RSA key of 1024 bits; at least 2048 are needed"),
        ("encrypted key", ["--signing-key", "encrypted.key"], "encrypted private keys are not supported"),
        ("public key to sign", ["--signing-key", "es256.pub"], "not a PEM private key"),
        ("unknown algorithm", ["--signing-key", "es256.key", "--signing-alg", "EdDSA"], "invalid choice: 'EdDSA'"),
        ("key id alone", ["--key-id", "k"], "--signing-alg and --key-id go with --signing-key or --verify"),
        ("verification key alone", ["--verification-key", "es256.pub"], "--verification-key goes with --verify"),
    ],
)
def test_unusable_signing_options_exit_2_and_write_nothing(
    case: str, arguments: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "p.yaml").write_text(POLICIES_A)
    (tmp_path / "empty.key").write_bytes(b"")
    (tmp_path / "secret.key").write_bytes(b"not a PEM file")
    key_pair("ES256").write(tmp_path, "es256")
    key_pair("RS256").write(tmp_path, "rsa")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = serialization.Encoding.PEM
    (tmp_path / "weak.key").write_bytes(
        weak.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "encrypted.key").write_bytes(
        weak.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    )
    result = gen_bundle("p.yaml", "-o", "out/bundle.tar.gz", *arguments, cwd=tmp_path)
    assert result.returncode == 2, (case, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--verify", "bundle.tar.gz"], "--verify needs --verification-key"),
        (["p.yaml", "--verify", "bundle.tar.gz", "--verification-key", "k.pub"], "--verify takes no PATH arguments"),
        (["--verify", "absent.tar.gz", "--verification-key", "k.pub"], "cannot read absent.tar.gz"),
        (["--verify", "bundle.tar.gz", "--verification-key", "absent.pub"], "absent.pub: cannot read key"),
        ([], "the following arguments are required: PATH"),
    ],
)
def test_verify_usage_errors_exit_2(arguments: list[str], message: str, tmp_path: Path) -> None:
    key_pair("ES256").write(tmp_path, "k")
    (tmp_path / "bundle.tar.gz").write_bytes(b"")
    (tmp_path / "p.yaml").write_text(POLICIES_A)
    result = gen_bundle(*arguments, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


WITHOUT_CRYPTOGRAPHY = (
    "import sys; sys.modules['cryptography'] = None; from generator.cli import main; sys.exit(main())"
)


def test_hmac_needs_no_extra_package_and_rsa_says_which_one_it_needs(tmp_path: Path) -> None:
    """Without the `signing` extra: HS256 signs, RS256 is refused with the install command."""
    (tmp_path / "p.yaml").write_text(POLICIES_A)
    hmac_key, _ = key_pair("HS256").write(tmp_path, "hmac")
    rsa_key, _ = key_pair("RS256").write(tmp_path, "rsa")

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        python = str(Path(shutil.which("gen-bundle") or "").parent / "python")
        return subprocess.run(
            [python, "-c", WITHOUT_CRYPTOGRAPHY, *arguments], capture_output=True, text=True, cwd=tmp_path, check=False
        )

    signed = run("p.yaml", "-o", "hmac.tar.gz", "--signing-key", str(hmac_key), "--signing-alg", "HS256")
    assert signed.returncode == 0, signed.stderr
    assert (
        gen_bundle(
            "--verify", "hmac.tar.gz", "--verification-key", str(hmac_key), "--signing-alg", "HS256", cwd=tmp_path
        ).returncode
        == 0
    )
    refused = run("p.yaml", "-o", "rsa.tar.gz", "--signing-key", str(rsa_key))
    assert refused.returncode == 2
    assert "need the 'cryptography' package: pip install 'gen-bundle[signing]'" in refused.stderr
    assert not (tmp_path / "rsa.tar.gz").exists()
