# METADATA
# title: Tag matching
# description: |
#   How compiled requirements meet the request's tags (docs/data-shape.md), shared by inbound
#   permissions, ExternalService access and MeshPassthrough selection.
package kuma.authz.tags

import data.kuma.authz.request
import data.kuma.compiled.meshes

# Local inbound tags are single-valued: every required pair must be there. A required value "*"
# asks only for the tag to be present, as Kuma's tag selector does; the compiler never uses such a
# pair as an index pair.
local_pairs_hold(required, tags) if {
	every key, value in required {
		value_matches(value, tags[key])
	}
}

value_matches("*", _) := true

value_matches(value, value) := true

# Client tags are multi-valued: every required pair must be among the client's (key, value) pairs
# (spec A2), a set.
client_pairs_hold(required, pairs) if {
	every key, value in required {
		[key, value] in pairs
	}
}

# A zone-originated policy applies only in its zone; an inbound without kuma.io/zone does not
# restrict.
zone_holds(record, _) if not record.zone

zone_holds(_, tags) if not tags["kuma.io/zone"]

zone_holds(record, tags) if record.zone == tags["kuma.io/zone"]

# A compiled selection record (generator/compile/selection.py: `inbound` requirements, optional
# `labels`, `dataplane`, `section` and `zone`) holds for the local tags and the local Dataplane.
selects(record, tags) if {
	local_pairs_hold(object.get(record, "inbound", {}), tags)
	zone_holds(record, tags)
	dataplane_holds(record)
}

dataplane_holds(record) if {
	not record.labels
	not record.dataplane
	not record.section
}

dataplane_holds(record) if {
	labels_hold(object.get(record, "labels", {}))
	name_holds(object.get(record, "dataplane", null))
	section_holds(object.get(record, "section", null))
}

# Dataplane labels are single-valued and compared exactly (Kuma's label selector).
labels_hold(required) if {
	every key, value in required {
		request.dataplane_labels[key] == value
	}
}

name_holds(null)

# Kuma's identifier of a Dataplane: name, namespace and zone (the compiler writes all three).
name_holds(ref) if object.filter(ref, {"name", "namespace", "zone"}) == request.dataplane_identity

section_holds(null)

section_holds(section) if section == request.inbound_section

# The slots of the selection index `name` of the request's mesh (docs/data-shape.md "Selection
# records and indexes") that the local side reaches by key: `any`, one per tag of the local inbound,
# one per label of the local Dataplane, and the Dataplane's name. An array, so that the slots are not
# hashed into a set; each slot is itself an array, which array.flatten would break up. Every slot is
# read by its whole data path: an index passed by value would be converted whole on every check.
reached(name) := reached_in(request.mesh, name)

# The same slots of mesh `mesh`'s index (an explanation reads the other meshes too).
# regal ignore:use-array-flatten
reached_in(mesh, name) := array.concat(
	array.concat(
		[slot | slot := meshes[mesh].selection[name].any],
		[slot |
			some key, value in request.local_tags
			slot := meshes[mesh].selection[name].by_pair[key][value]
		],
	),
	array.concat(
		[slot |
			some key, value in request.dataplane_labels
			slot := meshes[mesh].selection[name].by_label[key][value]
		],
		[slot | slot := meshes[mesh].selection[name].by_name[request.dataplane_name]],
	),
)
