# Mesh: Kuma's validation of the fields that decide access (spec B §2).
#
# MESH001 more than one backend, MESH002 duplicate backend name, MESH003 enabledBackend names no
# backend, MESH004 backend name / type missing, MESH005 dpCert expiration format, MESH006 types and
# enum values, MESH007 unknown fields. Paths are Kuma's (mtls.backends[0]) in both forms.
package checks.lib

mesh_fields := {
	"mtls",
	"tracing",
	"logging",
	"metrics",
	"networking",
	"routing",
	"constraints",
	"skipCreatingInitialPolicies",
	"meshServices",
}

mtls_fields := {"enabledBackend", "backends", "skipValidation"}

backend_fields := {"name", "type", "dpCert", "conf", "mode", "rootChain"}

mtls_modes := ["STRICT", "PERMISSIVE"]

meshes := suspects_of.Mesh

mesh_problems contains resource_finding(r, type_problem("MESH006", r.spec_at, r.spec, "object")) if {
	some r in meshes
	not is_null(r.spec)
	not is_object(r.spec)
}

mesh_problems contains resource_finding(r, problem("MESH007", array.concat(r.spec_at, [name]), "unknown field")) if {
	some r in meshes
	is_object(r.spec)
	some name, _ in r.spec
	not name in mesh_fields
}

# Typed fields the mesh's access settings sit in: [resource, path, value, type].
mesh_typed := [[r, array.concat(r.spec_at, at), value, type] |
	some r in meshes
	some [at, type] in [
		[["mtls"], "object"],
		[["mtls", "backends"], "array"],
		[["mtls", "enabledBackend"], "string"],
		[["networking"], "object"],
		[["networking", "outbound"], "object"],
		[["networking", "outbound", "passthrough"], "boolean"],
		[["meshServices"], "object"],
		[["meshServices", "mode"], "string"],
	]
	value := object.get(as_object(r.spec), at, null)
	not is_null(value)
]

mesh_problems contains resource_finding(r, type_problem("MESH006", at, value, type)) if {
	some [r, at, value, type] in mesh_typed
	not has_type(value, type)
}

mesh_problems contains resource_finding(
	r,
	problem("MESH007", array.concat(r.spec_at, ["mtls", name]), "unknown field"),
) if {
	some r in meshes
	mtls := r.spec.mtls
	is_object(mtls)
	some name, _ in mtls
	not name in mtls_fields
}

mesh_backends(r) := as_array(object.get(as_object(r.spec), ["mtls", "backends"], null))

mesh_problems contains resource_finding(r, problem("MESH001", at, "cannot have more than 1 backends")) if {
	some r in meshes
	count(mesh_backends(r)) > 1
	at := array.concat(r.spec_at, ["mtls", "backends"])
}

backends := [[r, array.concat(r.spec_at, ["mtls", "backends", i]), i, backend] |
	some r in meshes
	some i, backend in mesh_backends(r)
]

mesh_problems contains resource_finding(r, type_problem("MESH006", at, backend, "object")) if {
	some [r, at, _, backend] in backends
	not is_object(backend)
}

mesh_problems contains resource_finding(r, problem("MESH007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, _, backend] in backends
	is_object(backend)
	some name, _ in backend
	not name in backend_fields
}

mesh_problems contains resource_finding(r, type_problem("MESH006", array.concat(at, [name]), value, "string")) if {
	some [r, at, _, backend] in backends
	some name in ["name", "type"]
	value := backend[name]
	not is_null(value)
	not is_string(value)
}

mesh_problems contains resource_finding(r, problem("MESH004", array.concat(at, [name]), "has to be defined")) if {
	some [r, at, _, backend] in backends
	some name in ["name", "type"]
	not non_empty_string(object.get(as_object(backend), name, null))
}

mesh_problems contains resource_finding(r, problem("MESH002", array.concat(at, ["name"]), message)) if {
	some [r, at, i, backend] in backends
	name := backend.name
	non_empty_string(name)
	name in backend_names(mesh_backends(r), i)
	message := sprintf(`"%s" name is already used for another backend`, [name])
}

# The valid names of the backends before index `end`.
backend_names(list, end) := {backend.name |
	some i, backend in list
	i < end
	non_empty_string(backend.name)
}

mesh_problems contains resource_finding(r, mode_problem(array.concat(at, ["mode"]), backend.mode)) if {
	some [r, at, _, backend] in backends
	not is_null(backend.mode)
	not backend.mode in mtls_modes
}

mode_problem(at, mode) := type_problem("MESH006", at, mode, "string") if not is_string(mode)

else := problem("MESH006", at, unsupported_value(mode, mtls_modes))

mesh_problems contains resource_finding(
	r,
	problem("MESH003", at, "has to be set to one of the backends in the mesh"),
) if {
	some r in meshes
	enabled := r.spec.mtls.enabledBackend
	non_empty_string(enabled)
	list := mesh_backends(r)
	not enabled in backend_names(list, count(list))
	at := array.concat(r.spec_at, ["mtls", "enabledBackend"])
}

# dpCert.rotation.expiration: a duration.
mesh_problems contains resource_finding(r, type_problem("MESH006", array.concat(at, path), value, "object")) if {
	some [r, at, _, backend] in backends
	some path in [["dpCert"], ["dpCert", "rotation"]]
	value := object.get(as_object(backend), path, null)
	not is_null(value)
	not is_object(value)
}

mesh_problems contains resource_finding(
	r,
	expiration_problem(array.concat(at, ["dpCert", "rotation", "expiration"]), value),
) if {
	some [r, at, _, backend] in backends
	value := object.get(as_object(backend), ["dpCert", "rotation", "expiration"], null)
	not is_null(value)
	not valid_expiration(value)
}

valid_expiration(value) if {
	is_string(value)
	valid_duration(value)
}

expiration_problem(at, value) := type_problem("MESH006", at, value, "string") if not is_string(value)

else := problem("MESH005", at, "has to be a valid format")

# meshServices.mode decides whether a MeshIdentity can become Ready (spec B §1.2).
mesh_services_modes := ["Disabled", "Everywhere", "ReachableBackends", "Exclusive"]

mesh_problems contains resource_finding(r, problem("MESH006", at, unsupported_value(mode, mesh_services_modes))) if {
	some r in meshes
	mode := object.get(as_object(r.spec), ["meshServices", "mode"], null)
	is_string(mode)
	not mode in mesh_services_modes
	at := array.concat(r.spec_at, ["meshServices", "mode"])
}
