# Checks across documents; they need every file at once: conftest test --combine.
# Without --combine every rule here is silent (a single document cannot tell).
#
# CMB001 TrafficPermission and MeshTrafficPermission in one mesh, CMB002 a MeshTrafficPermission
# in a mesh whose mTLS is disabled, CMB003 a policy naming a mesh no Mesh resource defines,
# CMB004 one resource defined twice (same kind, mesh, namespace and name).
package checks.combined

import data.checks.lib

# Mesh name -> whether one of its Mesh resources enables mTLS.
meshes[name] := mtls_enabled if {
	lib.combined
	some r in lib.resources
	r.kind == "Mesh"
	name := r.name
	name != null
	mtls_enabled := count(enabled_backends(name)) > 0
}

enabled_backends(name) := {r.mesh |
	some r in lib.resources
	r.kind == "Mesh"
	r.name == name
	lib.non_empty_string(object.get(lib.as_object(r.spec), ["mtls", "enabledBackend"], null))
}

policies contains r if {
	lib.combined
	some r in lib.resources
	r.kind != "Mesh"
}

# METADATA
# title: Cross-document warnings
# description: Warnings CMB001-CMB003, under conftest test --combine only.
# entrypoint: true
warn contains lib.result(r, lib.problem("CMB001", "", message)) if {
	some r in policies
	r.kind == "TrafficPermission"
	some other in policies
	other.kind == "MeshTrafficPermission"
	other.mesh == r.mesh
	message := sprintf(
		concat("", [
			"mesh %q also has MeshTrafficPermissions: on every inbound a MeshTrafficPermission selects, ",
			"TrafficPermissions are ignored; do not combine the two",
		]),
		[r.mesh],
	)
}

warn contains lib.result(r, lib.problem("CMB002", "", message)) if {
	some r in policies
	r.kind == "MeshTrafficPermission"
	meshes[r.mesh] == false
	message := sprintf(
		"mesh %q has mTLS disabled (no mtls.enabledBackend), so this policy has no effect: all inbound traffic is allowed",
		[r.mesh],
	)
}

warn contains lib.result(r, lib.problem("CMB003", "", message)) if {
	some r in policies
	not r.mesh in object.keys(meshes)
	message := sprintf("mesh %q is defined by no Mesh resource: treated as mTLS STRICT with passthrough on", [r.mesh])
}

# METADATA
# title: Duplicate resources
# description: "CMB004: every definition after the first, in input order (file, document), as gen-bundle reports it."
# entrypoint: true
deny contains lib.result(r, lib.problem("CMB004", "", sprintf("defined twice: also at %s", [lib.location(first)]))) if {
	lib.combined
	some r in lib.resources
	r.name != null
	same := [other |
		some other in lib.resources
		lib.identity(other) == lib.identity(r)
	]
	first := sort_by_position(same)[0]
	first != r
}

sort_by_position(rs) := [r |
	some key in sort([position(x) | some x in rs])
	some r in rs
	position(r) == key
]

position(r) := [input_index(r.file), r.document, r.item]

# Files in the order conftest combined them.
input_index(file) := min({i |
	some i, entry in input
	entry.path == file
})
