"""Each sidecar's OPA-Envoy fetches its own split bundle (docs/split.md) from the real nginx and decides
real Envoy traffic with it; a change to another service's policy leaves its bundle untouched, a change
to its own policy reaches it within the polling interval."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.render import Polling
from tests.support.deployment import Mesh, http_get, start_mesh, wait_until
from tests.support.tools import ROOT

pytestmark = pytest.mark.e2e

POLLING = Polling(min_delay_seconds=1, max_delay_seconds=2)
ACTIVATION_SLACK_SECONDS = 1.5
SPLIT = "split"
PAYMENTS = f"{SPLIT}/default/services/payments.tar.gz"
ORDERS = f"{SPLIT}/default/services/orders.tar.gz"
LEDGER = f"{SPLIT}/default/services/ledger.tar.gz"

POLICIES = """\
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
---
type: MeshTrafficPermission
name: payments-accepts-orders
mesh: default
spec:
  targetRef: {kind: MeshService, name: payments}
  from:
    - targetRef: {kind: MeshSubset, tags: {kuma.io/service: orders}}
      default: {action: {payments}}
---
type: MeshTrafficPermission
name: ledger-accepts-web
mesh: default
spec:
  targetRef: {kind: MeshService, name: ledger}
  from:
    - targetRef: {kind: MeshSubset, tags: {kuma.io/service: web}}
      default: {action: {ledger}}
"""


def split(policies: Path, served: Path, payments: str, ledger: str) -> dict[str, str]:
    """`gen-bundle --split` as users run it; the revision of every bundle, by file."""
    policies.write_text(POLICIES.replace("{payments}", payments).replace("{ledger}", ledger))
    command = [sys.executable, "-m", "generator", str(policies), "--split", str(served / SPLIT), "-q"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    index = json.loads((served / SPLIT / "index.json").read_text())
    return {f"{SPLIT}/{entry['file']}": entry["revision"] for entry in index["bundles"]}


@pytest.fixture(scope="module")
def served() -> Iterator[Path]:
    # nginx's workers drop root privileges (to nobody): the served folder must be readable by anyone.
    folder = Path(tempfile.mkdtemp(prefix="gen-bundle-split-served-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-split")


@pytest.fixture(scope="module")
def mesh(work: Path, served: Path) -> Iterator[Mesh]:
    split(work / "policies.yaml", served, "Allow", "Allow")
    yield from start_mesh(work, served, POLLING, (PAYMENTS, ORDERS))


def test_each_sidecar_activates_its_own_bundle_and_decides_with_it(mesh: Mesh, work: Path, served: Path) -> None:
    revisions = split(work / "policies.yaml", served, "Allow", "Allow")
    assert mesh.opa_server.revision() == revisions[PAYMENTS]
    assert mesh.opa_client.revision() == revisions[ORDERS]
    answer = http_get(mesh.deployment.client.http_port, "/")
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.decision_headers["x-kuma-authz-policy"] == "MeshTrafficPermission/default/payments-accepts-orders"


def test_only_the_bundle_a_change_affects_is_rewritten_and_reloaded(mesh: Mesh, work: Path, served: Path) -> None:
    policies = work / "policies.yaml"
    before = split(policies, served, "Allow", "Allow")
    stamps = {file: (served / file).stat().st_mtime_ns for file in before}

    after = split(policies, served, "Allow", "Deny")  # another service's policy
    assert {file for file in before if after[file] != before[file]} == {LEDGER}
    assert {file for file in before if (served / file).stat().st_mtime_ns != stamps[file]} == {LEDGER}

    denied = split(policies, served, "Deny", "Deny")  # the server sidecar's own policy
    assert {file for file in after if denied[file] != after[file]} == {PAYMENTS}
    wait_until(
        lambda: mesh.opa_server.revision() == denied[PAYMENTS],
        POLLING.max_delay_seconds + ACTIVATION_SLACK_SECONDS,
        "the server sidecar's OPA-Envoy to activate its rewritten bundle",
    )
    answer = http_get(mesh.deployment.client.http_port, "/")
    assert answer.status == 403, (answer.status, answer.body)
    assert answer.decision_headers["x-kuma-authz-reason"] == "denied-by-policy"
    assert mesh.opa_client.revision() == before[ORDERS]
