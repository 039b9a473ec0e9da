"""Mesh: Kuma's validation of the fields that decide access (spec B §2) and the typed mesh.

Passes::

    mtls: {enabledBackend: ca-1, backends: [{name: ca-1, type: builtin, mode: PERMISSIVE}]}
    networking: {outbound: {passthrough: false}}

Fails::

    mtls: {enabledBackend: ca-2, backends: [{name: ca-1, type: builtin}]}
        # mtls.enabledBackend: has to be set to one of the backends in the mesh
    mtls: {backends: [{name: a, type: builtin}, {name: b, type: builtin}]}
        # mtls.backends: cannot have more than 1 backends
"""

from __future__ import annotations

import re
from typing import Any

from generator.model import Form, Mesh, MTLSMode, Source
from generator.validation.fields import (
    Field,
    Report,
    expect_bool,
    expect_enum,
    expect_list,
    expect_object,
    expect_string,
)

# Top-level fields of Kuma's Mesh message; only mtls and networking.outbound decide access.
MESH_FIELDS = frozenset(
    {
        "mtls",
        "tracing",
        "logging",
        "metrics",
        "networking",
        "routing",
        "constraints",
        "skipCreatingInitialPolicies",
        "meshServices",
    }
)
MTLS_FIELDS = frozenset({"enabledBackend", "backends", "skipValidation"})
BACKEND_FIELDS = frozenset({"name", "type", "dpCert", "conf", "mode", "rootChain"})
MODES = ("STRICT", "PERMISSIVE")
# Kuma's durations: Go's units plus days ("1d", "36h", "1h30m").
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$")


def validate(source: Source, report: Report) -> Mesh | None:
    # Universal keeps the fields at the top level, Kubernetes under spec; Kuma's paths are the same.
    spec = expect_object(report, Field(root="" if source.form is Form.UNIVERSAL else "spec"), source.spec, MESH_FIELDS)
    mtls_at = Field(("mtls",))
    mtls = expect_object(report, mtls_at, spec.get("mtls"), MTLS_FIELDS)
    backends = expect_list(report, mtls_at / "backends", mtls.get("backends"))
    modes = _backends(report, mtls_at / "backends", backends)

    enabled = expect_string(report, mtls_at / "enabledBackend", mtls.get("enabledBackend"))
    mode = MTLSMode.DISABLED
    if enabled:
        if enabled not in modes:
            report.error(mtls_at / "enabledBackend", "has to be set to one of the backends in the mesh")
        else:
            mode = MTLSMode.PERMISSIVE if modes[enabled] == "PERMISSIVE" else MTLSMode.STRICT

    networking = expect_object(report, Field(("networking",)), spec.get("networking"))
    outbound = expect_object(report, Field(("networking", "outbound")), networking.get("outbound"))
    passthrough = expect_bool(report, Field(("networking", "outbound", "passthrough")), outbound.get("passthrough"))

    if report.failed:
        return None
    return Mesh(source, source.name, mode, True if passthrough is None else passthrough)


def _backends(report: Report, at: Field, backends: list[Any]) -> dict[str, str]:
    """Backend name → mode, for the backends that are valid."""
    if len(backends) > 1:
        report.error(at, "cannot have more than 1 backends")
    modes: dict[str, str] = {}
    for index, value in enumerate(backends):
        backend_at = at / index
        backend = expect_object(report, backend_at, value, BACKEND_FIELDS)
        name = expect_string(report, backend_at / "name", backend.get("name"))
        if not name:
            report.error(backend_at / "name", "has to be defined")
        elif name in modes:
            report.error(backend_at / "name", f'"{name}" name is already used for another backend')
        if not expect_string(report, backend_at / "type", backend.get("type")):
            report.error(backend_at / "type", "has to be defined")
        mode = expect_enum(report, backend_at / "mode", backend.get("mode"), MODES) or "STRICT"
        _expiration(report, backend_at / "dpCert", backend.get("dpCert"))
        if name and name not in modes:
            modes[name] = mode
    return modes


def _expiration(report: Report, at: Field, value: Any) -> None:
    dp_cert = expect_object(report, at, value)
    rotation = expect_object(report, at / "rotation", dp_cert.get("rotation"))
    expiration = expect_string(report, at / "rotation" / "expiration", rotation.get("expiration"))
    if expiration is not None and not _DURATION.match(expiration):
        report.error(at / "rotation" / "expiration", "has to be a valid format")
