"""An inventory of Dataplanes (docs/inventory.md): read in either form Kuma prints, and used by the
build to name the inbounds a from[] policy loses to rules[] (CMB006), as the bundle decides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.reading.inventory import InventoryError, read_inventory
from tests.test_cli import ROOT, gen_bundle

INVENTORY = ROOT / "tests" / "scenarios" / "inventory"


def test_kumactl_output_gives_each_dataplane_with_its_display_name_and_namespace() -> None:
    payments, web = read_inventory(str(INVENTORY / "dataplanes.yaml"))
    assert (payments.mesh, payments.name, payments.namespace) == ("default", "payments-1", "")
    assert [(inbound.port, inbound.name) for inbound in payments.inbounds] == [(8080, ""), (9090, "metrics")]
    assert (web.name, web.namespace, web.labels["app"]) == ("web-7d9f", "shop", "web")


def test_a_kubectl_list_gives_the_same_fields() -> None:
    (payments,) = read_inventory(str(INVENTORY / "dataplanes-kubectl.yaml"))
    assert (payments.mesh, payments.name, payments.namespace) == ("default", "payments-5c8d", "shop")
    assert payments.inbounds[0].tags["kuma.io/service"] == "payments_shop_svc_8080"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "items:\n  - type: Mesh\n    name: default\n",
            "inventory.yaml:2:5: an inventory lists Dataplanes",
        ),
        ("type: Dataplane\nmesh: m\nname: a\nnetworking:\n  inbound:\n    - tags: {}\n", "inventory.yaml:6:7:"),
        ("items: [", "inventory.yaml:2:1: invalid YAML"),
    ],
)
def test_an_unreadable_inventory_is_refused_with_its_position(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    with pytest.raises(InventoryError) as refused:
        read_inventory(str(path))
    assert str(refused.value).startswith(str(tmp_path / message)), refused.value


def test_the_build_names_the_inbounds_a_from_policy_loses_to_rules(tmp_path: Path) -> None:
    policies = str((INVENTORY / "rules-migration.yaml").relative_to(ROOT))
    inventory = str((INVENTORY / "dataplanes.yaml").relative_to(ROOT))
    result = gen_bundle(policies, "-o", str(tmp_path / "b.tar.gz"), "--inventory", inventory)
    assert result.returncode == 0, result.stderr
    warnings = {line.split(": ")[2]: line for line in result.stderr.splitlines() if "[CMB006]" in line}
    assert warnings["MeshTrafficPermission default/legacy-allow-all"].endswith(
        "; in the inventory it is dropped on payments-1 inbound 8080, payments-1 inbound metrics"
    )
    assert warnings["MeshTrafficPermission default/web-from-orders"].endswith(
        "; no Dataplane of the inventory loses it"
    )


def test_a_bad_inventory_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("type: Mesh\nname: default\n")
    policies = str((INVENTORY / "rules-migration.yaml").relative_to(ROOT))
    result = gen_bundle(policies, "-o", str(tmp_path / "b.tar.gz"), "--inventory", str(bad))
    assert result.returncode == 2
    assert f"{bad}:1:1: an inventory lists Dataplanes" in result.stderr
    assert not (tmp_path / "b.tar.gz").exists()
