"""Where a new-style policy sits in precedence and scope: role, origin and zone (spec B §4.1, §4.3, A10).

A Kubernetes policy outside the system namespace has role `workload-owner` and applies only to its own
namespace; everything else has role `system`. `kuma.io/origin: zone` policies outrank global ones and
apply only in their `kuma.io/zone`.
"""

from __future__ import annotations

from generator.model import Form, Origin, Role, Source
from generator.validation.fields import Field, Report

_ORIGINS = {"global": Origin.GLOBAL, "zone": Origin.ZONE}


def policy_placement(
    source: Source, report: Report, system_namespaces: frozenset[str]
) -> tuple[Role, Origin, str | None]:
    role = Role.SYSTEM
    if source.form is Form.KUBERNETES and source.namespace and source.namespace not in system_namespaces:
        role = Role.WORKLOAD_OWNER
    origin_label = source.labels.get("kuma.io/origin")
    origin = _ORIGINS.get(origin_label or "", Origin.UNSET)
    if origin_label and origin_label not in _ORIGINS:
        report.warning(
            Field(("labels",)) if source.form is Form.UNIVERSAL else Field(("metadata", "labels")),
            f'label kuma.io/origin "{origin_label}" is neither "global" nor "zone"; treated as unset',
        )
    zone = source.labels.get("kuma.io/zone") if origin is Origin.ZONE else None
    return role, origin, zone or None
