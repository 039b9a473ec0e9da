package checks.lib_test

test_universal_envelope_is_clean if {
	ids(`
type: MeshTrafficPermission
name: a
mesh: m
labels: {x: y}
creationTime: "2026-01-02T03:04:05Z"
spec:
  from: [{targetRef: {kind: MeshSubset, tags: {app: web}}, default: {action: Allow}}]
`) == set()
}

test_universal_name if {
	messages(`{type: Mesh}`) == {"Mesh (unnamed): name: must be set"}
	messages(`{type: Mesh, name: ""}`) == {"Mesh (unnamed): name: must be a non-empty string"}
}

test_universal_mesh_labels_and_fields if {
	messages(`
type: MeshTrafficPermission
name: a
mesh: 5
labels: [x]
extra: 1
spec:
  from: [{targetRef: {kind: MeshSubset, tags: {app: web}}, default: {action: Allow}}]
`) == {
		"MeshTrafficPermission default/a: mesh: must be a non-empty string",
		"MeshTrafficPermission default/a: labels: must be a mapping of strings",
		`MeshTrafficPermission default/a: unknown field "extra"`,
	}
}

test_universal_legacy_kinds_have_no_envelope_unknowns if {
	ids(`
type: TrafficPermission
name: a
sources: [{match: {a: b}}]
destinations: [{match: {a: b}}]
`) == set()
}

test_timestamps if {
	ids(`{type: Mesh, name: a, creationTime: "2026-01-02"}`) == set()
	ids(`{type: Mesh, name: a, creationTime: "2026-01-02 03:04:05.123+02:00"}`) == set()
	texts(`{type: Mesh, name: a, creationTime: soon}`) == {"Mesh -: creationTime: must be an RFC 3339 timestamp"}
	texts(`
apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata: {name: a, creationTimestamp: 5}
`) == {"Mesh -: creationTimestamp: must be an RFC 3339 timestamp"}
}

test_kubernetes_metadata if {
	messages(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, extra: 1}`) == {
		"Mesh (unnamed): metadata: must be a mapping",
		`Mesh (unnamed): unknown field "extra"`,
	}
	messages(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {labels: {a: [b]}}}`) == {
		"Mesh (unnamed): metadata.name: must be set",
		`Mesh (unnamed): labels["a"]: must be a string, got list`,
	}
}

test_kubernetes_scope if {
	messages(`
apiVersion: kuma.io/v1alpha1
kind: TrafficPermission
mesh: ""
metadata: {name: a}
spec: {sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}
`) == {"TrafficPermission default/a: mesh: must be a non-empty string"}
	messages(`
apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata: {name: a, namespace: {}}
spec:
  from: [{targetRef: {kind: MeshSubset, tags: {app: web}}, default: {action: Allow}}]
`) == {"MeshTrafficPermission default/a: metadata.namespace: must be a non-empty string"}
	ids(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, mesh: "", metadata: {name: a}}`) == set()
}

test_reader_type_names if {
	messages(`{type: Mesh, name: a, labels: {m: {}, n: null, o: 1.5}}`) == {
		`Mesh a: labels["m"]: must be a string, got mapping`,
		`Mesh a: labels["n"]: must be a string, got null`,
		`Mesh a: labels["o"]: must be a string, got number`,
	}
}
