# Decision tables (docs/split.md "Decision tables"): a split bundle of one Dataplane holds, for each
# of its inbounds, the decisions this library makes for it worked out in advance by the library
# itself (`decision_table`, asked at build time), so that a check of a client with a Kuma identity
# costs the client's URI SANs and a few look-ups. A table answers only a check whose every fact the
# chain reads is the one it was worked out for; anything else goes the whole way (`decision`).
package kuma.authz.inbound

import data.kuma.authz.identity
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.rules
import data.kuma.compiled.meshes

# --- at check time ------------------------------------------------------------------------------

# The table's decision for this check, or undefined (then the chain decides). It holds only when the
# check is well formed as `request.well_formed` asks, its settings are exactly the table's (all the
# facts of the local side, none left to OPA's labels), and the client is verified as
# spiffe://<mesh>/<service> with no other service among its URI SANs: then the chain ends in
# `policy_outcome`, whose entries differ only by the other URI SANs (kuma://<key>/<value>) they need.
#
# Every read of the table goes by its whole data path (see `mtls` in inbound.rego): a table read as
# one value would be converted whole on every check.
table_decision := meshes[mesh].inbound.decision_tables[local][port].decisions[chosen] if {
	attributes := input.attributes
	settings := attributes.contextExtensions
	destination := object.get(attributes, "destination", {})
	is_string(object.get(destination, "principal", ""))
	is_string(object.get(attributes.source, "certificate", ""))
	mesh := settings["kuma.io/mesh"]
	local := settings["kuma.io/service"]
	port := format_int(destination.address.socketAddress.portValue, 10)
	meshes[mesh].inbound.decision_tables[local][port].settings == settings
	prefix := meshes[mesh].inbound.decision_tables[local][port].spiffe_prefix
	principal := attributes.source.principal
	startswith(principal, prefix)
	service := substring(principal, count(prefix), -1)
	service != ""
	not contains(service, "/")
	principal in table_uris
	sole_service(concat("", ["kuma://kuma.io/service/", service]))
	chosen := [candidate.decision |
		some candidate in table_candidates_for(mesh, local, port, service)
		every required in candidate.requires {
			required in table_uris
		}
	][0]
}

table_candidates_for(mesh, local, port, service) := candidates if {
	candidates := meshes[mesh].inbound.decision_tables[local][port].clients[service]
} else := meshes[mesh].inbound.decision_tables[local][port].others

# The client's URI SANs as kuma.authz.identity reads them, in the two forms a table answers for: the
# TLS session's text, or (no session value at all) the certificate. Not identity.peer_uris itself:
# that one takes a malformed session value (`invalid-input` for the chain) as absent.
table_uris := split(request.session_uri_sans, ",") if {
	is_string(request.session_uri_sans)
} else := uris if {
	not session_given
	uris := identity.peer_certificate.URIStrings
	is_array(uris)
}

# present, whatever its value (`false` included)
session_given if {
	_ = request.session_uri_sans
}

# No URI SAN adds a kuma.io/service but the principal's: the only SPIFFE ID is the principal (which
# is among them), and a kuma.io/service tag, if any, is its service. Counted in the joined text: a
# URI that starts so is one occurrence at least, so a count of one leaves no room for another.
sole_service(service_tag) if {
	strings.count(uris_text, "spiffe://") == 1
	service_tags_hold(uris_text, service_tag)
}

# The URI SANs as one text: the session's as Envoy wrote it, or the certificate's joined.
uris_text := request.session_uri_sans if {
	is_string(request.session_uri_sans)
} else := concat(",", table_uris)

service_tags_hold(text, _) if not contains(text, "kuma://kuma.io/service/")

service_tags_hold(text, service_tag) if {
	strings.count(text, "kuma://kuma.io/service/") == 1
	service_tag in table_uris
}

# --- at build time ------------------------------------------------------------------------------

# METADATA
# title: decision_table
# description: |
#   The decision table of the inbound the input's settings and destination port describe (no client
#   in the input), or undefined when a table cannot stand for the chain (docs/split.md). gen-bundle
#   asks it when it writes split bundles; every decision in it is `response.decision` of an outcome
#   the chain itself would reach.
# scope: document
# entrypoint: true
decision_table := {
	"settings": request.context_extensions,
	"spiffe_prefix": concat("", ["spiffe://", request.mesh, "/"]),
	"clients": {service: indexed(table_candidates(service)) | some service in table_services},
	"others": indexed(table_candidates(null)),
	"decisions": table_decisions,
} if {
	table_applies
}

