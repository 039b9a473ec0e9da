package checks.deprecated_test

import data.checks.deprecated

spec(ref) := {"targetRef": ref, "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Deny"}}]}

test_mesh_service_in_from if {
	warnings := {[f.id, f.field, f.msg] | some f in deprecated.warn} with input as {
		"type": "MeshTrafficPermission",
		"name": "p",
		"spec": {"from": [
			{"targetRef": {"kind": "MeshService", "name": "web"}, "default": {"action": "Allow"}},
			{"targetRef": {"kind": "MeshService"}, "default": {"action": "Allow"}},
		]},
	}
	warnings == {[
		"DEP001",
		"spec.from[0].targetRef.kind",
		concat("", [
			"MeshTrafficPermission default/p: spec.from[0].targetRef.kind: MeshService value for ",
			"'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead",
		]),
	]}
}

test_top_level_kinds if {
	warnings := {f.msg | some f in deprecated.warn} with input as {
		"type": "MeshTrafficPermission",
		"name": "p",
		"spec": spec({"kind": "MeshService", "name": "web"}),
	}
	warnings == {concat("", [
		"MeshTrafficPermission default/p: spec.targetRef.kind: MeshService value for 'targetRef.kind' ",
		"is deprecated, use Dataplane with labels instead",
	])}
	mesh_wide := {"type": "MeshTrafficPermission", "name": "p", "spec": spec({"kind": "Mesh"})}
	none := {f.msg | some f in deprecated.warn} with input as mesh_wide
	none == set()
}
