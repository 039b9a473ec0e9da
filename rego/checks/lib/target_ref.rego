# targetRef checks shared by every new-style policy: Kuma's ValidateTargetRef (spec B §5.2), plus
# what gen-bundle does not compile yet (GB003 MeshService by labels / namespace / section) and what
# the chosen Kuma release does not have (VER001: Dataplane before 2.10).
#
# TREF001 kind (or the ref) missing, unknown or not allowed here; TREF002 a field the kind does
# not allow; TREF003 tags; TREF004 names; TREF005 proxyTypes; TREF006 types and unknown fields.
#
# Each policy kind lists its refs in `target_ref_uses` as {"r": <resource>, "at": <path>, "ref":
# <value>, "kinds": <allowed kinds>, "absent_means_mesh": <bool>, "inbound": <bool>}.
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

target_ref_uses := array.flatten([mtp_top_refs, mtp_from_refs, passthrough_top_refs])

target_ref_problems contains resource_finding(use.r, problem("TREF001", use.at, "must be defined")) if {
	some use in target_ref_uses
	is_null(use.ref)
	not use.absent_means_mesh
}

target_ref_problems contains resource_finding(use.r, type_problem("TREF006", use.at, use.ref, "object")) if {
	some use in target_ref_uses
	not is_null(use.ref)
	not is_object(use.ref)
}

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF006", array.concat(use.at, [name]), "unknown field"),
) if {
	some use in target_ref_uses
	is_object(use.ref)
	some name, _ in use.ref
	not name in target_ref_fields
}

target_ref_problems contains resource_finding(use.r, kind_problem(use)) if {
	some use in target_ref_uses
	is_object(use.ref)
	not kind_allowed(use)
}

kind_problem(use) := problem("TREF001", at, "must be defined") if {
	object.get(use.ref, "kind", null) in {null, ""}
	at := array.concat(use.at, ["kind"])
} else := type_problem("TREF006", array.concat(use.at, ["kind"]), use.ref.kind, "string") if {
	not is_string(use.ref.kind)
} else := problem("TREF001", array.concat(use.at, ["kind"]), unsupported_value(use.ref.kind, target_ref_kinds)) if {
	not use.ref.kind in target_ref_kinds
} else := problem("TREF001", array.concat(use.at, ["kind"]), sprintf("value '%s' is not supported", [use.ref.kind]))

kind_allowed(use) if use.ref.kind in use.kinds

# The refs whose kind is known and allowed: their fields are checked.
kinded_uses := [use | some use in target_ref_uses; is_object(use.ref); kind_allowed(use)]

target_ref_problems contains resource_finding(use.r, problem("TREF002", at, message)) if {
	some use in kinded_uses
	some name in forbidden_fields[use.ref.kind]
	is_given(use.ref[name])
	at := array.concat(use.at, [name])
	message := sprintf("must not be set with kind %s", [use.ref.kind])
}

target_ref_problems contains resource_finding(
	use.r,
	type_problem("TREF006", array.concat(use.at, [name]), value, "string"),
) if {
	some use in kinded_uses
	some name in ["name", "namespace", "mesh", "sectionName"]
	value := use.ref[name]
	not is_null(value)
	not is_string(value)
}

target_ref_problems contains resource_finding(use.r, finding) if {
	some use in kinded_uses
	some finding in string_map_type_problems("TREF006", array.concat(use.at, ["labels"]), use.ref.labels)
}

# The problems of a value that must be a map of strings.
string_map_type_problems(id, at, value) := {type_problem(id, at, value, "object")} if {
	not is_null(value)
	not is_object(value)
} else := {type_problem(id, array.concat(at, [key(name)]), item, "string") |
	some name, item in as_object(value)
	not is_string(item)
}

# Kuma's isSet: a non-empty string, map or list (values of another type are schema errors).
is_given(value) if non_empty_string(value)

is_given(value) if {
	is_object(value)
	count(value) > 0
}

is_given(value) if {
	is_array(value)
	count(value) > 0
}

# Tags of MeshSubset (values as ValidateTags) and MeshServiceSubset (as ValidateSelector).
target_ref_problems contains resource_finding(use.r, finding) if {
	some use in kinded_uses
	some finding in string_map_type_problems("TREF006", array.concat(use.at, ["tags"]), use.ref.tags)
}

target_ref_problems contains resource_finding(use.r, problem("TREF003", at, message)) if {
	some use in kinded_uses
	use.ref.kind in {"MeshSubset", "MeshServiceSubset"}
	some name, value in string_items(use.ref.tags)
	some [at, message] in tag_errors(array.concat(use.at, ["tags"]), name, value, use.ref.kind == "MeshServiceSubset")
}

target_ref_problems contains resource_finding(use.r, type_problem("TREF006", at, use.ref.proxyTypes, "array")) if {
	some use in kinded_uses
	has_field(use.ref, "proxyTypes")
	not is_array(use.ref.proxyTypes)
	at := array.concat(use.at, ["proxyTypes"])
}

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF005", at, "must be undefined or have at least one element"),
) if {
	some use in kinded_uses
	use.ref.proxyTypes == []
	use.ref.kind in {"Mesh", "MeshSubset"}
	at := array.concat(use.at, ["proxyTypes"])
}

target_ref_problems contains resource_finding(
	use.r,
	proxy_type_problem(array.concat(use.at, ["proxyTypes", i]), item),
) if {
	some use in kinded_uses
	is_array(use.ref.proxyTypes)
	some i, item in use.ref.proxyTypes
	not item in proxy_types
}

