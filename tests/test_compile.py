"""Compile passes: the mesh-wide precedence order and the look-up document built from it."""

from __future__ import annotations

from typing import Any

from generator.build import build
from generator.compile import compile_model
from generator.compile.precedence import in_precedence_order
from generator.model import MeshTrafficPermission, Model


def model_of(tmp_path: Any, text: str) -> Model:
    (tmp_path / "p.yaml").write_text(text)
    result = build([str(tmp_path / "p.yaml")])
    assert result.model is not None, [str(d) for d in result.errors]
    return result.model


def mtp(name: str, target: str = "kind: Mesh", action: str = "Allow", labels: str = "{}") -> str:
    return (
        f"type: MeshTrafficPermission\nname: {name}\nmesh: default\nlabels: {labels}\n"
        f"spec:\n  targetRef: {{{target}}}\n"
        f"  from: [{{targetRef: {{kind: Mesh}}, default: {{action: {action}}}}}]\n---\n"
    )


def names(policies: list[MeshTrafficPermission]) -> list[str]:
    return [policy.display_name for policy in policies]


def test_precedence_kind_then_origin_then_name_descending(tmp_path: Any) -> None:
    model = model_of(
        tmp_path,
        mtp("a", "kind: MeshService, name: web")
        + mtp("b")
        + mtp("c")
        + mtp("z-zone", labels="{kuma.io/origin: zone, kuma.io/zone: z1}")
        + mtp("y-global", labels="{kuma.io/origin: global}")
        + mtp("d", "kind: MeshSubset, tags: {app: web}"),
    )
    ordered = in_precedence_order(model.mesh_traffic_permissions)
    assert names(ordered) == ["y-global", "c", "b", "z-zone", "d", "a"]


def test_ranks_follow_policy_order_then_entry_order(tmp_path: Any) -> None:
    text = mtp("b") + (
        "type: MeshTrafficPermission\nname: a\nmesh: default\nspec:\n  from:\n"
        "    - {targetRef: {kind: MeshSubset, tags: {env: dev}}, default: {action: Deny}}\n"
        "    - {targetRef: {kind: MeshSubset, tags: {env: prod}}, default: {action: Allow}}\n"
    )
    data = compile_model(model_of(tmp_path, text))["meshes"]["default"]
    assert [policy["name"] for policy in data["policies"]] == ["b", "a"]
    by_client = data["selection"]["from"]["any"]["by_pair"]["env"]
    assert by_client["dev"][0]["rank"] == 1
    assert by_client["prod"][0]["rank"] == 2
    assert data["selection"]["from"]["any"]["any"][0]["rank"] == 0


def test_entries_that_can_never_win_are_pruned_from_their_bucket(tmp_path: Any) -> None:
    # Three mesh-wide allow-alls: only the last applied one can ever decide.
    data = compile_model(model_of(tmp_path, mtp("c") + mtp("b") + mtp("a", action="Deny")))
    bucket = data["meshes"]["default"]["selection"]["from"]["any"]["any"]
    assert bucket == [{"action": "Deny", "client": {}, "entry": 0, "inbound": {}, "policy": 2, "rank": 2}]
    # of the three that select every inbound, the last applied is the one a no-matching-rule names
    assert data["meshes"]["default"]["selection"]["from_policies"]["any"] == [{"inbound": {}, "policy": 2}]


def test_a_selection_keeps_the_policies_that_may_be_the_best_selecting_one(tmp_path: Any) -> None:
    # c selects every inbound; the MeshSubset ones come later in precedence and select some only
    text = mtp("a", "kind: MeshSubset, tags: {env: dev}") + mtp("c") + mtp("b", "kind: MeshSubset, tags: {team: money}")
    data = compile_model(model_of(tmp_path, text))["meshes"]["default"]
    assert [policy["name"] for policy in data["policies"]] == ["c", "b", "a"]
    selects = data["selection"]["from_policies"]
    assert selects["any"] == [{"inbound": {}, "policy": 0}]
    assert selects["by_pair"] == {
        "env": {"dev": [{"inbound": {}, "policy": 2}]},
        "team": {"money": [{"inbound": {}, "policy": 1}]},
    }


def test_a_selection_keeps_one_record_per_selector_the_highest(tmp_path: Any) -> None:
    # b and a select alike (a comes later); c selects every inbound but comes first: all of it is kept
    # but b's record, which a's always outranks
    text = "".join(mtp(name, "kind: MeshSubset, tags: {team: money, env: dev}") for name in ("a", "b")) + mtp("c")
    data = compile_model(model_of(tmp_path, text))["meshes"]["default"]
    assert [policy["name"] for policy in data["policies"]] == ["c", "b", "a"]
    selects = data["selection"]["from_policies"]
    assert selects["any"] == [{"inbound": {}, "policy": 0}]
    assert selects["by_pair"] == {"env": {"dev": [{"inbound": {"team": "money"}, "policy": 2}]}}


def test_the_rarest_pair_indexes_an_entry(tmp_path: Any) -> None:
    text = (
        "type: MeshTrafficPermission\nname: p\nmesh: default\nspec:\n"
        "  targetRef: {kind: MeshServiceSubset, name: payments, tags: {team: money}}\n  from:\n"
        "    - {targetRef: {kind: MeshSubset, tags: {env: prod, kuma.io/service: web}}, default: {action: Allow}}\n"
        "    - {targetRef: {kind: MeshSubset, tags: {env: prod}}, default: {action: Allow}}\n"
        "---\n" + mtp("q", "kind: MeshSubset, tags: {team: money}")
    )
    selection = compile_model(model_of(tmp_path, text))["meshes"]["default"]["selection"]
    # team=money is shared by two policies, kuma.io/service=payments by one: the service indexes p.
    bucket = selection["from"]["by_pair"]["kuma.io/service"]["payments"]
    assert bucket["by_pair"]["kuma.io/service"]["web"][0]["client"] == {"env": "prod"}
    assert bucket["by_pair"]["kuma.io/service"]["web"][0]["inbound"] == {"team": "money"}


def test_workload_owner_policies_require_their_namespace(tmp_path: Any) -> None:
    text = (
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTrafficPermission\n"
        "metadata: {name: p, namespace: shop, labels: {kuma.io/mesh: default}}\n"
        "spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}\n"
    )
    selection = compile_model(model_of(tmp_path, text))["meshes"]["default"]["selection"]
    assert selection["from_policies"]["by_pair"] == {"k8s.kuma.io/namespace": {"shop": [{"inbound": {}, "policy": 0}]}}


def test_compiling_is_deterministic_whatever_the_input_order(tmp_path: Any) -> None:
    policies = [mtp("a"), mtp("b", "kind: MeshSubset, tags: {x: z}"), mtp("c", action="Deny")]
    forward = compile_model(model_of(tmp_path, "".join(policies)))
    backward = compile_model(model_of(tmp_path, "".join(reversed(policies))))
    assert forward == backward
