"""Reading: every input shape Kuma users have (Universal, Kubernetes, kubectl Lists, multi-document
files, JSON, folders) becomes the same sources, each knowing where it came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

from generator.model import Form
from generator.reading.files import read_inputs
from generator.reading.resources import read_sources

MTP_SPEC = {"from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}]}


def sources_of(*paths: Path):  # type: ignore[no-untyped-def]
    read = read_inputs([str(path) for path in paths])
    result = read_sources(read.documents)
    return read, result


def test_universal_and_kubernetes_forms_give_the_same_resource(tmp_path: Path) -> None:
    (tmp_path / "u.yaml").write_text("type: MeshTrafficPermission\nname: allow\nmesh: shop\nspec:\n  from: []\n")
    (tmp_path / "k.yaml").write_text(
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTrafficPermission\n"
        "metadata: {name: allow, namespace: kuma-system, labels: {kuma.io/mesh: shop}}\nspec:\n  from: []\n"
    )
    _, result = sources_of(tmp_path / "u.yaml", tmp_path / "k.yaml")
    universal, kubernetes = result.resources
    assert (universal.form, kubernetes.form) == (Form.UNIVERSAL, Form.KUBERNETES)
    assert universal.kind == kubernetes.kind == "MeshTrafficPermission"
    assert universal.mesh == kubernetes.mesh == "shop"
    assert universal.spec == kubernetes.spec == {"from": []}
    assert kubernetes.namespace == "kuma-system"
    assert universal.namespace is None


def test_legacy_kinds_keep_their_fields_at_the_top_level_in_universal_form(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("type: Mesh\nname: default\nmtls: {enabledBackend: ''}\n")
    (tmp_path / "k.yaml").write_text(
        "apiVersion: kuma.io/v1alpha1\nkind: TrafficPermission\nmesh: shop\nmetadata: {name: tp}\nspec: {sources: []}\n"
    )
    _, result = sources_of(tmp_path)
    traffic_permission, mesh = result.resources
    assert mesh.spec == {"mtls": {"enabledBackend": ""}}
    assert traffic_permission.mesh == "shop"
    assert traffic_permission.spec == {"sources": []}


def test_mesh_defaults_to_default(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("type: MeshTrafficPermission\nname: a\nspec: {}\n")
    _, result = sources_of(tmp_path / "p.yaml")
    assert result.resources[0].mesh == "default"


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
    _, result = sources_of(tmp_path / "list.json")
    assert [source.name for source in result.resources] == ["p0", "p1"]
    assert result.resources[1].location.line > result.resources[0].location.line


def test_multi_document_files_and_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "multi.yml").write_text(
        "---\n---\ntype: Mesh\nname: a\n---\n# only a comment\n---\ntype: Mesh\nname: b\n"
    )
    _, result = sources_of(tmp_path / "multi.yml")
    assert [(source.name, source.location.line) for source in result.resources] == [("a", 3), ("b", 8)]


def test_json_with_tabs_is_read(tmp_path: Path) -> None:
    (tmp_path / "mesh.json").write_text('{\n\t"type": "Mesh",\n\t"name": "tabs"\n}\n')
    read, result = sources_of(tmp_path / "mesh.json")
    assert not read.diagnostics
    assert result.resources[0].name == "tabs"


def test_folders_are_read_recursively_in_sorted_order_with_policy_suffixes_only(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "2.yaml").write_text("type: Mesh\nname: two\n")
    (tmp_path / "a" / "deep" / "1.yml").write_text("type: Mesh\nname: one\n")
    (tmp_path / "a" / "notes.txt").write_text("type: Mesh\nname: ignored\n")
    (tmp_path / ".hidden.yaml").write_text("type: Mesh\nname: hidden\n")
    read, result = sources_of(tmp_path)
    assert [source.name for source in result.resources] == ["one", "two"]
    assert [file.label for file in read.files] == [f"{tmp_path.name}/a/deep/1.yml", f"{tmp_path.name}/b/2.yaml"]


def test_a_directory_link_loop_is_reported_once_and_not_followed(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "mesh.yaml").write_text("type: Mesh\nname: a\n")
    os.symlink("..", tmp_path / "policies" / "up")
    read, result = sources_of(tmp_path / "policies")
    assert [source.name for source in result.resources] == ["a"]
    assert any("link loop" in diagnostic.message for diagnostic in read.diagnostics)


def test_non_utf8_and_binary_files_are_errors_with_positions(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"type: Mesh\nname: caf\xe9\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\x02")
    read, _ = sources_of(tmp_path)
    messages = sorted(str(diagnostic) for diagnostic in read.diagnostics)
    assert messages[0].endswith("binary.yaml:1:1: error: not a text file (contains NUL bytes)")
    assert messages[1].endswith("latin1.yaml:2:10: error: not valid UTF-8 text")


def test_yaml_alias_bombs_are_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    read, _ = sources_of(tmp_path / "bomb.yaml")
    assert "alias bomb" in read.diagnostics[0].message


def test_kinds_without_access_decisions_are_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "type: MeshProxyPatch\nname: patch\nmesh: default\nspec: {}\n---\n"
        "apiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata: {name: t, namespace: kuma-system}\nspec: {}\n"
    )
    _, result = sources_of(tmp_path / "p.yaml")
    assert result.resources == []
    assert [str(warning).split(": ", 1)[1] for warning in result.skipped] == [
        "warning: MeshProxyPatch patch: decides nothing about access, skipped",
        "warning: MeshTimeout t: decides nothing about access, skipped",
    ]
