# Mesh: Kuma's validation of the fields that decide access (spec B §2), as
# generator/validation/mesh.py implements it.
#
# MESH001 more than one backend, MESH002 duplicate backend name, MESH003 enabledBackend names no
# backend, MESH004 backend name / type missing, MESH005 dpCert expiration format,
# MESH006 types and enum values, MESH007 unknown fields.
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

# Kuma's durations: Go's units plus days ("1d", "36h", "1h30m").
duration_pattern := `^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$`

mesh_problems(r) := union({
	object_problems("MESH006", spec_root(r), r.spec),
	unknown_problems("MESH007", spec_root(r), r.spec, mesh_fields),
	object_problems("MESH006", "mtls", mtls),
	unknown_problems("MESH007", "mtls", mtls, mtls_fields),
	array_problems("MESH006", "mtls.backends", backends),
	backend_problems(as_array(backends)),
	string_problems("MESH006", "mtls.enabledBackend", enabled),
	enabled_backend_problems(enabled, as_array(backends)),
	object_problems("MESH006", "networking", networking),
	object_problems("MESH006", "networking.outbound", outbound),
	boolean_problems("MESH006", "networking.outbound.passthrough", object.get(as_object(outbound), "passthrough", null)),
}) if {
	mtls := object.get(as_object(r.spec), "mtls", null)
	backends := object.get(as_object(mtls), "backends", null)
	enabled := object.get(as_object(mtls), "enabledBackend", null)
	networking := object.get(as_object(r.spec), "networking", null)
	outbound := object.get(as_object(networking), "outbound", null)
}

# Universal keeps the fields at the top level, Kubernetes under spec; Kuma's paths are the same.
spec_root(r) := "" if r.form == "universal"

else := "spec"

backend_problems(backends) := {problem("MESH001", "mtls.backends", "cannot have more than 1 backends") |
	count(backends) > 1
} | {p |
	some i, backend in backends
	some p in one_backend_problems(at_index("mtls.backends", i), i, backend, backends)
}

one_backend_problems(at, i, backend, backends) := union({
	object_problems("MESH006", at, backend),
	unknown_problems("MESH007", at, backend, backend_fields),
	string_problems("MESH006", at_field(at, "name"), name),
	backend_name_problems(at_field(at, "name"), i, name, backends),
	string_problems("MESH006", at_field(at, "type"), type),
	{problem("MESH004", at_field(at, "type"), "has to be defined") | not non_empty_string(type)},
	enum_problems("MESH006", "MESH006", at_field(at, "mode"), mode, ["STRICT", "PERMISSIVE"]),
	expiration_problems(at_field(at, "dpCert"), object.get(as_object(backend), "dpCert", null)),
}) if {
	name := object.get(as_object(backend), "name", null)
	type := object.get(as_object(backend), "type", null)
	mode := object.get(as_object(backend), "mode", "STRICT")
}

backend_name_problems(at, i, name, backends) := {problem("MESH004", at, "has to be defined")} if {
	not non_empty_string(name)
} else := {problem("MESH002", at, sprintf(`"%s" name is already used for another backend`, [name]))} if {
	name in backend_names(backends, i)
} else := set()

# The valid names of the backends before index `end`.
backend_names(backends, end) := {backend.name |
	some i, backend in backends
	i < end
	is_object(backend)
	non_empty_string(object.get(backend, "name", null))
}

enabled_backend_problems(enabled, backends) := {problem(
	"MESH003",
	"mtls.enabledBackend",
	"has to be set to one of the backends in the mesh",
) |
	non_empty_string(enabled)
	not enabled in backend_names(backends, count(backends))
}

expiration_problems(at, dp_cert) := union({
	object_problems("MESH006", at, dp_cert),
	object_problems("MESH006", at_field(at, "rotation"), rotation),
	string_problems("MESH006", at_field(at, "rotation.expiration"), expiration),
	{problem("MESH005", at_field(at, "rotation.expiration"), "has to be a valid format") |
		is_string(expiration)
		not regex.match(duration_pattern, expiration)
	},
}) if {
	rotation := object.get(as_object(dp_cert), "rotation", null)
	expiration := object.get(as_object(rotation), "expiration", null)
}
