# METADATA
# title: Inbound decision
# description: |
#   A client calls a service whose proxy runs the check. Spec A2-A5: mTLS mode first, then the
#   MeshTrafficPermission `from` entries of the compiled data (docs/data-shape.md), found by key
#   look-ups only; the applicable entry with the highest rank decides. An inbound that no
#   MeshTrafficPermission selects falls to its legacy TrafficPermission (spec A6).
package kuma.authz.inbound

import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.tags
import data.kuma.compiled.meshes

# METADATA
# title: allow
# description: Whether the inbound request may pass. Always defined.
# scope: document
# entrypoint: true
default allow := false

allow := decision.allowed

# METADATA
# title: decision
# description: The OPA-Envoy decision object (docs/decision-api.md). Always defined.
# scope: document
# entrypoint: true
default decision := {
	"allowed": false,
	"http_status": 403,
	"body": "kuma: denied (invalid-input)",
	"headers": {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "invalid-input"},
	"dynamic_metadata": {"reason": "invalid-input", "direction": "inbound", "mesh": "", "shadow_deny": false},
}

decision := response.decision("inbound", request.mesh, outcome)

# --- the ordered chain: the first branch that holds decides -------------------------------------

default outcome := {"allowed": false, "reason": "invalid-input"}

outcome := {"allowed": false, "reason": "invalid-input"} if {
	not valid
} else := {"allowed": false, "reason": "unknown-mesh"} if {
	not mesh_known
} else := {"allowed": true, "reason": "mtls-disabled"} if {
	mtls == "disabled"
} else := {"allowed": true, "reason": "permissive-plaintext"} if {
	request.client.status == "none"
	mtls == "permissive"
} else := {"allowed": false, "reason": "no-identity"} if {
	# strict, and any unknown mode (fail closed)
	request.client.status == "none"
} else := {"allowed": false, "reason": "foreign-identity"} if {
	request.client.status == "foreign"
} else := {"allowed": false, "reason": "invalid-input"} if {
	request.client.status != "verified"
} else := policy_outcome if {
	request.client.status == "verified"
}

# An inbound check needs a well-formed input and the local kuma.io/service tag.
valid if {
	request.well_formed
	is_string(request.local_service)
}

# Every look-up goes straight into `data` (meshes[request.mesh].<path>), never through a rule that
# holds a whole mesh document: OPA would then convert that document's arrays (`policies`) in full
# on the first read below it, milliseconds per check for a few thousand policies. Every mesh
# document has `mtls` (docs/data-shape.md), so it also says whether the mesh is known.
mtls := meshes[request.mesh].mtls

# A rule, not `not is_string(mtls)` in the chain: OPA evaluates `not f(x)` as `t = x; not f(t)`,
# so it is undefined, not true, when x is undefined (open-policy-agent/opa#1877).
mesh_known if is_string(mtls)

# --- permissions --------------------------------------------------------------------------------

default policy_outcome := {"allowed": false, "reason": "no-policy"}

# Per inbound, a MeshTrafficPermission that selects it replaces any TrafficPermission (spec A6).
policy_outcome := mesh_permission_outcome if {
	selected
} else := permission_outcome if {
	permission_winner
}

default mesh_permission_outcome := {"allowed": false, "reason": "no-matching-rule"}

mesh_permission_outcome := object.union(action_outcome, {"policy": winner_policy}) if {
	winner_policy
} else := action_outcome if {
	winner
}

action_outcomes := {
	"Allow": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": false},
	"AllowWithShadowDeny": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true},
	"Deny": {"allowed": false, "reason": "denied-by-policy", "shadow_deny": false},
}

# An action this library does not know denies (fail closed).
action_outcome := object.get(action_outcomes, winner.action, action_outcomes.Deny)

# First level: the bucket for policies that select every inbound, plus one bucket per tag of the
# local inbound. An array, so that the buckets are not hashed into a set.
local_buckets := array.concat(
	[bucket | bucket := meshes[request.mesh].inbound.from.any],
	[bucket |
		some key, value in request.local_tags
		bucket := meshes[request.mesh].inbound.from.by_pair[key][value]
	],
)

# Second level, inside each: entries for any client, plus one list per (key, value) of the client.
candidates contains entry if {
	some bucket in local_buckets
	some entry in bucket.any
}

candidates contains entry if {
	some bucket in local_buckets
	some key, values in request.client.tags
	some value in values
	some entry in bucket.by_pair[key][value]
}

applicable contains entry if {
	some entry in candidates
	tags.local_pairs_hold(object.get(entry, "inbound", {}), request.local_tags)
	tags.client_pairs_hold(object.get(entry, "client", {}), request.client.tags)
	tags.zone_holds(entry, request.local_tags)
}

best_rank := max({entry.rank | some entry in applicable})

# Ranks are unique in a mesh; taking the first of the (sorted) set keeps the rule defined even
# if broken data repeated a rank.
winner := [entry | some entry in applicable; entry.rank == best_rank][0]

# Reads one element of the policies array (see `mtls` above on why this matters).
winner_policy := object.union(reference, {"entry": winner.entry}) if {
	reference := response.reference(meshes[request.mesh].policies[winner.policy])
}

# --- legacy TrafficPermission (spec A6, B §6.2 - 6.3) ----------------------------------------------

# Destination selectors reached by key; the applicable one with the highest priority picks the
# TrafficPermission in force (more tags, more exact values, newest, first name: compiled).
permission_candidates contains record if {
	some record in meshes[request.mesh].inbound.traffic_permissions.select.any
	tags.local_pairs_hold(object.get(record, "inbound", {}), request.local_tags)
}

permission_candidates contains record if {
	some key, value in request.local_tags
	some record in meshes[request.mesh].inbound.traffic_permissions.select.by_pair[key][value]
	tags.local_pairs_hold(object.get(record, "inbound", {}), request.local_tags)
}

permission_best := max({record.priority | some record in permission_candidates})

permission_winner := [record | some record in permission_candidates; record.priority == permission_best][0]

# Sources are ORed, the tags of one source ANDed; "*" values were dropped by the compiler.
permission_admits if {
	sources := meshes[request.mesh].inbound.traffic_permissions.sources[format_int(permission_winner.policy, 10)]
	some source in sources
	tags.client_pairs_hold(source, request.client.tags)
}

default permission_verdict := {"allowed": false, "reason": "no-matching-rule"}

permission_verdict := {"allowed": true, "reason": "allowed-by-policy"} if permission_admits

permission_outcome := object.union(permission_verdict, {"policy": reference}) if {
	reference := response.reference(meshes[request.mesh].policies[permission_winner.policy])
} else := permission_verdict

# Does any MeshTrafficPermission select the local inbound? (no-matching-rule vs no-policy)
selected if {
	some record in meshes[request.mesh].inbound.selects.any
	tags.selects(record, request.local_tags)
}

selected if {
	some key, value in request.local_tags
	some record in meshes[request.mesh].inbound.selects.by_pair[key][value]
	tags.selects(record, request.local_tags)
}
