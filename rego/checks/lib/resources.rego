# Objects → Kuma resources, in either form Kuma accepts.
#
# * Universal (kumactl, REST): `type`, `name`, `mesh` (default "default"), `labels`; new-style kinds
#   keep their fields under `spec`, legacy kinds (Mesh, TrafficPermission, ExternalService) at the
#   top level.
# * Kubernetes (apiVersion kuma.io/v1alpha1): `kind`, `metadata`; new-style kinds are namespaced with
#   the mesh in label kuma.io/mesh, legacy kinds are cluster-scoped with a top-level `mesh`.
#
# Every object is classified once: a resource gen-bundle compiles, a Kuma kind it skips (note) or
# refuses (not compiled yet), a mistake (an unknown kind or version, not a resource at all), or a
# document of another API group, which is left alone.
package checks.lib

default_mesh := "default"

# The class of an object: "resource", "skipped", "pending", "foreign" (another API group), "invalid".
registry := {
	"group": kuma_api_group,
	"version": kuma_api_version,
	"kubernetes": kubernetes_kinds,
	"universal": universal_kinds,
}

kubernetes(value) if has_field(value, "apiVersion")

kubernetes(value) if has_field(value, "kind")

universal(value) if {
	not kubernetes(value)
	has_field(value, "type")
}

# The API group of an apiVersion ("" for the core group), or null when there is none.
api_group(value) := split(value.apiVersion, "/")[0] if {
	non_empty_string(value.apiVersion)
	contains(value.apiVersion, "/")
} else := "" if {
	non_empty_string(value.apiVersion)
} else := null

class_of(value, registry) := "invalid" if {
	not is_object(value)
} else := "foreign" if {
	kubernetes(value)
	not api_group(value) in {registry.group, null}
} else := "invalid" if {
	kubernetes(value)
	object.get(value, "apiVersion", null) != registry.version
} else := kind_class(value.kind, registry.kubernetes) if {
	kubernetes(value)
} else := kind_class(value.type, registry.universal) if {
	universal(value)
} else := "invalid"

kind_class(kind, known) := "invalid" if {
	not kind in known
} else := "resource" if {
	kind_treatment(kind) == "compiled"
} else := kind_treatment(kind)

# The problems that keep an object from being a resource at all, and the notes on skipped kinds;
# each class looked at once (most objects are resources).
objects_of[class] := [o | some o in objects; o.class == class] if {
	some class in {"invalid", "foreign", "pending", "skipped"}
}

classification_problems contains object_finding(o, problem("RES008", [], message)) if {
	some o in objects_of.invalid
	not is_object(o.value)
	not document_is_empty(o)
	message := sprintf("expected a resource (an object), got %s", [json_type(o.value)])
}

classification_problems contains object_finding(o, problem(
	"RES008", [],
	"not a Kuma resource: expected `type` (Universal) or `apiVersion` and `kind` (Kubernetes)",
)) if {
	some o in objects_of.invalid
	is_object(o.value)
	not kubernetes(o.value)
	not universal(o.value)
}

classification_problems contains object_finding(o, problem("RES007", ["apiVersion"], message)) if {
	some o in objects_of.invalid
	is_object(o.value)
	kubernetes(o.value)
	api_group(o.value) in {kuma_api_group, null}
	object.get(o.value, "apiVersion", null) != kuma_api_version
	message := api_version_message(object.get(o.value, "apiVersion", null))
}

classification_problems contains object_finding(o, problem("RES006", ["kind"], message)) if {
	some o in objects_of.invalid
	is_object(o.value)
	kubernetes(o.value)
	api_group(o.value) == kuma_api_group
	not object.get(o.value, "kind", null) in kubernetes_kinds
	message := unknown_kind_message(object.get(o.value, "kind", null), kubernetes_kinds, "a kind of API group kuma.io")
}

classification_problems contains object_finding(o, problem("RES006", ["type"], message)) if {
	some o in objects_of.invalid
	is_object(o.value)
	universal(o.value)
	not o.value.type in universal_kinds
	message := unknown_kind_message(o.value.type, universal_kinds, "a Kuma type")
}

# A kind Kuma has, in another API group: left alone, but likely a typo in apiVersion.
classification_problems contains object_finding(o, problem("RES010", ["apiVersion"], message)) if {
	some o in objects_of.foreign
	o.value.kind in kubernetes_kinds
	message := sprintf(
		`%s of API group "%s" is not Kuma's (%s), so it is left alone`,
		[o.value.kind, api_group(o.value), kuma_api_version],
	)
}

classification_problems contains object_finding(o, problem("GB004", [kind_field(o.value)], message)) if {
	some o in objects_of.pending
	message := sprintf("%s decides access, but gen-bundle does not compile it yet", [kind_of(o.value)])
}

classification_problems contains object_finding(o, problem("RES009", [], "decides nothing about access; skipped")) if {
	some o in objects_of.skipped
}

# An empty document (conftest hands an empty file over as null) holds nothing to check.
document_is_empty(o) if {
	o.item == -1
	is_null(o.value)
}

kind_field(value) := "kind" if kubernetes(value)

else := "type"

kind_of(value) := value[kind_field(value)]

api_version_message(null) := sprintf("must be set: Kuma's resources are %s", [kuma_api_version])

api_version_message(version) := sprintf("must be a string, got %s", [json_type(version)]) if {
	version != null
	not is_string(version)
}

api_version_message(version) := sprintf(`"%s" is not served by Kuma: use %s`, [version, kuma_api_version]) if {
	is_string(version)
}

unknown_kind_message(kind, _, _) := "must be a non-empty string" if not non_empty_string(kind)