proxy_types := ["Sidecar", "Gateway"]

proxy_type_problem(at, item) := type_problem("TREF006", at, item, "string") if not is_string(item)

else := problem("TREF005", at, unsupported_value(item, proxy_types))

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF002", array.concat(use.at, ["name"]), "using name with kind Mesh is not yet supported"),
) if {
	some use in kinded_uses
	use.ref.kind == "Mesh"
	non_empty_string(use.ref.name)
}

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF004", array.concat(use.at, ["name"]), "must be set when kind is MeshServiceSubset"),
) if {
	some use in kinded_uses
	use.ref.kind == "MeshServiceSubset"
	not non_empty_string(object.get(use.ref, "name", null))
}

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF004", array.concat(use.at, ["name"]), messages.service_name),
) if {
	some use in kinded_uses
	use.ref.kind in {"MeshService", "MeshServiceSubset"}
	non_empty_string(use.ref.name)
	not valid_service_name(use.ref.name)
}

target_ref_problems contains resource_finding(use.r, mesh_service_selection(use)) if {
	some use in kinded_uses
	use.ref.kind == "MeshService"
}

mesh_service_selection(use) := problem("TREF004", use.at, "name or labels must be set when kind is MeshService") if {
	not non_empty_string(object.get(use.ref, "name", null))
	not is_given(object.get(use.ref, "labels", null))
} else := labels_or_name(use) if {
	labels_and_name(use.ref)
} else := problem("GB003", array.concat(use.at, [name]), message) if {
	# These select real MeshService resources (Kuma 2.9+), which gen-bundle does not model yet.
	name := [field | some field in ["labels", "namespace", "sectionName"]; is_given(object.get(use.ref, field, null))][0]
	message := sprintf("%s with kind MeshService is not supported yet by gen-bundle", [name])
}

labels_and_name(ref) if {
	is_given(object.get(ref, "labels", null))
	some name in ["name", "namespace"]
	non_empty_string(object.get(ref, name, null))
}

labels_or_name(use) := problem(
	"TREF002", array.concat(use.at, ["labels"]),
	"either labels or name and namespace must be specified",
)

target_ref_problems contains resource_finding(use.r, problem("VER001", at, dataplane_unknown_message)) if {
	some use in kinded_uses
	use.ref.kind == "Dataplane"
	not features.dataplane_target_ref
	at := array.concat(use.at, ["kind"])
}

dataplane_unknown_message := sprintf(
	"value 'Dataplane' is not supported (Kuma 2.10+, --kuma-version is %s)",
	[kuma_version_text],
)

target_ref_problems contains resource_finding(use.r, labels_or_name(use)) if {
	some use in kinded_uses
	use.ref.kind == "Dataplane"
	labels_and_name(use.ref)
}

target_ref_problems contains resource_finding(
	use.r,
	problem("TREF002", at, "can only be used with inbound policies"),
) if {
	some use in kinded_uses
	use.ref.kind == "Dataplane"
	not use.inbound
	non_empty_string(object.get(use.ref, "sectionName", null))
	at := array.concat(use.at, ["sectionName"])
}

# A valid ref in the model's terms: the tags a client (from) or an inbound (top level) must carry,
# and for kind Dataplane the labels, or the name and namespace (the policy's namespace unless the
# ref names one: Kuma's resolution of a by-name ref), and the section name.
model_target_ref(null, _) := {
	"kind": "Mesh", "name": null, "tags": {}, "proxy_types": null, "requires": {},
	"labels": null, "namespace": null, "section_name": null,
}

model_target_ref(ref, policy_namespace) := {
	"kind": ref.kind,
	"name": model_ref_name(ref),
	"tags": tags,
	"proxy_types": model_proxy_types(ref),
	"requires": required_tags(ref.kind, ref, tags),
	"labels": model_ref_labels(ref),
	"namespace": model_ref_namespace(ref, policy_namespace),
	"section_name": model_ref_section(ref),
} if {
	ref != null
	tags := string_items(object.get(ref, "tags", null))
}

# null when the ref has no labels (Dataplane{}, Dataplane{sectionName} and by name): precedence
# tells `labels: {}` (by labels) from none (Kuma's selectsLabels is `Labels != nil`).
model_ref_labels(ref) := string_items(ref.labels) if {
	ref.kind == "Dataplane"
	is_object(ref.labels)
} else := null

model_ref_namespace(ref, policy_namespace) := ref.namespace if {
	ref.kind == "Dataplane"
	non_empty_string(ref.namespace)
} else := policy_namespace if {
	ref.kind == "Dataplane"
	non_empty_string(object.get(ref, "name", null))
} else := null

model_ref_section(ref) := ref.sectionName if {
	ref.kind == "Dataplane"
	non_empty_string(ref.sectionName)
} else := null

# The tags a client (from) or an inbound (top level) must carry for a ref to match it (spec B
# §5.3.1 step 3, §4.2); what the compiler indexes by and the risk checks compare.
required_tags("MeshSubset", _, tags) := tags

required_tags("MeshService", ref, _) := {"kuma.io/service": ref.name}

required_tags("MeshServiceSubset", ref, tags) := object.union(tags, {"kuma.io/service": ref.name})

required_tags(kind, _, _) := {} if not kind in {"MeshSubset", "MeshService", "MeshServiceSubset"}

model_ref_name(ref) := ref.name if {
	ref.kind != "Mesh"
	is_string(ref.name)
} else := null

model_proxy_types(ref) := sort({t | some t in ref.proxyTypes}) if is_array(ref.proxyTypes)

else := null
