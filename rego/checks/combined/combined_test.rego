package checks.combined_test

import data.checks.combined

file(path, contents) := {"path": path, "contents": contents}

mesh(name, mtls) := {"type": "Mesh", "name": name, "mtls": mtls}

enabled := {"enabledBackend": "ca", "backends": [{"name": "ca", "type": "builtin"}]}

mtp(name, mesh_name) := {
	"type": "MeshTrafficPermission",
	"name": name,
	"mesh": mesh_name,
	"spec": {"from": [{"targetRef": {"kind": "MeshSubset", "tags": {"a": "b"}}, "default": {"action": "Allow"}}]},
}

tp(name) := {
	"type": "TrafficPermission",
	"name": name,
	"sources": [{"match": {"kuma.io/service": "a"}}],
	"destinations": [{"match": {"kuma.io/service": "b"}}],
}

test_silent_without_combine if {
	warnings := combined.warn with input as mtp("p", "nowhere")
	count(warnings) == 0
	failures := combined.deny with input as mtp("p", "nowhere")
	count(failures) == 0
}

test_clean if {
	found := {f.id | some f in (combined.warn | combined.deny)} with input as [
		file("mesh.yaml", mesh("default", enabled)),
		file("p.yaml", mtp("p", "default")),
	]
	found == set()
}

test_both_permission_kinds if {
	found := {[f.id, f.msg] | some f in combined.warn} with input as [
		file("mesh.yaml", mesh("default", enabled)),
		file("p.yaml", mtp("p", "default")),
		file("t.yaml", tp("t")),
	]
	found == {[
		"CMB001",
		concat("", [
			`t.yaml, document 1: TrafficPermission default/t: mesh "default" also has MeshTrafficPermissions: `,
			"on every inbound a MeshTrafficPermission selects, TrafficPermissions are ignored; do not combine the two",
		]),
	]}
}

test_mtls_disabled_and_undefined_mesh if {
	found := {[f.id, f.msg] | some f in combined.warn} with input as [
		file("mesh.yaml", mesh("default", {"backends": []})),
		file("mesh.yaml", mesh("other", enabled)),
		file("p.yaml", mtp("p", "default")),
		file("q.yaml", mtp("q", "third")),
	]
	found == {
		["CMB002", concat("", [
			`p.yaml, document 1: MeshTrafficPermission default/p: mesh "default" has mTLS disabled (no mtls.enabledBackend), `,
			"so this policy has no effect: all inbound traffic is allowed",
		])],
		["CMB003", concat("", [
			`q.yaml, document 1: MeshTrafficPermission third/q: mesh "third" is defined by no Mesh resource: `,
			"treated as mTLS STRICT with passthrough on",
		])],
	}
}

test_one_enabling_definition_is_enough if {
	found := {f.id | some f in combined.warn} with input as [
		file("a.yaml", mesh("default", {})),
		file("b.yaml", mesh("default", enabled)),
		file("p.yaml", mtp("p", "default")),
	]
	found == set()
}

test_duplicates if {
	found := {[f.msg, f.file] | some f in combined.deny} with input as [
		file("b.yaml", mtp("p", "default")),
		file("a.yaml", mesh("default", enabled)),
		file("a.yaml", mtp("p", "default")),
		file("a.yaml", {"apiVersion": "v1", "kind": "List", "items": [mtp("p", "default"), mtp("unnamed", "default")]}),
		file("c.yaml", {"type": "Mesh"}),
		file("c.yaml", {"type": "Mesh"}),
	]
	found == {
		[
			"a.yaml, document 2: MeshTrafficPermission default/p: defined twice: also at b.yaml, document 1",
			"a.yaml, document 2",
		],
		[
			"a.yaml, document 3, item 1: MeshTrafficPermission default/p: defined twice: also at b.yaml, document 1",
			"a.yaml, document 3, item 1",
		],
	}
}
