# targetRef checks shared by every new-style policy: Kuma's ValidateTargetRef (spec B §5.2) as
# generator/validation/target_ref.py implements it, plus Kuma's Dataplane rules, which
# gen-bundle does not reach yet (it refuses the kind first, GB002).
#
# TREF001 kind (or the ref) missing, unknown or not allowed here; TREF002 a field the kind does
# not allow; TREF003 tags; TREF004 names; TREF005 proxyTypes; TREF006 types and unknown fields.
# GB002 / GB003: accepted by Kuma, not compiled by gen-bundle yet (spec A1).
#
# opts: {"kinds": <allowed kinds>, "default_mesh": <absent ref means Mesh>, "inbound": <bool>}
package checks.lib

target_ref_kinds := [
	"Mesh",
	"MeshSubset",
	"MeshGateway",
	"MeshService",
	"MeshExternalService",
	"MeshMultiZoneService",
	"MeshServiceSubset",
	"MeshHTTPRoute",
	"Dataplane",
]

target_ref_fields := {"kind", "name", "namespace", "mesh", "tags", "labels", "proxyTypes", "sectionName"}

# Which fields each kind forbids.
forbidden_fields := {
	"Mesh": ["mesh", "tags", "labels", "namespace", "sectionName"],
	"MeshSubset": ["name", "mesh", "labels", "namespace", "sectionName"],
	"MeshService": ["mesh", "tags", "proxyTypes"],
	"MeshServiceSubset": ["mesh", "proxyTypes", "labels", "namespace", "sectionName"],
	"Dataplane": ["mesh", "tags", "proxyTypes"],
}

target_ref_problems(_, ref, opts) := set() if {
	is_null(ref)
	opts.default_mesh
}

target_ref_problems(at, ref, opts) := {problem("TREF001", at, "must be defined")} if {
	is_null(ref)
	not opts.default_mesh
}

target_ref_problems(at, ref, _) := object_problems("TREF006", at, ref) if {
	not is_null(ref)
	not is_object(ref)
}

target_ref_problems(at, ref, opts) := found if {
	is_object(ref)
	found := unknown_problems("TREF006", at, ref, target_ref_fields) | kind_stage(at, ref, opts)
}

kind_stage(at, ref, opts) := {problem("TREF001", at_field(at, "kind"), "must be defined")} if {
	object.get(ref, "kind", null) in {null, ""}
} else := enum_problems("TREF006", "TREF001", at_field(at, "kind"), ref.kind, target_ref_kinds) if {
	not ref.kind in target_ref_kinds
} else := {problem("TREF001", at_field(at, "kind"), sprintf("value '%s' is not supported", [ref.kind]))} if {
	not ref.kind in opts.kinds
} else := field_stage(at, ref, opts)

field_stage(at, ref, opts) := union({
	{problem("TREF002", at_field(at, field), sprintf("must not be set with kind %s", [ref.kind])) |
		some field in forbidden_fields[ref.kind]
		has_key(ref, field)
	},
	string_problems("TREF006", at_field(at, "name"), object.get(ref, "name", null)),
	tag_problems(at_field(at, "tags"), ref),
	proxy_type_problems(at_field(at, "proxyTypes"), ref),
	kind_rules(at, ref, opts),
})

kind_rules(at, ref, opts) := {problem(
	"TREF002", at_field(at, "name"),
	"using name with kind Mesh is not yet supported",
)} if {
	ref.kind == "Mesh"
	has_key(ref, "name")
} else := mesh_service_problems(at, ref) if {
	ref.kind == "MeshService"
} else := {problem("TREF004", at_field(at, "name"), "must be set when kind is MeshServiceSubset")} if {
	ref.kind == "MeshServiceSubset"
	not non_empty_string(object.get(ref, "name", null))
} else := dataplane_problems(at, ref, opts) if {
	ref.kind == "Dataplane"
} else := set()

