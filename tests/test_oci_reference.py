"""`oci://HOST[:PORT]/REPOSITORY[:TAG]` as `gen-bundle push` and `-o` read it (docs/distribution.md#push):
the distribution spec's grammar for names and tags; what a registry would refuse is refused before any
request. The refusals through the command line: tests/e2e/test_oci_distribution.py."""

from __future__ import annotations

import pytest

from generator.bundle.oci import OciError, Reference, parse_reference


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("oci://registry.example.com/kuma", Reference("registry.example.com", "kuma", "latest")),
        ("oci://127.0.0.1:5000/mesh/kuma:v1", Reference("127.0.0.1:5000", "mesh/kuma", "v1")),
        ("oci://[::1]:5000/a/b/c:1.2_3-rc", Reference("[::1]:5000", "a/b/c", "1.2_3-rc")),
        ("oci://ghcr.io/org/kuma__authz.x-y:prod", Reference("ghcr.io", "org/kuma__authz.x-y", "prod")),
    ],
)
def test_a_reference_names_host_repository_and_tag(target: str, expected: Reference) -> None:
    assert parse_reference(target) == expected
    assert parse_reference(str(expected)) == expected  # what messages print reads back the same


@pytest.mark.parametrize(
    "target",
    [
        "oci://",
        "oci://host",
        "oci://host/",
        "oci://host:port/kuma",
        "oci://host/kuma/",
        "oci://host/ku--ma_",
        "oci://host/kuma:" + "x" * 129,
        "oci://host/" + "a" * 251,
    ],
)
def test_what_a_registry_would_refuse_is_refused_first(target: str) -> None:
    with pytest.raises(OciError):
        parse_reference(target)
