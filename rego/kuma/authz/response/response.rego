# METADATA
# title: Decision object
# description: |
#   Builds the object OPA-Envoy turns into a CheckResponse, the same for both directions.
#   An outcome is {"allowed": bool, "reason": code} plus, when a policy entry decided,
#   "policy": {"kind", "mesh", "name", ["namespace",] "entry"} and "shadow_deny": bool.
#   Every function here is total on such outcomes.
package kuma.authz.response

# decision(direction, mesh, outcome): allowed, headers, dynamic_metadata, and on allow
# response_headers_to_add, on deny http_status and body.
decision(direction, mesh, outcome) := object.union(
	{
		"allowed": allowed,
		"headers": hs,
		"dynamic_metadata": metadata(direction, mesh, outcome),
	},
	verdict_fields(allowed, hs, outcome),
) if {
	# anything but a literal true denies
	allowed := outcome.allowed == true
	hs := headers(allowed, outcome)
}

verdict_fields(true, hs, _) := {"response_headers_to_add": hs}

verdict_fields(false, _, outcome) := {"http_status": 403, "body": body(outcome)}

# Header values must be strings for OPA-Envoy.
headers(allowed, outcome) := object.union(
	{
		"x-kuma-authz-decision": verdict_word(allowed),
		"x-kuma-authz-reason": outcome.reason,
	},
	policy_header(outcome),
)

verdict_word(true) := "allow"

verdict_word(false) := "deny"

policy_header(outcome) := {"x-kuma-authz-policy": sprintf("%s/%s", [outcome.policy.kind, policy_path(outcome.policy)])}

policy_header(outcome) := {} if not outcome.policy

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
])

body(outcome) := sprintf("kuma: denied (%s)", [outcome.reason]) if not outcome.policy

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
