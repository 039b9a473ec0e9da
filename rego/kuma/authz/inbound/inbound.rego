# METADATA
# title: Inbound decision
# description: |
#   A client calls a service whose proxy runs the check. Spec A2-A5: mTLS mode first, then the
#   MeshTrafficPermission `from` entries of the compiled data (docs/data-shape.md), found by key
#   look-ups only; the applicable entry with the highest rank decides. An inbound that no
#   MeshTrafficPermission selects falls to its legacy TrafficPermission (spec A6).
package kuma.authz.inbound

import data.kuma.authz.identity
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.rules
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

# A split bundle's decision table answers most checks of its own inbounds (decision_table.rego); the
# chain below answers every check.
decision := table_decision if {
	table_decision
} else := response.decision("inbound", request.mesh, outcome)

# --- the ordered chain: the first branch that holds decides -------------------------------------

default outcome := {"allowed": false, "reason": "invalid-input"}

outcome := {"allowed": false, "reason": "invalid-input"} if {
	not valid
} else := {"allowed": false, "reason": "unknown-mesh"} if {
	not mesh_known
} else := {"allowed": true, "reason": "mtls-disabled"} if {
	# a workload identity (MeshIdentity) brings mTLS and rules with it, whatever the Mesh says
	mtls == "disabled"
	not rules.workload_identity
} else := {"allowed": true, "reason": "permissive-plaintext"} if {
	# only the mesh-mTLS filter chain carries RBAC (spec B §5.6)
	identity.status == "none"
	mtls == "permissive"
	not rules.workload_identity
} else := rules.outcome if {
	rules.decides
} else := {"allowed": false, "reason": "no-identity"} if {
	# strict, and any unknown mode (fail closed)
	identity.status == "none"
} else := {"allowed": false, "reason": "foreign-identity"} if {
	identity.status == "foreign"
} else := {"allowed": false, "reason": "invalid-input"} if {
	identity.status != "verified"
} else := policy_outcome if {
	identity.status == "verified"
}

# An inbound check needs a well-formed input and the local inbound's kuma.io/service tag, or the
# local Dataplane's name or labels (what Dataplane targetRefs and MeshIdentity select by).
valid if {
	request.well_formed
	local_known
}

local_known if is_string(request.local_service)

local_known if request.dataplane_name != ""

local_known if count(request.dataplane_labels) > 0

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

# Per inbound, a MeshTrafficPermission that selects it replaces any TrafficPermission (spec A6). An
# applicable entry carries its policy's selection, so its policy selects the inbound: only without
# one does the (costlier) `selected` need asking.
policy_outcome := mesh_permission_outcome if {
	winner
} else := no_applicable_entry if {
	selected
} else := permission_outcome if {
	# Kuma adds TrafficPermission's RBAC only with mesh mTLS on (a workload identity alone brings
	# MeshTrafficPermission, not TrafficPermission: spec B §5.5)
	mtls != "disabled"
	permission_winner
}

default mesh_permission_outcome := {"allowed": false, "reason": "no-matching-rule"}

mesh_permission_outcome := entry_outcome(winner)

action_outcomes := {
	"Allow": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": false},
	"AllowWithShadowDeny": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true},
	"Deny": {"allowed": false, "reason": "denied-by-policy", "shadow_deny": false},
}

# The outcome when `entry` is the applicable entry of the highest rank; the decision tables
# (decision_table.rego) use it too. An action this library does not know denies (fail closed). It
# reads one element of the policies array (see `mtls` above on why this matters).
entry_outcome(entry) := object.union(action, {"policy": object.union(reference, {"entry": entry.entry})}) if {
	action := object.get(action_outcomes, entry.action, action_outcomes.Deny)
	reference := response.reference(meshes[request.mesh].policies[entry.policy])
} else := object.get(action_outcomes, entry.action, action_outcomes.Deny)

# First level: the slots for policies that select every inbound, by one tag of the local inbound,
# by one label or the name of the local Dataplane (tags.reached).
local_buckets := tags.reached("from")

# Second level, inside each: entries for any client, plus one list per (key, value) of the client.
candidates contains entry if {
	some bucket in local_buckets
	some entry in bucket.any
}

candidates contains entry if {
	some bucket in local_buckets
	some [key, value] in identity.pairs
	some entry in bucket.by_pair[key][value]
}

applicable contains entry if {
	some entry in candidates
	tags.client_pairs_hold(object.get(entry, "client", {}), identity.pairs)
	tags.selects(entry, request.local_tags)
}

best_rank := max({entry.rank | some entry in applicable})

# Ranks are unique in a mesh; taking the first of the (sorted) set keeps the rule defined even
# if broken data repeated a rank.
winner := [entry | some entry in applicable; entry.rank == best_rank][0]

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
	tags.client_pairs_hold(source, identity.pairs)
}

default permission_verdict := {"allowed": false, "reason": "no-matching-rule"}

permission_verdict := {"allowed": true, "reason": "allowed-by-policy"} if permission_admits

permission_outcome := permission_outcome_of(permission_verdict)

# A verdict of the TrafficPermission in force, naming it.
permission_outcome_of(verdict) := object.union(verdict, {"policy": reference}) if {
	reference := response.reference(meshes[request.mesh].policies[permission_winner.policy])
} else := verdict

# Does any MeshTrafficPermission with `from` select the local inbound? (no-matching-rule vs no-policy)
selected if is_number(selecting_policy)

# No entry applies, yet MeshTrafficPermissions select the inbound: the denial names the one of the
# highest precedence (Kuma applies its entries last, so an entry added there wins).
default no_applicable_entry := {"allowed": false, "reason": "no-matching-rule"}

no_applicable_entry := {"allowed": false, "reason": "no-matching-rule", "policy": reference} if {
	reference := response.reference(meshes[request.mesh].policies[selecting_policy])
}

# The highest number among the MeshTrafficPermissions with `from` that select the local inbound (-1
# for a record without one: broken data still selects, and names none); undefined when none does.
# One walk of the slots answers `selected` and the policy a no-matching-rule names.
selecting_policy := max({object.get(record, "policy", -1) |
	some bucket in tags.reached("from_policies")
	some record in bucket
	tags.selects(record, request.local_tags)
})
