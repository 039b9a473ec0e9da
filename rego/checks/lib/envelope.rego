# The envelope of a resource: what names it and places it (RES001-RES005), in either form.
#
# RES001 name, RES002 metadata / mesh / namespace, RES003 labels, RES004 unknown top-level field,
# RES005 timestamps. Names follow Kuma's ValidateMeta (an RFC 1123 subdomain), the mesh a resource
# names its ValidateMesh; Kubernetes namespaces are RFC 1123 labels.
package checks.lib

# Top-level fields per form and kind; in Universal form the legacy kinds' own fields sit there too
# and are their validators' concern.
kubernetes_envelope(kind) := {"apiVersion", "kind", "metadata", "spec", "mesh"} if kind in legacy_kinds

else := {"apiVersion", "kind", "metadata", "spec"}

universal_new_style_envelope := universal_envelope | {"spec"}

# Where a form keeps the name, the labels and the creation time.
name_at("kubernetes") := ["metadata", "name"]

name_at("universal") := ["name"]

labels_at("kubernetes") := ["metadata", "labels"]

labels_at("universal") := ["labels"]

envelope_problems contains resource_finding(r, problem("RES002", ["metadata"], message)) if {
	some r in suspects
	r.form == "kubernetes"
	not is_object(object.get(r.raw, "metadata", null))
	message := metadata_message(object.get(r.raw, "metadata", null))
}

metadata_message(null) := "must be set"

metadata_message(value) := sprintf("must be of type object, got %s", [json_type(value)]) if value != null

envelope_problems contains resource_finding(r, problem("RES001", at, message)) if {
	some r in suspects
	metadata_present(r)
	at := name_at(r.form)
	message := name_message(object.get(r.raw, at, null))
}

metadata_present(r) if r.form == "universal"

metadata_present(r) if is_object(object.get(r.raw, "metadata", null))

name_message(null) := "must be set"

name_message(value) := "must be a non-empty string" if {
	value != null
	not non_empty_string(value)
}

name_message(value) := resource_name_error(value) if non_empty_string(value)

# The mesh a resource names: a `mesh` field (Universal; legacy kinds on Kubernetes) or the label
# kuma.io/mesh (new-style kinds on Kubernetes). A Mesh names no mesh.
envelope_problems contains resource_finding(r, problem("RES002", ["mesh"], message)) if {
	some r in suspects
	r.kind != "Mesh"
	not mesh_in_label(r.kind, r.raw)
	value := r.raw.mesh
	message := mesh_message(value)
}

envelope_problems contains resource_finding(
	r,
	problem("RES002", array.concat(labels_at(r.form), [key("kuma.io/mesh")]), message),
) if {
	some r in suspects
	mesh_in_label(r.kind, r.raw)
	value := r.raw.metadata.labels["kuma.io/mesh"]
	is_string(value)
	message := mesh_message(value)
}

mesh_message(value) := "must be a non-empty string" if not non_empty_string(value)

mesh_message(value) := mesh_name_error(value) if non_empty_string(value)

envelope_problems contains resource_finding(r, problem("RES002", ["metadata", "namespace"], message)) if {
	some r in suspects
	r.form == "kubernetes"
	r.kind in new_style_kinds
	value := r.raw.metadata.namespace
	message := namespace_message(value)
}

namespace_message(value) := "must be a non-empty string" if not non_empty_string(value)

namespace_message(value) := namespace_error(value) if non_empty_string(value)

envelope_problems contains resource_finding(r, type_problem("RES003", at, labels, "object")) if {
	some r in suspects
	at := labels_at(r.form)
	labels := object.get(r.raw, at, null)
	labels != null
	not is_object(labels)
}

envelope_problems contains resource_finding(
	r,
	type_problem("RES003", array.concat(at, [key(name)]), value, "string"),
) if {
	some r in suspects
	at := labels_at(r.form)
	labels := object.get(r.raw, at, null)
	is_object(labels)
	some name, value in labels
	not is_string(value)
}

envelope_problems contains resource_finding(r, problem("RES005", at, "must be an RFC 3339 timestamp")) if {
	some r in suspects
	some at in timestamp_fields(r.form)
	value := object.get(r.raw, at, null)
	value != null
	not rfc3339(value)
}

timestamp_fields("universal") := [["creationTime"], ["modificationTime"]]

timestamp_fields("kubernetes") := [["metadata", "creationTimestamp"]]

# Go's time.Parse(time.RFC3339), as Kuma (and Kubernetes) decode these fields.
rfc3339(value) if {
	is_string(value)
	_ := time.parse_rfc3339_ns(value)
}

# Unknown top-level fields: Kubernetes refuses them (strict field validation), and in Universal form
# a new-style policy has nothing beside its envelope and `spec`.
envelope_problems contains resource_finding(r, problem("RES004", [name], unknown_top_level(r, name))) if {
	some r in suspects
	r.form == "kubernetes"
	some name, _ in r.raw
	not name in kubernetes_envelope(r.kind)
}

envelope_problems contains resource_finding(r, problem("RES004", [name], "unknown field")) if {
	some r in suspects
	r.form == "universal"
	r.kind in new_style_kinds
	some name, _ in r.raw
	not name in universal_new_style_envelope
}

unknown_top_level(r, name) := sprintf(
	`unknown field: a %s on Kubernetes takes its mesh from metadata.labels["kuma.io/mesh"]`,
	[r.kind],
) if {
	name == "mesh"
	r.kind in new_style_kinds
} else := "unknown field"
