"""Scenario files: one YAML file per behaviour, with the policies and the checks they must decide.

description: what the scenario pins
forms: [universal, kubernetes]      # default; `as-written` runs the resources unchanged only
kuma_versions: [2.14.3]             # default: the build's default; each version is a run of its own
resources: [ ...Kuma resources, Universal or Kubernetes form... ]
checks:
  - name: orders may call payments
    inbound: {kuma.io/service: payments, app: payments}   # the local inbound's tags
    client: {kuma.io/service: orders, env: [dev, prod]}   # the client's tags (lists: several values)
    identity: certificate            # or principal (no peer certificate) or none (plaintext)
    client_mesh: other               # optional: the mesh that issued the client's identity
    mesh: default                    # optional
    expect: allowed                  # or denied
    reason: allowed-by-policy
    policy: allow-orders             # name of the deciding policy (of a no-matching-rule: the
                                     # selecting one it names), or null for none
    shadow_deny: false               # optional
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import kuma_yaml
from tests.support.forms import to_kubernetes

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@dataclass(frozen=True)
class Scenario:
    path: Path
    form: str
    description: str
    resources: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    kuma_version: str | None = None

    @property
    def id(self) -> str:
        version = f",{self.kuma_version}" if self.kuma_version else ""
        return f"{self.path.parent.name}/{self.path.stem}[{self.form}{version}]"

    def policy_yaml(self) -> str:
        resources = self.resources
        if self.form == "kubernetes":
            resources = [to_kubernetes(resource) for resource in resources]
        return kuma_yaml.dump_all(resources)


def load_scenarios(folder: str) -> list[Scenario]:
    scenarios = []
    for path in sorted((SCENARIOS / folder).glob("*.yaml")):
        content = kuma_yaml.load(path.read_text())
        for form in content.get("forms", ["universal", "kubernetes"]):
            for version in content.get("kuma_versions", [None]):
                checks = [check for check in content["checks"] if _applies(check, version)]
                scenarios.append(
                    Scenario(path, form, content.get("description", ""), content["resources"], checks, version)
                )
    return scenarios


def _applies(check: dict[str, Any], version: str | None) -> bool:
    """A check with `kuma_versions: [...]` holds for those runs only."""
    return version is None or "kuma_versions" not in check or version in check["kuma_versions"]
