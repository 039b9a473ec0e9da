"""`gen-bundle matrix`: who may talk to whom, each cell what the real OPA decides for that pair.

The matrix asks OPA one decision per class of clients a destination cannot tell apart
(generator/questions/classes.py); here every pair is asked on its own and must agree. The HTML page
is rendered by a real headless chromium; its screenshot is kept in test-artefacts/ (or
$GEN_BUNDLE_ARTEFACTS).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.build import build
from generator.checks.opa import find_opa
from generator.questions.endpoints import dataplane_endpoints, named_services, service_endpoints
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input
from generator.reading.inventory import read_inventory
from generator.verbs.matrix import policy_text
from tests.support.tools import tool
from tests.test_cli import ROOT, gen_bundle

SCENARIOS = ROOT / "tests" / "scenarios"
CASES = [
    (SCENARIOS / "explain" / "from-precedence.yaml", None),
    (SCENARIOS / "explain" / "rules-drop-from.yaml", None),
    (SCENARIOS / "inventory" / "rules-migration.yaml", SCENARIOS / "inventory" / "dataplanes.yaml"),
    (SCENARIOS / "matrix" / "shop.yaml", None),
]
ARTEFACTS = Path(os.environ.get("GEN_BUNDLE_ARTEFACTS", ROOT / "test-artefacts"))


def matrix(policies: Path, output: Path, inventory: Path | None = None) -> subprocess.CompletedProcess[str]:
    arguments = ["matrix", str(policies), "-o", str(output)]
    if inventory is not None:
        arguments += ["--inventory", str(inventory)]
    result = gen_bundle(*arguments)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize(("policies", "inventory"), CASES, ids=[case[0].stem for case in CASES])
def test_every_cell_is_what_opa_decides_for_that_pair(policies: Path, inventory: Path | None, tmp_path: Path) -> None:
    matrix(policies, tmp_path / "m.csv", inventory)
    with (tmp_path / "m.csv").open() as file:
        cells = {(row["client"], row["destination"]): row for row in csv.DictReader(file)}

    opa = find_opa()
    result = build([str(policies)], None, opa)
    assert result.model is not None
    assert result.bundle is not None
    if inventory is not None:
        endpoints = dataplane_endpoints(read_inventory(str(inventory)))
    else:
        endpoints = service_endpoints(named_services([result.model]))
    pairs = [(c, d) for d in endpoints for c in endpoints if c.mesh == d.mesh]
    inputs = [inbound_input(d.mesh, d.inbound, c.client) for c, d in pairs]
    decisions = evaluate(opa, result.bundle, "data.kuma.authz.inbound.decision", inputs)
    assert len(cells) == len(pairs)
    for (client, destination), decision in zip(pairs, decisions, strict=True):
        metadata = decision["dynamic_metadata"]
        word = "deny" if not decision["allowed"] else "shadow-deny" if metadata["shadow_deny"] else "allow"
        expected = {
            "client": client.name,
            "destination": destination.name,
            "decision": word,
            "reason": metadata["reason"],
            "policy": policy_text(metadata.get("policy")),
        }
        assert cells[(client.name, destination.name)] == expected


def test_each_format_is_written(tmp_path: Path) -> None:
    policies = SCENARIOS / "matrix" / "shop.yaml"
    matrix(policies, tmp_path / "m.json")
    rows = {(row["client"], row["destination"]): row for row in json.loads((tmp_path / "m.json").read_text())}
    assert rows[("web", "orders")] == {
        "client": "web",
        "destination": "orders",
        "decision": "allow",
        "reason": "allowed-by-policy",
        "policy": "MeshTrafficPermission default/orders",
    }
    assert rows[("web", "payments")]["decision"] == "shadow-deny"
    matrix(policies, tmp_path / "m.mmd")
    mermaid = (tmp_path / "m.mmd").read_text()
    assert mermaid.startswith("flowchart LR\n")
    assert "n_web --> n_orders" in mermaid
    matrix(policies, tmp_path / "m.dot")
    dot = (tmp_path / "m.dot").read_text()
    assert '"web" -> "orders" [color="#15803d"];' in dot
    assert '"orders" -> "web"' not in dot


def test_the_html_page_renders_the_grid_in_a_real_browser(tmp_path: Path) -> None:
    policies = SCENARIOS / "matrix" / "shop.yaml"
    page = tmp_path / "matrix.html"
    matrix(policies, page)
    html = page.read_text()
    assert "http://" not in html.replace("http://www.w3.org", "")  # self-contained: nothing fetched
    assert "https://" not in html
    chromium = shutil.which("chromium") or tool("chromium")
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,800"]
    dom = subprocess.run(
        [*common, "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    matrix(policies, tmp_path / "m.csv")
    with (tmp_path / "m.csv").open() as file:
        expected = list(csv.DictReader(file))
    for row in expected:
        cell = (
            f'data-client="{row["client"]}" data-destination="{row["destination"]}" data-decision="{row["decision"]}"'
        )
        assert cell in dom, f"no rendered cell {cell}"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "matrix.png"
    subprocess.run([*common, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    assert screenshot.stat().st_size > 5_000


def test_the_worked_example_of_the_docs_is_what_the_command_prints(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "matrix.md").read_text()
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    first, second = block.split("$ ")[1:3]
    command, *printed = first.splitlines()
    output = command.split(" -o ")[1]
    arguments = command.removeprefix("gen-bundle ").replace(output, str(tmp_path / output)).split()
    result = gen_bundle(*arguments)
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace(str(tmp_path / output), output).splitlines() == printed
    assert (tmp_path / output).read_text().splitlines() == second.splitlines()[1:]
