package checks.lib_test

import data.checks.lib

test_both_forms_give_the_same_model if {
	universal := models([mesh, `type: MeshTrafficPermission
name: allow
mesh: default
spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}`])[1]
	kubernetes := models([mesh, `apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata: {name: allow, namespace: kuma-system, labels: {kuma.io/mesh: default}}
spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}`])[1]
	universal.from == kubernetes.from
	universal.form == "universal"
	kubernetes.form == "kubernetes"
	kubernetes.namespace == "kuma-system"
	universal.namespace == null
}

test_legacy_kinds_keep_their_fields_at_the_top_level_in_universal_form if {
	m := models([
		`type: TrafficPermission
name: tp
mesh: payments
sources: [{match: {kuma.io/service: a}}]
destinations: [{match: {kuma.io/service: b}}]`,
		`type: Mesh
name: payments`,
	])[0]
	m.mesh == "payments"
	m.sources == [{"kuma.io/service": "a"}]
}

test_a_kubectl_list_is_expanded_with_item_positions if {
	r := report([mesh, `apiVersion: v1
kind: List
items:
  - {apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: other}, spec: {}}
  - just a string`])
	{[f.id, f.item, f.path] | some f in r.findings} == {["RES008", 1, ["items", 1]]}
	[m.item | some m in r.models] == [-1, 0]
}

test_list_items_must_be_a_list if {
	found([mesh, `{apiVersion: v1, kind: List, items: {a: b}}`]) == {["RES008", "items"]}
}

test_documents_that_are_not_resources if {
	found([mesh, `[a, b]`, `42`, `plain: mapping`]) == {["RES008", ""]}
	count(report([mesh, `[a, b]`, `42`, `plain: mapping`]).findings) == 3
}

test_unknown_kinds_name_the_nearest_one if {
	messages([mesh, `{type: MeshTraficPermission, name: x}`]) == {`type: "MeshTraficPermission" is not a Kuma type; did you mean MeshTrafficPermission?`}
	messages([mesh, `{apiVersion: kuma.io/v1alpha1, kind: meshtimeout, metadata: {name: x}}`]) == {`kind: "meshtimeout" is not a kind of API group kuma.io; did you mean MeshTimeout?`}
	messages([mesh, `{type: Frobnicator, name: x}`]) == {`type: "Frobnicator" is not a Kuma type (see docs/checks/RES006.md for the kinds Kuma has)`}
	messages([mesh, `{type: 7, name: x}`]) == {"type: must be a non-empty string"}
}

test_kuma_io_versions if {
	messages([mesh, `{apiVersion: kuma.io/v1, kind: Mesh, metadata: {name: a}}`]) == {`apiVersion: "kuma.io/v1" is not served by Kuma: use kuma.io/v1alpha1`}
	messages([mesh, `{kind: Mesh, metadata: {name: a}}`]) == {"apiVersion: must be set: Kuma's resources are kuma.io/v1alpha1"}
	messages([mesh, `{apiVersion: 3, kind: Mesh, metadata: {name: a}}`]) == {"apiVersion: must be a string, got integer"}
}

test_other_api_groups_are_left_alone_with_a_warning_for_kuma_kinds if {
	found([mesh, `{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}`]) == set()
	found([mesh, `{apiVersion: example.com/v1, kind: MeshTrafficPermission, metadata: {name: x}}`]) == {["RES010", "apiVersion"]}
}

test_skipped_and_pending_kinds if {
	r := report([mesh, `{type: MeshTimeout, name: t, mesh: default, spec: {}}`, `{type: MeshTLS, name: i, mesh: default, spec: {}}`])
	{[f.id, f.severity, f.resource] | some f in r.findings} == {
		["RES009", "note", "MeshTimeout t"],
		["GB004", "error", "MeshTLS i"],
	}
}

test_kind_treatment_and_similarity if {
	lib.kind_treatment("Mesh") == "compiled"
	lib.kind_treatment("MeshTLS") == "pending"
	lib.kind_treatment("MeshTimeout") == "skipped"
	lib.similarity("ab", "ab") == 1
	not lib.nearest_kind(lib.universal_kinds, "x")
	lib.bigrams("a") == set()
}

test_refs_and_identities if {
	lib.ref({"kind": "Mesh", "name": "m"}) == "Mesh m"
	lib.ref({"kind": "MeshTrafficPermission", "mesh": "d", "namespace": "ns", "name": null}) == "MeshTrafficPermission d/ns/(unnamed)"
	lib.identity({"kind": "Mesh", "name": "m"}) == ["Mesh", "", "", "m"]
	lib.identity({"kind": "TrafficPermission", "mesh": "d", "namespace": null, "name": "t"}) == ["TrafficPermission", "d", "", "t"]
}

test_conftest_document_shapes if {
	docs := lib.documents with input as [{"path": "a.yaml", "contents": {"type": "Mesh"}}, {"path": "a.yaml", "contents": {}}, {"path": "b.yaml", "contents": 1}]
	[[d.file, d.document, d.file_index] | some d in docs] == [["a.yaml", 1, 0], ["a.yaml", 2, 0], ["b.yaml", 1, 2]]
	single := lib.documents with input as {"type": "Mesh"}
	single == [{"file": "", "file_index": 0, "document": 1, "value": {"type": "Mesh"}}]
	not lib.conftest_combined with input as [1, 2]
}
