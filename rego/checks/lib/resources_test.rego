package checks.lib_test

import data.checks.lib

test_universal_new_style if {
	r := the_resource(`
type: MeshTrafficPermission
name: allow
labels: {kuma.io/effect: shadow, tier: 3}
spec: {from: []}
`)
	r.kind == "MeshTrafficPermission"
	r.form == "universal"
	r.mesh == "default"
	r.namespace == null
	r.labels == {"kuma.io/effect": "shadow"}
	r.spec == {"from": []}
	lib.ref(r) == "MeshTrafficPermission default/allow"
	lib.identity(r) == ["MeshTrafficPermission", "default", "", "allow"]
}

test_universal_legacy_fields_are_the_spec if {
	r := the_resource(`
type: TrafficPermission
name: tp
mesh: payments
creationTime: "2026-01-01T00:00:00Z"
sources: []
`)
	r.mesh == "payments"
	r.spec == {"sources": []}
}

test_kubernetes_new_style if {
	r := the_resource(`
apiVersion: kuma.io/v1alpha1
kind: MeshPassthrough
metadata: {name: egress, namespace: shop, labels: {kuma.io/mesh: payments}}
spec: {default: {}}
`)
	r.form == "kubernetes"
	r.mesh == "payments"
	r.namespace == "shop"
	lib.ref(r) == "MeshPassthrough payments/shop/egress"
	lib.identity(r) == ["MeshPassthrough", "payments", "shop", "egress"]
}

test_kubernetes_legacy_and_mesh if {
	tp := the_resource(`
apiVersion: kuma.io/v1alpha1
kind: TrafficPermission
mesh: m
metadata: {name: tp}
spec: {}
`)
	tp.mesh == "m"
	tp.namespace == null
	mesh := the_resource(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: m1}, spec: {}}`)
	mesh.mesh == "m1"
	lib.ref(mesh) == "Mesh m1"
	lib.identity(mesh) == ["Mesh", "", "", "m1"]
}

test_defaults_and_unnamed if {
	r := the_resource(`
apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata: {labels: {kuma.io/mesh: ""}}
`)
	r.mesh == "default"
	r.name == null
	r.spec == null
	lib.ref(r) == "MeshTrafficPermission default/(unnamed)"
}

test_other_documents_are_ignored if {
	count(resources_of(`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}`)) == 0
	count(resources_of(`{apiVersion: v2, kind: MeshTrafficPermission, metadata: {name: web}}`)) == 0
	count(resources_of(`{type: MeshTimeout, name: t}`)) == 0
	count(resources_of(`{kind: MeshTrafficPermission, type: MeshTrafficPermission, name: t}`)) == 0
	count(resources_of(`[a, b]`)) == 0
	count(resources_of(`just text`)) == 0
}

test_kubectl_list if {
	found := resources_of(`
apiVersion: v1
kind: List
items:
  - {apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: a}}
  - not a resource
  - {apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: b}}
`)
	{[r.name, r.item] | some r in found} == {["a", 0], ["b", 2]}
}

test_per_document_input if {
	not lib.combined with input as {"type": "Mesh", "name": "m"}
	found := lib.resources with input as {"type": "Mesh", "name": "m"}
	{r.name | some r in found} == {"m"}
}

test_combined_input if {
	combined := [
		{"path": "a.yaml", "contents": {"type": "Mesh", "name": "a"}},
		{"path": "b.yaml", "contents": {"type": "Mesh", "name": "b"}},
		{"path": "a.yaml", "contents": {"type": "Mesh", "name": "c"}},
		{"path": "old.yaml", "contents": [{"type": "Mesh", "name": "d"}, {"type": "Mesh", "name": "e"}]},
	]
	lib.combined with input as combined
	found := lib.resources with input as combined
	{[r.name, r.file, r.document] | some r in found} == {
		["a", "a.yaml", 1],
		["b", "b.yaml", 1],
		["c", "a.yaml", 2],
		["d", "old.yaml", 1],
		["e", "old.yaml", 2],
	}
}

test_location if {
	lib.location({"file": "a.yaml", "document": 2, "item": -1}) == "a.yaml, document 2"
	lib.location({"file": "a.yaml", "document": 1, "item": 0}) == "a.yaml, document 1, item 1"
}

test_result_carries_the_file_only_when_combined if {
	r := {"kind": "Mesh", "name": "m", "file": "a.yaml", "document": 1, "item": -1}
	p := lib.problem("MESH001", "mtls.backends", "cannot have more than 1 backends")
	lib.result(r, p) == {
		"msg": "Mesh m: mtls.backends: cannot have more than 1 backends",
		"id": "MESH001",
		"resource": "Mesh m",
		"field": "mtls.backends",
	}
	combined := lib.result(r, p) with input as []
	combined.file == "a.yaml, document 1"
	combined.msg == "a.yaml, document 1: Mesh m: mtls.backends: cannot have more than 1 backends"
}

test_message_without_field if {
	lib.message({"kind": "Mesh", "name": "m"}, "", "text") == "Mesh m: text"
}

test_findings if {
	found := lib.findings with input as {"type": "Mesh", "name": "m", "mtls": {"enabledBackend": "x"}}
	{f.id | some f in found} == {"MESH003"}
}
