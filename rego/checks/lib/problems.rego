# Every structural problem of one resource: its envelope (generator/reading/resources.py) and
# its kind's own validation (generator/validation/*.py, spec B §2, §5.2, §6.1, §7, §8.2).
package checks.lib

problems(r) := envelope_problems(r) | kind_problems(r)

kind_problems(r) := mesh_problems(r) if r.kind == "Mesh"

kind_problems(r) := mtp_problems(r.spec) if r.kind == "MeshTrafficPermission"

kind_problems(r) := tp_problems(r) if r.kind == "TrafficPermission"

kind_problems(r) := es_problems(r) if r.kind == "ExternalService"

kind_problems(r) := passthrough_problems(r.spec) if r.kind == "MeshPassthrough"

# RES001 name, RES002 mesh / namespace / metadata, RES003 labels, RES004 unknown top-level
# field, RES005 timestamps.
envelope_problems(r) := universal_problems(r.kind, r.raw) if r.form == "universal"

else := kubernetes_problems(r.kind, r.raw)

universal_problems(kind, value) := union({
	required_name_problems("name", object.get(value, "name", null)),
	optional_name_problems("RES002", "mesh", object.get(value, "mesh", null)),
	label_problems(object.get(value, "labels", null)),
	timestamp_problems("creationTime", object.get(value, "creationTime", null)),
	top_level_problems(universal_envelope | {"spec"}, value, new_style(kind)),
})

kubernetes_problems(_, value) := {problem("RES002", "metadata", "must be a mapping")} | top_level_problems(
	kubernetes_envelope,
	value, true,
) if {
	not is_object(object.get(value, "metadata", null))
}

kubernetes_problems(kind, value) := union({
	required_name_problems("metadata.name", object.get(metadata, "name", null)),
	label_problems(object.get(metadata, "labels", null)),
	timestamp_problems("creationTimestamp", object.get(metadata, "creationTimestamp", null)),
	top_level_problems(kubernetes_envelope, value, true),
	scope_problems(kind, value),
}) if {
	metadata := object.get(value, "metadata", null)
	is_object(metadata)
}

scope_problems(kind, value) := optional_name_problems(
	"RES002", "metadata.namespace",
	object.get(value.metadata, "namespace", null),
) if {
	kind in new_style_kinds
} else := optional_name_problems("RES002", "mesh", object.get(value, "mesh", null)) if {
	kind != "Mesh"
} else := set()

required_name_problems(at, value) := {problem("RES001", at, "must be set")} if is_null(value)

else := optional_name_problems("RES001", at, value)

optional_name_problems(id, at, value) := {problem(id, at, "must be a non-empty string")} if {
	not is_null(value)
	not non_empty_string(value)
} else := set()

label_problems(labels) := {problem("RES003", "labels", "must be a mapping of strings")} if {
	not is_null(labels)
	not is_object(labels)
} else := {problem("RES003", at_key("labels", key), sprintf("must be a string, got %s", [reader_type_name(label)])) |
	some key, label in as_object(labels)
	not is_string(label)
}

# The reader's own names for YAML types (generator/reading/resources.py).
reader_type_name(value) := "mapping" if is_object(value)

else := "list" if is_array(value)

else := json_type(value)

timestamp_problems(at, value) := {problem("RES005", at, "must be an RFC 3339 timestamp")} if {
	not is_null(value)
	not regex.match(timestamp_pattern, as_string(value))
} else := set()

top_level_problems(known, value, true) := {problem("RES004", "", sprintf(`unknown field "%s"`, [key])) |
	some key in object.keys(value)
	not key in known
}

top_level_problems(_, _, false) := set()

new_style(kind) := kind in new_style_kinds
