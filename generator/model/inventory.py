"""The proxies that exist: Dataplanes as `kumactl get dataplanes -o yaml` (or kubectl) lists them.

An inventory turns answers about policies into answers about proxies (docs/inventory.md): which
Dataplane inbounds a policy loses, who may call whom among the services that run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.diagnostics import Location


@dataclass(frozen=True)
class DataplaneInbound:
    port: int
    tags: dict[str, str]
    name: str = ""  # the inbound's name (sectionName matches it, else the port)

    def describe(self) -> str:
        return self.name or str(self.port)


@dataclass(frozen=True)
class Dataplane:
    mesh: str
    name: str  # the display name (on Kubernetes the pod's)
    namespace: str  # Kubernetes only
    labels: dict[str, str]
    inbounds: tuple[DataplaneInbound, ...]
    location: Location = field(default=Location("<inventory>", 0, 0), compare=False)

    def describe(self) -> str:
        return f"{self.name}.{self.namespace}" if self.namespace else self.name