# Each decision once; a candidate names its decision by its place in `decisions`.
table_decisions := [decision |
	some decision in {candidate.decision |
		some service in array.concat([null], [service | some service in table_services])
		some candidate in table_candidates(service)
	}
]

indexed(candidates) := [{"requires": candidate.requires, "decision": place} |
	some candidate in candidates
	some place, decision in table_decisions
	decision == candidate.decision
]

# Settings that OPA's labels would give when the check lacks them.
label_settings := {
	"kuma.io/mesh",
	"kuma.io/direction",
	"kuma.io/dataplane-name",
	"kuma.io/dataplane-namespace",
	"kuma.io/dataplane-labels",
}

# For a verified client the chain reaches `policy_outcome` (no early step decides), and every fact it
# reads of the local side is in the settings and the port.
table_applies if {
	valid
	mesh_known
	not contains(request.mesh, "/")
	not mtls_open
	not rules.decides
	request.direction == "inbound"
	count(request.context_extension_tags) > 0
	every key in label_settings {
		is_string(request.context_extensions[key])
	}
	is_number(request.destination.address.socketAddress.portValue)

	# the chain breaks a tie of ranks by the entries' order, which a table does not keep
	count({entry.rank | some entry in selecting_from_entries}) == count(selecting_from_entries)
}

mtls_open if {
	mtls == "disabled"
	not rules.workload_identity
}

# Every service the entries or the TrafficPermission's sources name: each gets its own list.
table_services contains service if {
	some entry in selecting_from_entries
	service := entry.client["kuma.io/service"]
}

table_services contains service if {
	some source in table_sources
	service := source["kuma.io/service"]
}

default table_sources := []

table_sources := meshes[request.mesh].inbound.traffic_permissions.sources[format_int(permission_winner.policy, 10)] if {
	not selected
	mtls != "disabled"
}

# What decides for a client whose one service is `service` (null: one no entry names), first match
# wins: the entries by rank, then what `policy_outcome` answers when none applies. The last
# candidate requires nothing, so a list always decides.
table_candidates(service) := pruned(array.concat(
	[candidate | some [_, candidate] in sort(ranked_candidates(service))],
	table_tail(service),
))

# What a check need not scan: the candidates after the first that requires nothing (never reached),
# and those before it that decide as it does with none between them deciding otherwise.
pruned(candidates) := [candidate |
	some place, candidate in reached
	not same_as_the_last(reached, place)
] if {
	reached := array.slice(candidates, 0, min({place | some place, c in candidates; c.requires == []}) + 1)
}

same_as_the_last(candidates, place) if {
	last := count(candidates) - 1
	place < last
	every later in numbers.range(place, last) {
		candidates[later].decision == candidates[last].decision
	}
}

ranked_candidates(service) := {[0 - entry.rank, candidate] |
	some entry in selecting_from_entries
	candidate := {
		"requires": required_uris(entry.client, service),
		"decision": response.decision("inbound", request.mesh, entry_outcome(entry)),
	}
}

table_tail(service) := [final(no_applicable_entry)] if {
	selected
} else := array.concat(
	[candidate |
		some source in table_sources
		candidate := {
			"requires": required_uris(source, service),
			"decision": response.decision("inbound", request.mesh, permission_outcome_of(admitted)),
		}
	],
	[final(permission_outcome_of({"allowed": false, "reason": "no-matching-rule"}))],
) if {
	mtls != "disabled"
	permission_winner
} else := [final({"allowed": false, "reason": "no-policy"})]

admitted := {"allowed": true, "reason": "allowed-by-policy"}

final(outcome) := {"requires": [], "decision": response.decision("inbound", request.mesh, outcome)}

# A client requirement as the URI SANs that carry it, for a client whose one service is `service`;
# undefined when it cannot hold for such a client. kuma://<key>/<value> gives the pair (key, value)
# exactly when the value is not empty and has no "/" (identity.kuma_tag).
required_uris(requirement, service) := [concat("", ["kuma://", key, "/", value]) |
	some key, value in requirement
	key != "kuma.io/service"
] if {
	service_holds(requirement, service)
	every key, value in requirement {
		uri_pair(key, value)
	}
}

service_holds(requirement, _) if not "kuma.io/service" in object.keys(requirement)

service_holds(requirement, service) if requirement["kuma.io/service"] == service

uri_pair("kuma.io/service", _)

uri_pair(key, value) if {
	key != "kuma.io/service"
	key != ""
	is_string(value)
	value != ""
	not contains(value, "/")
}
