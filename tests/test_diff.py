"""`gen-bundle diff OLD NEW`: exit statuses as diff(1), equal rewrites equal with
--ignore-attribution, each seeded change named with the affected pairs, and every witness decided
as reported by a real OPA server loaded with each bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.opa import OpaServer
from tests.test_cli import ROOT, gen_bundle

DIFF = ROOT / "tests" / "scenarios" / "diff"
CHANGES: list[dict[str, Any]] = yaml.safe_load((DIFF / "seeded" / "changes.yaml").read_text())


def diff(*arguments: str) -> tuple[int, dict[str, Any]]:
    result = gen_bundle("diff", *arguments, "--format", "json")
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout else {}


def word(outcome: dict[str, Any]) -> str:
    return "deny" if not outcome["allowed"] else "shadow-deny" if outcome["shadow_deny"] else "allow"


def transitions(differences: list[dict[str, Any]], members: str) -> set[tuple[str, str, str, str]]:
    """(destination, member, decision before, decision after) of every member of every class."""
    return {
        (d["destination"], member, word(d["before"]), word(d["after"])) for d in differences for member in d[members]
    }


def test_the_same_policies_have_no_difference() -> None:
    base = str(DIFF / "seeded" / "base.yaml")
    status, report = diff(base, base)
    assert status == 0
    assert report["differences"] == []
    assert report["unchanged"] == report["inbounds"]


@pytest.mark.parametrize("case", ["tp-to-mtp", "meshservice-vs-meshsubset"])
def test_an_equal_rewrite_differs_only_in_attribution(case: str) -> None:
    old, new = str(DIFF / case / "old"), str(DIFF / case / "new")
    status, report = diff(old, new, "--ignore-attribution")
    assert (status, report["differences"]) == (0, [])
    status, report = diff(old, new)
    assert status == 1
    assert all(word(d["before"]) == word(d["after"]) for d in report["differences"])


def built_bundle(policies: Path, folder: Path) -> Path:
    folder.mkdir()
    output = folder / "bundle.tar.gz"
    result = gen_bundle(str(policies), "-o", str(output))
    assert result.returncode == 0, result.stderr
    return output


@pytest.mark.parametrize("change", CHANGES, ids=[change["name"] for change in CHANGES])
def test_a_seeded_change_names_the_affected_pairs_with_witnesses_opa_confirms(
    change: dict[str, Any], tmp_path: Path
) -> None:
    base = DIFF / "seeded" / "base.yaml"
    changed = tmp_path / "changed.yaml"
    text = base.read_text()
    before, after = change["replace"]
    assert before in text
    changed.write_text(text.replace(before, after))
    status, report = diff(str(base), str(changed))
    assert status == 1
    found = transitions(report["differences"], "clients")
    for destination, client, old_word, new_word in change["expect"]:
        assert (destination, client, old_word, new_word) in found, sorted(found)
    with (
        OpaServer(built_bundle(base, tmp_path / "old")) as old_opa,
        OpaServer(built_bundle(changed, tmp_path / "new")) as new_opa,
    ):
        for difference in report["differences"]:
            old_decision = old_opa.query("kuma/authz/inbound/decision", difference["witness"])
            new_decision = new_opa.query("kuma/authz/inbound/decision", difference["witness"])
            assert old_decision["allowed"] == difference["before"]["allowed"]
            assert new_decision["allowed"] == difference["after"]["allowed"]
            assert old_decision["dynamic_metadata"]["reason"] == difference["before"]["reason"]
            assert new_decision["dynamic_metadata"]["reason"] == difference["after"]["reason"]


def test_one_kuma_version_against_another() -> None:
    policies = str(DIFF / "versions.yaml")
    status, report = diff(policies, policies, "--old-kuma-version", "2.13.0", "--new-kuma-version", "2.14.3")
    assert status == 1
    [difference] = report["differences"]
    assert difference["clients"] == ["spiffe://default.zone-1.mesh.local/ns/team-a/sa/intruder"]
    assert (word(difference["before"]), word(difference["after"])) == ("allow", "deny")
    assert difference["after"]["policy"]["name"] == "no-intruder"


def test_an_inventory_names_the_dataplanes(tmp_path: Path) -> None:
    base = DIFF / "seeded" / "base.yaml"
    changed = tmp_path / "changed.yaml"
    changed.write_text(base.read_text().replace("{kind: MeshSubset, tags: {kuma.io/service: orders}}", "{kind: Mesh}"))
    inventory = tmp_path / "dataplanes.yaml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "items": [
                    {
                        "type": "Dataplane",
                        "mesh": "default",
                        "name": name,
                        "labels": {"app": service},
                        "networking": {
                            "address": "10.0.0.1",
                            "inbound": [{"port": 8080, "tags": {"kuma.io/service": service}}],
                        },
                    }
                    for name, service in [("payments-1", "payments"), ("billing-1", "billing")]
                ]
            }
        )
    )
    status, report = diff(str(base), str(changed), "--inventory", str(inventory))
    assert status == 1
    # billing was denied by deny-billing, payments (calling itself) by no entry: the Mesh-wide allow
    # of the more specific policy now admits both
    changes = sorted((d["destination"], client) for d in report["differences"] for client in d["clients"])
    assert changes == [("payments-1:8080", "billing-1:8080"), ("payments-1:8080", "payments-1:8080")]


def test_trouble_is_exit_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: MeshTrafficPermission\nname: x\nmesh: default\nspec: {}\n")
    result = gen_bundle("diff", str(DIFF / "seeded" / "base.yaml"), str(bad))
    assert result.returncode == 2
    assert "error[" in result.stderr
    missing = gen_bundle("diff", str(DIFF / "seeded" / "base.yaml"), str(tmp_path / "absent"))
    assert missing.returncode == 2
    assert "absent" in missing.stderr


def console_blocks(page: Path) -> list[tuple[list[str], list[str]]]:
    """Each ```console block of a page: the command's arguments and the lines it prints."""
    blocks = []
    for block in page.read_text().split("```console\n")[1:]:
        command, *printed = block.split("```", 1)[0].splitlines()
        blocks.append((command.removeprefix("$ gen-bundle ").split(), printed))
    return blocks


