# The Kuma resources in conftest's input, in either form Kuma accepts, normalised the way
# generator/reading/resources.py reads them.
#
# * Per document (the default): input is one YAML document; conftest splits multi-document
#   files and top-level arrays itself. A kubectl `kind: List` is expanded here.
# * Under --combine: input is an array of {"path": <file>, "contents": <document>}.
#
# Universal: `type`, `name`, `mesh` (default "default"), `labels`; new-style kinds keep their
# fields under `spec`, legacy kinds (Mesh, TrafficPermission, ExternalService) at the top level.
# Kubernetes (apiVersion kuma.io/v1alpha1): `kind`, `metadata`; new-style kinds are namespaced
# with the mesh in label kuma.io/mesh, legacy kinds are cluster-scoped with a top-level `mesh`.
# Documents of other kinds or APIs are not ours and are left alone.
package checks.lib

default_mesh := "default"

new_style_kinds := {"MeshTrafficPermission", "MeshPassthrough"}

legacy_kinds := {"Mesh", "TrafficPermission", "ExternalService"}

kinds := new_style_kinds | legacy_kinds

universal_envelope := {"type", "name", "mesh", "labels", "creationTime", "modificationTime"}

kubernetes_envelope := {"apiVersion", "kind", "metadata", "spec", "mesh", "status"}

# True when conftest runs with --combine: only then do cross-document checks have the whole picture.
combined if is_array(input)

documents contains {"file": "", "document": 1, "value": input} if not combined

documents contains {"file": entry.path, "document": position, "value": entry.contents} if {
	combined
	some i, entry in input
	not is_array(entry.contents)
	position := count([j |
		some j, other in input
		j <= i
		other.path == entry.path
	])
}

# Older conftest releases hand a multi-document file over as one array.
documents contains {"file": entry.path, "document": i + 1, "value": value} if {
	combined
	some entry in input
	is_array(entry.contents)
	some i, value in entry.contents
}

# The objects of a document: itself, or each item of a kubectl List. Item -1 is the document.
objects(value) := [[i, item] |
	some i, item in value.items
	is_object(item)
] if {
	value.kind == "List"
	is_array(value.items)
} else := [[-1, value]] if is_object(value)

resources contains r if {
	some doc in documents
	some r in document_resources(doc)
}

# The Kuma resources of one document ({"file", "document", "value"}).
document_resources(doc) := {resource(doc, item, value) |
	some [item, value] in objects(doc.value)
	kuma_kind(value)
}

kuma_kind(value) := value.kind if {
	kubernetes(value)
	value.apiVersion == "kuma.io/v1alpha1"
	value.kind in kinds
}

kuma_kind(value) := value.type if {
	not kubernetes(value)
	value.type in kinds
}

kubernetes(value) if has_key(value, "apiVersion")

kubernetes(value) if has_key(value, "kind")

form(value) := "kubernetes" if kubernetes(value)

else := "universal"

resource(doc, item, value) := {
	"kind": kind,
	"form": form(value),
	"name": name(value),
	"mesh": mesh(kind, value),
	"namespace": namespace(kind, value),
	"labels": string_items(raw_labels(value)),
	"spec": spec(kind, value),
	"raw": value,
	"file": doc.file,
	"document": doc.document,
	"item": item,
} if {
	kind := kuma_kind(value)
}

non_empty_string(value) if {
	is_string(value)
	value != ""
}

name(value) := value.metadata.name if {
	kubernetes(value)
	non_empty_string(value.metadata.name)
} else := value.name if {
	not kubernetes(value)
	non_empty_string(value.name)
} else := null

raw_labels(value) := object.get(value, ["metadata", "labels"], null) if kubernetes(value)

else := object.get(value, "labels", null)

mesh(kind, value) := name(value) if {
	kind == "Mesh"
	kubernetes(value)
} else := value.metadata.labels["kuma.io/mesh"] if {
	kind in new_style_kinds
	kubernetes(value)
	non_empty_string(value.metadata.labels["kuma.io/mesh"])
} else := value.mesh if {
	not kind_with_label_mesh(kind, value)
	non_empty_string(value.mesh)
} else := default_mesh

kind_with_label_mesh(kind, value) if {
	kind in new_style_kinds
	kubernetes(value)
}

namespace(kind, value) := value.metadata.namespace if {
	kind in new_style_kinds
	kubernetes(value)
	non_empty_string(value.metadata.namespace)
} else := null

# The kind's own fields: `spec`, or the top-level fields of a Universal legacy kind.
spec(kind, value) := object.remove(value, universal_envelope) if {
	kind in legacy_kinds
	not kubernetes(value)
} else := object.get(value, "spec", null)

# How messages name a resource, as gen-bundle does: "<Kind> <mesh>/[<namespace>/]<name>".
ref(r) := sprintf("Mesh %s", [display(r)]) if r.kind == "Mesh"

else := sprintf("%s %s/%s/%s", [r.kind, r.mesh, r.namespace, display(r)]) if r.namespace != null

else := sprintf("%s %s/%s", [r.kind, r.mesh, display(r)])

display(r) := r.name if r.name != null

else := "(unnamed)"

# Two resources with one identity are one resource defined twice.
identity(r) := [r.kind, "", "", r.name] if r.kind == "Mesh"

else := [r.kind, r.mesh, r.namespace, r.name] if r.namespace != null

else := [r.kind, r.mesh, "", r.name]

# Where a resource was found, for messages under --combine.
location(r) := sprintf("%s, document %d, item %d", [r.file, r.document, r.item + 1]) if r.item >= 0

else := sprintf("%s, document %d", [r.file, r.document])

message(r, at, text) := sprintf("%s: %s: %s", [ref(r), at, text]) if at != ""

else := sprintf("%s: %s", [ref(r), text])

# A conftest result: `msg` plus metadata (the check ID, the resource and the field). Under
# --combine conftest reports every result under "Combined", so the location leads the message, as
# it leads gen-bundle's lines, and is in the metadata too.
result(r, p) := {
	"msg": message(r, p.field, p.message),
	"id": p.id,
	"resource": ref(r),
	"field": p.field,
} if {
	not combined
} else := {
	"msg": concat(": ", [location(r), message(r, p.field, p.message)]),
	"id": p.id,
	"resource": ref(r),
	"field": p.field,
	"file": location(r),
}

# Every structural problem of every resource; the structure.* namespaces pick theirs by ID.
findings contains result(r, p) if {
	some r in resources
	some p in problems(r)
}
