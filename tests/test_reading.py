"""Reading: every input shape Kuma users have (Universal, Kubernetes, kubectl Lists, multi-document
files, JSON, folders) becomes the same resources, each knowing where it came from. The files and
documents are read by generator/reading; what a document is (kind, form, mesh) the checks decide, so
these tests go through the real checks (OPA) and look at the model."""

from __future__ import annotations

import json
import os
from pathlib import Path

from generator.build import check
from generator.model import Form, Model
from generator.reading.files import read_inputs

MTP_SPEC = {"from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}]}
MTP = "spec:\n  from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]\n"


def model_of(*paths: Path) -> Model:
    result = check([str(path) for path in paths])
    assert not result.errors, "\n".join(map(str, result.errors))
    assert result.model is not None
    return result.model


def test_universal_and_kubernetes_forms_give_the_same_resource(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_text("type: MeshTrafficPermission\nname: allow\nmesh: shop\n" + MTP)
    (tmp_path / "k.yaml").write_text(
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTrafficPermission\n"
        "metadata: {name: allow, namespace: kuma-system, labels: {kuma.io/mesh: shop}}\n" + MTP
    )
    universal, kubernetes = model_of(tmp_path / "u.yaml", tmp_path / "k.yaml").mesh_traffic_permissions
    assert (universal.source.form, kubernetes.source.form) == (Form.UNIVERSAL, Form.KUBERNETES)
    assert universal.source.mesh == kubernetes.source.mesh == "shop"
    assert universal.from_entries == kubernetes.from_entries
    assert kubernetes.source.namespace == "kuma-system"
    assert universal.source.namespace is None


def test_legacy_kinds_keep_their_fields_at_the_top_level_in_universal_form(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "type: Mesh\nname: default\nmtls: {enabledBackend: ca, backends: [{name: ca, type: builtin}]}\n"
    )
    (tmp_path / "k.yaml").write_text(
        "apiVersion: kuma.io/v1alpha1\nkind: TrafficPermission\nmesh: default\nmetadata: {name: tp}\n"
        "spec: {sources: [{match: {kuma.io/service: a}}], destinations: [{match: {kuma.io/service: b}}]}\n"
    )
    model = model_of(tmp_path)
    assert model.meshes["default"].mtls.value == "strict"
    (permission,) = model.traffic_permissions
    assert permission.source.mesh == "default"
    assert permission.sources == ((("kuma.io/service", "a"),),)


def test_mesh_defaults_to_default(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("type: MeshTrafficPermission\nname: a\n" + MTP)
    assert model_of(tmp_path / "p.yaml").mesh_traffic_permissions[0].source.mesh == "default"


def test_kubectl_list_items_are_resources_with_their_own_positions(tmp_path: Path) -> None:
    items = [
        {
            "apiVersion": "kuma.io/v1alpha1",
            "kind": "MeshTrafficPermission",
            "metadata": {"name": f"p{index}", "namespace": "kuma-system"},
            "spec": MTP_SPEC,
        }
        for index in range(2)
    ]
    (tmp_path / "list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2))
    policies = sorted(model_of(tmp_path / "list.json").mesh_traffic_permissions, key=lambda p: p.source.name)
    assert [policy.source.name for policy in policies] == ["p0", "p1"]
    assert policies[1].source.location.line > policies[0].source.location.line


def test_multi_document_files_and_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "multi.yml").write_text(
        "---\n---\ntype: Mesh\nname: a\n---\n# only a comment\n---\ntype: Mesh\nname: b\n"
    )
    meshes = model_of(tmp_path / "multi.yml").meshes
    assert [(name, mesh.source.location.line) for name, mesh in sorted(meshes.items()) if mesh.source] == [
        ("a", 3),
        ("b", 8),
    ]


def test_json_with_tabs_is_read(tmp_path: Path) -> None:
    (tmp_path / "mesh.json").write_text('{\n\t"type": "Mesh",\n\t"name": "tabs"\n}\n')
    assert list(model_of(tmp_path / "mesh.json").meshes) == ["tabs"]


def test_folders_are_read_recursively_in_sorted_order_with_policy_suffixes_only(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "2.yaml").write_text("type: Mesh\nname: two\n")
    (tmp_path / "a" / "deep" / "1.yml").write_text("type: Mesh\nname: one\n")
    (tmp_path / "a" / "notes.txt").write_text("type: Mesh\nname: ignored\n")
    (tmp_path / ".hidden.yaml").write_text("type: Mesh\nname: hidden\n")
    read = read_inputs([str(tmp_path)])
    assert sorted(model_of(tmp_path).meshes) == ["one", "two"]
    assert [file.label for file in read.files] == [f"{tmp_path.name}/a/deep/1.yml", f"{tmp_path.name}/b/2.yaml"]


def test_a_directory_link_loop_is_reported_once_and_not_followed(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mesh.yaml").write_text("type: Mesh\nname: a\n")
    os.symlink("..", tmp_path / "policies" / "up")
    read = read_inputs([str(tmp_path / "policies")])
    assert [file.label for file in read.files] == ["policies/mesh.yaml"]
    loops = [diagnostic for diagnostic in read.diagnostics if "link loop" in diagnostic.message]
    assert [diagnostic.rule.id for diagnostic in loops] == ["IN001"]


def test_non_utf8_and_binary_files_are_errors_with_positions(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"type: Mesh\nname: caf\xe9\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02")
    read = read_inputs([str(tmp_path)])
    messages = sorted(str(diagnostic) for diagnostic in read.diagnostics)
    assert messages[0].endswith("binary.yaml:1:1: error[IN002]: not a text file (contains NUL bytes)")
    assert messages[1].endswith("latin1.yaml:2:10: error[IN002]: not valid UTF-8 text")


def test_utf16_with_a_byte_order_mark_is_read_as_kuma_reads_it(tmp_path: Path) -> None:
    (tmp_path / "utf16.yaml").write_bytes("type: Mesh\nname: wide\n".encode("utf-16"))
    assert list(model_of(tmp_path / "utf16.yaml").meshes) == ["wide"]


def test_yaml_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    (diagnostic,) = read_inputs([str(tmp_path / "bomb.yaml")]).diagnostics
    assert "alias bomb" in diagnostic.message
    assert diagnostic.rule.id == "IN005"


def test_kinds_without_access_decisions_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "type: MeshProxyPatch\nname: patch\nmesh: default\nspec: {}\n---\n"
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata: {name: t, namespace: kuma-system}\nspec: {}\n"
        "---\ntype: Mesh\nname: default\n"
    )
    result = check([str(tmp_path / "p.yaml")])
    assert not result.errors
    notes = [str(diagnostic).split(": ", 1)[1] for diagnostic in result.diagnostics]
    assert notes == [
        "note[RES009]: MeshProxyPatch patch: decides nothing about access; skipped",
        "note[RES009]: MeshTimeout t: decides nothing about access; skipped",
    ]