mesh_service_problems(at, ref) := mesh_service_selection(at, ref) | {problem(
	"TREF004",
	at_field(at, "name"),
	messages.service_name,
) |
	non_empty_string(object.get(ref, "name", null))
	not regex.match(`^[0-9a-z.\-_]*$`, ref.name)
}

mesh_service_selection(at, ref) := {problem("TREF004", at, "name or labels must be set when kind is MeshService")} if {
	not non_empty_string(object.get(ref, "name", null))
	not has_key(ref, "labels")
} else := {problem("TREF002", at_field(at, "labels"), "either labels or name and namespace must be specified")} if {
	has_key(ref, "labels")
	some key in ["name", "namespace"]
	has_key(ref, key)
} else := {problem(
	"GB003", at_field(at, field),
	sprintf("%s with kind MeshService is not supported yet by gen-bundle", [field]),
)} if {
	# These select real MeshService resources (Kuma 2.9+), which gen-bundle does not model yet.
	field := [key | some key in ["labels", "namespace", "sectionName"]; has_key(ref, key)][0]
} else := set()

dataplane_problems(at, ref, opts) := union({
	{problem("GB002", at_field(at, "kind"), "value 'Dataplane' is not supported yet by gen-bundle")},
	{problem("TREF002", at_field(at, "labels"), "either labels or name and namespace must be specified") |
		has_key(ref, "labels")
		some key in ["name", "namespace"]
		has_key(ref, key)
	},
	{problem("TREF002", at_field(at, "sectionName"), "can only be used with inbound policies") |
		not opts.inbound
		non_empty_string(object.get(ref, "sectionName", null))
	},
})

tag_problems(at, ref) := string_map_problems("TREF006", at, object.get(ref, "tags", null)) | {p |
	some key, value in string_items(object.get(ref, "tags", null))
	p := tag_problem(at, ref.kind, key, value)
} if {
	ref.kind in {"MeshSubset", "MeshServiceSubset"}
} else := set()

tag_problem(at, kind, key, value) := problem("TREF003", at, "tag name must be non-empty") if {
	key == ""
} else := problem(
	"TREF003", at_key(at, key),
	messages.tag_name,
) if {
	not regex.match(`^[a-zA-Z0-9.\-_:/]*$`, key)
} else := problem("TREF003", at_key(at, key), "tag value must be non-empty") if {
	value == ""
} else := problem(
	"TREF003", at_key(at, key),
	messages.tag_value,
) if {
	kind == "MeshSubset"
	not regex.match(`^[a-zA-Z0-9.\-_:]*$`, value)
} else := problem(
	"TREF003", at_key(at, key),
	messages.selector_value,
) if {
	kind == "MeshServiceSubset"
	not regex.match(`^([a-zA-Z0-9.\-_:/]*|\*)$`, value)
}

proxy_type_problems(at, ref) := union({
	array_problems("TREF006", at, ref.proxyTypes),
	{problem("TREF005", at, "must be undefined or have at least one element") |
		ref.proxyTypes == []
		ref.kind in {"Mesh", "MeshSubset"}
	},
	{p |
		some i, item in as_array(ref.proxyTypes)
		some p in enum_problems("TREF006", "TREF005", at_index(at, i), item, ["Sidecar", "Gateway"])
	},
}) if {
	has_key(ref, "proxyTypes")
} else := set()

# The tags a client must carry for a valid `from` ref to apply to it (spec B §5.3.1 step 3).
required_tags(ref) := {} if ref.kind == "Mesh"

required_tags(ref) := string_items(object.get(ref, "tags", null)) if ref.kind == "MeshSubset"

required_tags(ref) := {"kuma.io/service": ref.name} if ref.kind == "MeshService"

required_tags(ref) := object.union(string_items(object.get(ref, "tags", null)), {"kuma.io/service": ref.name}) if {
	ref.kind == "MeshServiceSubset"
}

# A ref without any problem, gen-bundle's limits included.
valid_target_ref(at, ref, opts) if count(target_ref_problems(at, ref, opts)) == 0
