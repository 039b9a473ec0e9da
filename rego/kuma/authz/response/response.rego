# METADATA
# title: Decision object
# description: |
#   Builds the object OPA-Envoy turns into a CheckResponse, the same for both directions.
#   An outcome is {"allowed": bool, "reason": code} plus, when a policy entry decided,
#   "policy": {"kind", "mesh", "name", ["namespace",] "entry"} and "shadow_deny": bool.
#   Every function here is total on such outcomes.
package kuma.authz.response

# decision(direction, mesh, outcome): allowed, headers, dynamic_metadata, and on allow
# response_headers_to_add, on deny http_status and body. Each shape is written out whole: every
# builtin call and partial object costs the hot path (docs/benchmarks.md).
decision(direction, mesh, outcome) := {
	"allowed": true,
	"headers": hs,
	"response_headers_to_add": hs,
	"dynamic_metadata": metadata(direction, mesh, outcome),
} if {
	# anything but a literal true denies
	outcome.allowed == true
	hs := headers("allow", outcome)
} else := {
	"allowed": false,
	"headers": headers("deny", outcome),
	"http_status": 403,
	"body": body(outcome),
	"dynamic_metadata": metadata(direction, mesh, outcome),
}

# Header values must be strings for OPA-Envoy.
headers(word, outcome) := {
	"x-kuma-authz-decision": word,
	"x-kuma-authz-reason": outcome.reason,
	"x-kuma-authz-policy": concat("/", [outcome.policy.kind, policy_path(outcome.policy)]),
} if {
	outcome.policy
} else := {
	"x-kuma-authz-decision": word,
	"x-kuma-authz-reason": outcome.reason,
}

metadata(direction, mesh, outcome) := object.union(
	{
		"reason": outcome.reason,
		"direction": direction,
		"mesh": mesh,
		"shadow_deny": object.get(outcome, "shadow_deny", false) == true,
	},
	object.filter(outcome, {"policy", "match", "rule"}),
)

body(outcome) := sprintf("kuma: denied (%s) by %s %s", [
	outcome.reason,
	outcome.policy.kind,
	policy_path(outcome.policy),
]) if {
	outcome.policy
} else := sprintf("kuma: denied (%s)", [outcome.reason])

# <mesh>/<name>, or <mesh>/<namespace>/<name> for a policy that lives in a Kubernetes namespace
policy_path(policy) := concat("/", [policy.mesh, policy.namespace, policy.name]) if {
	policy.namespace != ""
} else := concat("/", [policy.mesh, policy.name])

# reference(policy): how an outcome names an element of a mesh's compiled `policies` table
# (docs/data-shape.md); undefined for malformed data, so the outcome then names no policy.
reference(policy) := object.filter(policy, {"kind", "mesh", "name", "namespace", "kri"}) if {
	is_string(policy.kind)
	is_string(policy.mesh)
	is_string(policy.name)
}
