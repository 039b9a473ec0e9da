# METADATA
# title: Tag matching
# description: |
#   How compiled requirements meet the request's tags (docs/data-shape.md), shared by inbound
#   permissions, ExternalService access and MeshPassthrough selection.
package kuma.authz.tags

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

# Client tags are multi-valued: every required pair must be among the client's pairs (spec A2).
client_pairs_hold(required, tags) if {
	every key, value in required {
		value in tags[key]
	}
}

# A zone-originated policy applies only in its zone; an inbound without kuma.io/zone does not
# restrict.
zone_holds(record, _) if not record.zone

zone_holds(_, tags) if not tags["kuma.io/zone"]

zone_holds(record, tags) if record.zone == tags["kuma.io/zone"]

# A compiled selection record (`inbound` requirements, optional `zone`) holds for the local tags.
selects(record, tags) if {
	local_pairs_hold(object.get(record, "inbound", {}), tags)
	zone_holds(record, tags)
}