@pytest.mark.parametrize("index", range(len(console_blocks(ROOT / "docs" / "diff.md"))))
def test_the_worked_examples_of_the_docs_are_what_the_command_prints(index: int) -> None:
    arguments, printed = console_blocks(ROOT / "docs" / "diff.md")[index]
    result = gen_bundle(*arguments)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.splitlines() == printed


SNI_POLICIES = """type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends: [{name: ca-1, type: builtin}]
---
type: MeshTrafficPermission
name: by-server-name
mesh: default
spec:
  targetRef: {kind: Dataplane, labels: {app: api}}
  rules:
    - default:
        allow:
          - sni: {type: Exact, value: NAME}
"""


def test_a_changed_sni_match_is_found_for_the_server_names_the_sets_name(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(SNI_POLICIES.replace("NAME", "api.shop"))
    new.write_text(SNI_POLICIES.replace("NAME", "api.shop.internal"))
    status, report = diff(str(old), str(new))
    assert status == 1
    changes = {(d["destination"], word(d["before"]), word(d["after"])) for d in report["differences"]}
    assert ("any inbound, Dataplane labels app=api, sni api.shop", "allow", "deny") in changes
    assert ("any inbound, Dataplane labels app=api, sni api.shop.internal", "deny", "allow") in changes


def test_a_client_no_rule_matches_is_asked_where_the_policy_its_denial_names_changes() -> None:
    # new.yaml adds api-only, which takes precedence on app=api: a client neither policy admits is
    # denied there naming it
    rules = DIFF / "rules-no-match"
    status, report = diff(str(rules / "old.yaml"), str(rules / "new.yaml"))
    assert status == 1
    renamed = [
        d
        for d in report["differences"]
        if (d["before"]["reason"], d["after"]["reason"]) == ("no-matching-rule", "no-matching-rule")
        and (d["before"]["policy"]["name"], d["after"]["policy"]["name"]) == ("mesh-wide", "api-only")
    ]
    assert renamed, report["differences"]
    assert all("app=api" in d["destination"] for d in renamed)


def test_outbound_changes_are_found_with_witnesses_opa_confirms(tmp_path: Path) -> None:
    base = ROOT / "tests" / "scenarios" / "explain" / "outbound.yaml"
    changed = tmp_path / "changed.yaml"
    text = base.read_text()
    changed.write_text(
        text.replace("match: {kuma.io/service: web}", "match: {kuma.io/service: billing}").replace(
            "passthroughMode: None", "passthroughMode: All"
        )
    )
    status, report = diff(str(base), str(changed))
    assert status == 1
    found = transitions(report["outbound_differences"], "proxies")
    assert ("httpbin.org:443/tls", "kuma.io/service=web", "allow", "deny") in found
    assert ("httpbin.org:443/tls", "kuma.io/service=billing", "deny", "allow") in found
    assert ("api.example.com:443/tls", "env=locked,kuma.io/service=web", "deny", "allow") in found
    with (
        OpaServer(built_bundle(base, tmp_path / "old")) as old_opa,
        OpaServer(built_bundle(changed, tmp_path / "new")) as new_opa,
    ):
        for difference in report["outbound_differences"]:
            assert old_opa.query("kuma/authz/outbound/allow", difference["witness"]) == difference["before"]["allowed"]
            assert new_opa.query("kuma/authz/outbound/allow", difference["witness"]) == difference["after"]["allowed"]
    status, report = diff(str(base), str(base))
    assert (status, report["outbound_differences"]) == (0, [])


def test_a_change_is_found_in_the_zones_a_zone_originated_policy_leaves_out() -> None:
    zones = DIFF / "zones"
    status, report = diff(str(zones / "old.yaml"), str(zones / "new.yaml"))
    assert status == 1
    found = transitions(report["differences"], "clients")
    payments_elsewhere = "kuma.io/service=payments,kuma.io/zone=gen-bundle-some-zone"
    assert (payments_elsewhere, "kuma.io/service=orders", "allow", "deny") in found, sorted(found)
    assert all("zone-a" not in destination for destination, *_ in found)  # the zone's Deny decides there
