package checks.lib_test

test_traffic_permission_selectors if {
	found([mesh, `{type: TrafficPermission, name: t, sources: [], destinations: [{match: {}}, {match: x}, 3, {matches: {}, match: {a: b}}]}`]) == {
		["TP001", "sources"],
		["TP002", "destinations[0].match"],
		["TP002", "destinations[1].match"],
		["TP004", "destinations[1].match"],
		["TP004", "destinations[2]"],
		["TP002", "destinations[2].match"],
		["TP004", "destinations[3].matches"],
	}
	found([mesh, `{type: TrafficPermission, name: t, sources: [{match: {"": "", "a b": x, v: 1, z: "a b"}}], destinations: {}}`]) == {
		["TP003", "sources[0].match"],
		["TP003", `sources[0].match[""]`],
		["TP003", `sources[0].match["a b"]`],
		["TP004", `sources[0].match["v"]`],
		["TP003", `sources[0].match["z"]`],
		["TP004", "destinations"],
	}
}

test_traffic_permission_fields if {
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: TrafficPermission, mesh: default, metadata: {name: t}, spec: x}`]) == {
		["TP004", "spec"],
		["TP001", "sources"],
		["TP001", "destinations"],
	}
	found([mesh, `{type: TrafficPermission, name: t, sources: [{match: {a: b}}], destinations: [{match: {a: b}}], other: 1}`]) == {["TP004", "other"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: TrafficPermission, mesh: default, metadata: {name: t}, spec: {sources: [{match: {a: b}}], destinations: [{match: {a: b}}], other: 1}}`]) == {["TP004", "other"]}
}