unknown_kind_message(kind, known, noun) := sprintf(`"%s" is not %s; did you mean %s?`, [kind, noun, suggestion]) if {
	non_empty_string(kind)
	suggestion := nearest_kind(known, kind)
}

unknown_kind_message(kind, known, noun) := sprintf(
	`"%s" is not %s (see docs/checks/RES006.md for the kinds Kuma has)`,
	[kind, noun],
) if {
	non_empty_string(kind)
	not nearest_kind(known, kind)
}

# --- the resources gen-bundle compiles ------------------------------------------------------------

resources := [resource(o) | some o in objects; o.class == "resource"]

# Resources of one kind, for the per-kind checks.
resources_of[kind] := [r | some r in resources; r.kind == kind] if some kind in compiled_kinds

resource(o) := object.union(
	{
		"key": [o.file, o.document, o.item],
		"file": o.file,
		"file_index": o.file_index,
		"document": o.document,
		"item": o.item,
		"base": o.base,
		"raw": o.value,
	},
	placed(o.value, form(o.value)),
)

# What names and places a resource, per form (one pass over the envelope, not one per field).
placed(value, "kubernetes") := {
	"kind": kind,
	"form": "kubernetes",
	"name": name,
	"mesh": kubernetes_mesh(kind, value, metadata, name),
	"namespace": kubernetes_namespace(kind, metadata),
	"labels": string_items(object.get(metadata, "labels", null)),
	"spec": object.get(value, "spec", null),
	"spec_at": ["spec"],
} if {
	kind := value.kind
	metadata := as_object(object.get(value, "metadata", null))
	name := non_empty_or_null(object.get(metadata, "name", null))
}

placed(value, "universal") := {
	"kind": kind,
	"form": "universal",
	"name": name,
	"mesh": universal_mesh(kind, value, name),
	"namespace": null,
	"labels": string_items(object.get(value, "labels", null)),
	"spec": spec(kind, value),
	"spec_at": spec_at(kind, "universal"),
} if {
	kind := value.type
	name := non_empty_or_null(object.get(value, "name", null))
}

non_empty_or_null(value) := value if non_empty_string(value)

else := null

kubernetes_mesh("Mesh", _, _, name) := name

kubernetes_mesh(kind, _, metadata, _) := mesh if {
	kind in new_style_kinds
	mesh := non_empty_or_default(object.get(metadata, ["labels", "kuma.io/mesh"], null))
}

kubernetes_mesh(kind, value, _, _) := non_empty_or_default(object.get(value, "mesh", null)) if {
	kind in {"TrafficPermission", "ExternalService"}
}

universal_mesh("Mesh", _, name) := name

universal_mesh(kind, value, _) := non_empty_or_default(object.get(value, "mesh", null)) if kind != "Mesh"

non_empty_or_default(value) := value if non_empty_string(value)

else := default_mesh

kubernetes_namespace(kind, metadata) := non_empty_or_null(object.get(metadata, "namespace", null)) if {
	kind in new_style_kinds
} else := null

form(value) := "kubernetes" if kubernetes(value)

else := "universal"

name(value) := value.metadata.name if {
	kubernetes(value)
	non_empty_string(value.metadata.name)
} else := value.name if {
	not kubernetes(value)
	non_empty_string(value.name)
} else := null

mesh_in_label(kind, value) if {
	kind in new_style_kinds
	kubernetes(value)
}

# The kind's own fields: `spec`, or the top-level fields of a Universal legacy kind.
spec(kind, value) := object.remove(value, universal_envelope) if {
	kind in legacy_kinds
	not kubernetes(value)
} else := object.get(value, "spec", null)

# Where those fields stand in the object.
spec_at(kind, written_form) := [] if {
	written_form == "universal"
	kind in legacy_kinds
} else := ["spec"]

universal_envelope := {"type", "name", "mesh", "labels", "creationTime", "modificationTime"}

# How messages name a resource: "<Kind> <mesh>/[<namespace>/]<name>".
ref(r) := sprintf("Mesh %s", [display(r)]) if r.kind == "Mesh"

else := sprintf("%s %s/%s/%s", [r.kind, r.mesh, r.namespace, display(r)]) if r.namespace != null

else := sprintf("%s %s/%s", [r.kind, r.mesh, display(r)])

display(r) := r.name if r.name != null

else := "(unnamed)"

# Two resources with one identity are one resource defined twice.
identity(r) := [r.kind, "", "", r.name] if r.kind == "Mesh"

else := [r.kind, r.mesh, r.namespace, r.name] if r.namespace != null

else := [r.kind, r.mesh, "", r.name]

# The display name (spec A10): label kuma.io/display-name, else the name.
display_name(r) := r.labels["kuma.io/display-name"] if non_empty_string(r.labels["kuma.io/display-name"])

else := r.name

# How messages name an object that is not (yet) a resource: "<Kind> <name>" when it has both.
object_ref(o) := sprintf("%s %s", [kind_of(o.value), name(o.value)]) if {
	is_object(o.value)
	non_empty_string(kind_of(o.value))
	non_empty_string(name(o.value))
} else := null

object_finding(o, p) := {
	"file": o.file,
	"document": o.document,
	"item": o.item,
	"base": o.base,
	"resource": null,
	"kind": null,
	"ref": object_ref(o),
	"problem": p,
}

resource_finding(r, p) := {
	"file": r.file,
	"document": r.document,
	"item": r.item,
	"base": r.base,
	"resource": r.key,
	"kind": r.kind,
	"ref": ref(r),
	"problem": p,
}
