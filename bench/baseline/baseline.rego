# METADATA
# title: Baseline MeshTrafficPermission decision, written the straightforward way
# description: |
#   What a Rego author would write first: iterate over every MeshTrafficPermission as it was
#   written (Kubernetes form, JSON in data.baseline.policies), keep those whose targetRef selects
#   the local inbound, iterate over their `from` entries, keep the entries whose targetRef the
#   client matches, and let the highest-precedence entry decide (targetRef kind, origin, role,
#   display name descending, then `from` order: the last applicable entry wins).
#   Identity comes from the same request normalisation and client identity as the gen-bundle library
#   (data.kuma.authz.request, data.kuma.authz.identity), so the two differ only in how they find the
#   deciding entry.
#   Benchmark only: not shipped, not part of the decision API.
package baseline

import data.kuma.authz.identity
import data.kuma.authz.request

system_namespaces := {"kuma-system", "kong-mesh-system"}

kind_level := {"Mesh": 1, "MeshSubset": 3, "MeshService": 5, "MeshServiceSubset": 8}

origin_level := {"global": 0, "zone": 2}

local := request.local_tags

client := identity.tags

# --- what a targetRef requires ------------------------------------------------------------------

required(ref) := {} if ref.kind == "Mesh"

required(ref) := object.get(ref, "tags", {}) if ref.kind == "MeshSubset"

required(ref) := {"kuma.io/service": ref.name} if ref.kind == "MeshService"

required(ref) := object.union(object.get(ref, "tags", {}), {"kuma.io/service": ref.name}) if {
	ref.kind == "MeshServiceSubset"
}

top_ref(policy) := object.get(policy.spec, "targetRef", {"kind": "Mesh"})

labels(policy) := object.get(policy.metadata, "labels", {})

namespace(policy) := object.get(policy.metadata, "namespace", "kuma-system")

display_name(policy) := object.get(labels(policy), "kuma.io/display-name", policy.metadata.name)

role(policy) := 0 if namespace(policy) in system_namespaces

role(policy) := 3 if not namespace(policy) in system_namespaces

origin(policy) := object.get(origin_level, object.get(labels(policy), "kuma.io/origin", ""), 1)

# --- selection of the local inbound ---------------------------------------------------------------

local_holds(key, "*") if local[key]

local_holds(key, value) if local[key] == value

zone_ok(policy) if origin(policy) != 2

zone_ok(_) if not local["kuma.io/zone"]

zone_ok(policy) if labels(policy)["kuma.io/zone"] == local["kuma.io/zone"]

namespace_ok(policy) if role(policy) == 0

namespace_ok(policy) if local["k8s.kuma.io/namespace"] == namespace(policy)

selects(policy) if {
	labels(policy)["kuma.io/mesh"] == request.mesh
	every key, value in required(top_ref(policy)) {
		local_holds(key, value)
	}
	namespace_ok(policy)
	zone_ok(policy)
}

# --- applicable entries and the winner ----------------------------------------------------------

client_holds(required_tags) if {
	every key, value in required_tags {
		value in client[key]
	}
}

applicable contains entry_key if {
	some policy in data.baseline.policies
	selects(policy)
	some index, entry in policy.spec.from
	client_holds(required(entry.targetRef))
	entry_key := [
		kind_level[top_ref(policy).kind], origin(policy), role(policy), display_name(policy),
		index, entry["default"].action,
	]
}

top := max({[e[0], e[1], e[2]] | some e in applicable})

tied := [e | some e in applicable; [e[0], e[1], e[2]] == top]

# display name descending: the smallest name is applied last and wins; then the last entry
winner_name := min({e[3] | some e in tied})

winner_index := max({e[4] | some e in tied; e[3] == winner_name})

winner := [e | some e in tied; e[3] == winner_name; e[4] == winner_index][0]

# the precedence key of each policy that selects the inbound, as an entry's (no index or action)
selecting contains [kind_level[top_ref(policy).kind], origin(policy), role(policy), display_name(policy)] if {
	some policy in data.baseline.policies
	selects(policy)
}

selected if count(selecting) > 0

top_selecting := max({[s[0], s[1], s[2]] | some s in selecting})

# a denial no entry decides names the selecting policy applied last (display name descending)
named := min({s[3] | some s in selecting; [s[0], s[1], s[2]] == top_selecting})

outcomes := {
	"Allow": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": false},
	"AllowWithShadowDeny": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true},
	"Deny": {"allowed": false, "reason": "denied-by-policy", "shadow_deny": false},
}

default decision := {"allowed": false, "reason": "no-policy", "shadow_deny": false}

decision := {"allowed": false, "reason": "invalid-input", "shadow_deny": false} if {
	identity.status != "verified"
} else := object.union(outcomes[winner[5]], {"policy": winner[3]}) if {
	winner
} else := {"allowed": false, "reason": "no-matching-rule", "shadow_deny": false, "policy": named} if {
	selected
}
