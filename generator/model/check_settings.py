"""The settings (ext_authz context extensions) of an inbound check as deploy/ writes them for a
Dataplane's inbound (docs/decision-api.md "Settings"): the inbound's tags, then every fact of the
Dataplane, then the mesh and the direction. A split bundle's decision tables answer checks whose
settings are exactly these (docs/split.md "Decision tables"), so deploy/ and the split writer take
them from here."""

from __future__ import annotations

import json
from collections.abc import Mapping

from generator.model.inventory import Dataplane, DataplaneInbound

MESH = "kuma.io/mesh"
DIRECTION = "kuma.io/direction"
DATAPLANE_NAME = "kuma.io/dataplane-name"
DATAPLANE_NAMESPACE = "kuma.io/dataplane-namespace"
DATAPLANE_LABELS = "kuma.io/dataplane-labels"
INBOUND_NAME = "kuma.io/inbound-name"


def dataplane_settings(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, str]:
    """The Dataplane's facts; each written even when empty, so that none is left to OPA's labels."""
    return {
        DATAPLANE_NAME: name,
        DATAPLANE_NAMESPACE: namespace,
        DATAPLANE_LABELS: json.dumps(dict(labels), sort_keys=True, separators=(",", ":")),
    }


def inbound_settings(
    mesh: str,
    tags: Mapping[str, str],
    dataplane: Mapping[str, str],
    inbound_name: str = "",
) -> dict[str, str]:
    """`dataplane`: dataplane_settings(...). The inbound's name only when it has one (sectionName
    matches it, else the port)."""
    settings = {**tags, **dataplane}
    if inbound_name:
        settings[INBOUND_NAME] = inbound_name
    settings[MESH] = mesh
    settings[DIRECTION] = "inbound"
    return settings


def deployed_settings(dataplane: Dataplane, inbound: DataplaneInbound) -> dict[str, str]:
    """The settings deploy/ writes for this inbound of this Dataplane (what a decision table answers)."""
    facts = dataplane_settings(dataplane.name, dataplane.namespace, dataplane.labels)
    return inbound_settings(dataplane.mesh, inbound.tags, facts, inbound.name)
