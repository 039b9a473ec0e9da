package checks.lib_test

mtp(ref) := concat("", ["type: MeshTrafficPermission\nname: p\nmesh: default\nspec:\n  from: [{targetRef: ", ref, ", default: {action: Allow}}]\n"])

top(ref) := concat("", ["type: MeshTrafficPermission\nname: p\nmesh: default\nspec:\n  targetRef: ", ref, "\n  from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]\n"])

test_valid_refs_report_nothing if {
	every ref in [
		`{kind: Mesh}`, `{kind: MeshSubset, tags: {app: web}}`, `{kind: MeshService, name: web}`,
		`{kind: MeshServiceSubset, name: web, tags: {v: "*"}}`, `{kind: MeshSubset, tags: {}}`,
		`{kind: Mesh, proxyTypes: [Sidecar]}`,
	] {
		ids([mesh, mtp(ref)]) - {"RISK001", "RISK005", "DEP001"} == set()
	}
}

test_kind_missing_unknown_or_not_allowed if {
	found([mesh, mtp(`{name: x}`)]) == {["TREF001", "spec.from[0].targetRef.kind"]}
	found([mesh, mtp(`{kind: Meshh}`)]) == {["TREF001", "spec.from[0].targetRef.kind"]}
	found([mesh, mtp(`{kind: 5}`)]) == {["TREF006", "spec.from[0].targetRef.kind"]}
	messages([mesh, mtp(`{kind: MeshGateway, name: g}`)]) == {"spec.from[0].targetRef.kind: value 'MeshGateway' is not supported"}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: [{default: {action: Allow}}]}}`]) == {["TREF001", "spec.from[0].targetRef"]}
	found([mesh, mtp(`[Mesh]`)]) == {["TREF006", "spec.from[0].targetRef"]}
	found([mesh, mtp(`{kind: Mesh, selector: {}}`)]) == {["TREF006", "spec.from[0].targetRef.selector"]}
}

test_fields_a_kind_does_not_allow if {
	found([mesh, mtp(`{kind: Mesh, tags: {a: b}, mesh: m}`)]) == {
		["TREF002", "spec.from[0].targetRef.tags"],
		["TREF002", "spec.from[0].targetRef.mesh"],
	}
	messages([mesh, mtp(`{kind: Mesh, name: x}`)]) == {"spec.from[0].targetRef.name: using name with kind Mesh is not yet supported"}
	found([mesh, mtp(`{kind: MeshSubset, name: x}`)]) == {["TREF002", "spec.from[0].targetRef.name"]}

	# Kuma's isSet: an empty value is not set.
	found([mesh, mtp(`{kind: Mesh, tags: {}, mesh: ""}`)]) == {["RISK001", "spec.from[0]"]}
}

test_tags if {
	found([mesh, mtp(`{kind: MeshSubset, tags: {"": x, "a b": "", env: "a/b", ok: "*"}}`)]) == {
		["TREF003", "spec.from[0].targetRef.tags"],
		["TREF003", `spec.from[0].targetRef.tags["a b"]`],
		["TREF003", `spec.from[0].targetRef.tags["env"]`],
		["TREF003", `spec.from[0].targetRef.tags["ok"]`],
	}
	found([mesh, mtp(`{kind: MeshServiceSubset, name: web, tags: {v: "a b"}}`)]) == {["TREF003", `spec.from[0].targetRef.tags["v"]`]}
	found([mesh, mtp(`{kind: MeshSubset, tags: [x]}`)]) == {["TREF006", "spec.from[0].targetRef.tags"]}
	found([mesh, mtp(`{kind: MeshSubset, tags: {v: 1}}`)]) == {["TREF006", `spec.from[0].targetRef.tags["v"]`]}
}

test_names if {
	found([mesh, mtp(`{kind: MeshService}`)]) == {["TREF004", "spec.from[0].targetRef"]}
	found([mesh, mtp(`{kind: MeshService, name: Web}`)]) == {["TREF004", "spec.from[0].targetRef.name"]}
	found([mesh, mtp(`{kind: MeshServiceSubset, tags: {a: b}}`)]) == {["TREF004", "spec.from[0].targetRef.name"]}
	found([mesh, mtp(`{kind: MeshServiceSubset, name: "", tags: {a: b}}`)]) == {["TREF004", "spec.from[0].targetRef.name"]}
	found([mesh, mtp(`{kind: MeshServiceSubset, name: Web}`)]) == {["TREF004", "spec.from[0].targetRef.name"]}
	found([mesh, mtp(`{kind: MeshService, name: 5}`)]) == {
		["TREF004", "spec.from[0].targetRef"],
		["TREF006", "spec.from[0].targetRef.name"],
	}
}

test_mesh_service_selection if {
	found([mesh, top(`{kind: MeshService, labels: {app: web}, name: web}`)]) == {["TREF002", "spec.targetRef.labels"]}
	found([mesh, top(`{kind: MeshService, labels: {app: web}}`)]) == {["GB003", "spec.targetRef.labels"]}
	found([mesh, top(`{kind: MeshService, name: web, sectionName: http}`)]) == {["GB003", "spec.targetRef.sectionName"]}
	found([mesh, top(`{kind: MeshService, labels: [x]}`)]) == {["TREF006", "spec.targetRef.labels"], ["GB003", "spec.targetRef.labels"]}
	found([mesh, top(`{kind: MeshService, name: web, namespace: 3}`)]) == {["TREF006", "spec.targetRef.namespace"]}
}

test_proxy_types if {
	found([mesh, top(`{kind: Mesh, proxyTypes: []}`)]) == {["TREF005", "spec.targetRef.proxyTypes"]}
	found([mesh, top(`{kind: Mesh, proxyTypes: [Sidecars, 3]}`)]) == {
		["TREF005", "spec.targetRef.proxyTypes[0]"],
		["TREF006", "spec.targetRef.proxyTypes[1]"],
	}
	found([mesh, top(`{kind: Mesh, proxyTypes: Sidecar}`)]) == {["TREF006", "spec.targetRef.proxyTypes"]}
}

test_dataplane if {
	found([mesh, top(`{kind: Dataplane, labels: {app: web}, name: web}`)]) == {["TREF002", "spec.targetRef.labels"]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {targetRef: {kind: Dataplane, sectionName: http}}}`]) == {["TREF002", "spec.targetRef.sectionName"]}
	found([mesh, top(`{kind: Dataplane, labels: {app: web}, sectionName: http}`)]) == set()
	found_with([mesh, top(`{kind: Dataplane, labels: {app: web}}`)], {"kuma_version": "2.9.0"}) == {["VER001", "spec.targetRef.kind"]}
}
