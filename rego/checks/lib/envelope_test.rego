package checks.lib_test

test_names_are_rfc_1123_subdomains if {
	found([mesh, `{type: Mesh, name: My_Mesh}`]) == {["RES001", "name"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: ""}}`]) == {["RES001", "metadata.name"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {}}`]) == {["RES001", "metadata.name"]}
	long := concat("", ["type: Mesh\nname: ", concat("", [x | some _ in numbers.range(1, 254); x := "a"])])
	messages([mesh, long]) == {"name: value length must less or equal 253"}
}

test_mesh_and_namespace if {
	found([mesh, `{type: TrafficPermission, name: t, mesh: My_Mesh, sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}`]) == {["RES002", "mesh"]}
	found([mesh, `{type: TrafficPermission, name: t, mesh: "", sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}`]) == {["RES002", "mesh"]}
	found([mesh, `
apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata: {name: p, namespace: Shop_1, labels: {kuma.io/mesh: BAD}}
spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}`]) == {
		["RES002", "metadata.namespace"],
		["RES002", `metadata.labels["kuma.io/mesh"]`],
	}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: MeshPassthrough, metadata: {name: p, namespace: ""}, spec: {}}`]) == {["RES002", "metadata.namespace"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: m}`]) == {["RES002", "metadata"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh}`]) == {["RES002", "metadata"]}
}

test_labels_and_timestamps if {
	found([mesh, `{type: Mesh, name: a, labels: [x]}`]) == {["RES003", "labels"]}
	found([mesh, `{type: Mesh, name: a, labels: {x: 1}}`]) == {["RES003", `labels["x"]`]}
	found([mesh, `{type: Mesh, name: a, creationTime: "2024-01-01"}`]) == {["RES005", "creationTime"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: a, creationTimestamp: "2024-01-01T00:00:00Z"}}`]) == set()
}

test_unknown_top_level_fields if {
	found([mesh, `{type: MeshPassthrough, name: p, spce: {}}`]) == {["RES004", "spce"]}
	messages([mesh, `
apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
mesh: payments
metadata: {name: p, namespace: kuma-system}
spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}`]) == {`mesh: unknown field: a MeshTrafficPermission on Kubernetes takes its mesh from metadata.labels["kuma.io/mesh"]`}
	messages([mesh, `{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: a}, status: {}}`]) == {"status: unknown field"}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: TrafficPermission, mesh: default, metadata: {name: t}, spec: {sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}}`]) == set()
}
