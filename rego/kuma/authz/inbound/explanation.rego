# Inbound explanation (docs/explain.md): why the inbound decision is what it is: the decision,
# the step of the chain that made it, and every policy entry that selected the local inbound with
# why it decided or did not. `decision` never reads it; it walks every entry of the slots the local
# side reaches (and of the other meshes), so it is for operators and `gen-bundle explain`, not for
# every request.
package kuma.authz.inbound

import data.kuma.authz.identity
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.rules
import data.kuma.authz.tags
import data.kuma.compiled.meshes

# METADATA
# title: explanation
# description: The decision with its reasons (docs/explain.md). Always defined.
# scope: document
# entrypoint: true
explanation := {
	"decision": decision,
	"step": step,
	"mesh": request.mesh,
	"local": {
		"tags": request.local_tags,
		"dataplane": {
			"name": request.dataplane_name,
			"namespace": request.dataplane_namespace,
			"labels": request.dataplane_labels,
		},
	},
	"client": {
		"status": identity.status,
		"principal": object.get(identity.client, "principal", ""),
		"tags": identity.tags,
		"uri_san": identity.uri_san,
		"sni": request.server_name,
	},
	"entries": [item | some [_, item] in sort(explained)],
	"no_match_policy": no_match_policy,
}

# METADATA
# title: selection
# description: |
#   What decides the inbound for any client: the step of the chain, the entries of the local mesh
#   that select the inbound, as in `explanation` but without the verdicts, which are the client's,
#   and the policy a client no entry applies to is denied by (`no_match_policy`, null for none).
#   gen-bundle diff compares two bundles' selections. Always defined.
# scope: document
# entrypoint: true
selection := {
	"step": step,
	"entries": [item | some [_, item] in sort(selection_entries)],
	"no_match_policy": no_match_policy,
}

# The policy a `no-matching-rule` denial names at this inbound, whoever the client (docs/decision-api.md).
default no_match_policy := null

no_match_policy := policy if {
	step == "rules"
	policy := rules.no_matching_rule.policy
} else := policy if {
	step == "from"
	policy := no_applicable_entry.policy
} else := policy if {
	step == "traffic-permission"
	policy := response.reference(meshes[request.mesh].policies[permission_winner.policy])
}

selection_entries contains [[0, request.mesh, entry.policy, entry.entry], from_record(entry, request.mesh)] if {
	some entry in selecting_from_entries
}

selection_entries contains [[1, request.mesh, record.policy, record.order], rule_record(record)] if {
	some record in rule_records
}

selection_entries contains [[2, request.mesh, record.policy, 0], permission_record(record)] if {
	some record in permission_candidates
}

# Which step of `outcome`'s chain decided: the input, the mesh's mTLS, rules[], the client's
# identity, from[], TrafficPermission, or none (no policy selects the inbound).
default step := "none"

step := "input" if {
	outcome.reason in {"invalid-input", "unknown-mesh"}
} else := "mtls" if {
	outcome.reason in {"mtls-disabled", "permissive-plaintext"}
} else := "rules" if {
	rules.decides
} else := "identity" if {
	outcome.reason in {"no-identity", "foreign-identity"}
} else := "from" if {
	selected
} else := "traffic-permission" if {
	permission_winner
}

# Steps that decide before any policy is read.
early_steps := {"input", "mtls", "identity"}

# Each explained entry, keyed for a stable order: kind, mesh, policy index, entry or match.
explained contains [[0, request.mesh, entry.policy, entry.entry], explain_from(entry, request.mesh)] if {
	some entry in selecting_from_entries
}

explained contains [[1, request.mesh, record.policy, record.order], explain_rule(record)] if {
	some record in rule_records
}

explained contains [[2, request.mesh, record.policy, 0], explain_permission(record)] if {
	some record in permission_candidates
}

explained contains [[3, mesh, entry.policy, entry.entry], explain_from(entry, mesh)] if {
	some [mesh, entry] in other_mesh_entries
}

# --- from[] -------------------------------------------------------------------------------------

# Each with the whole requirement on the client: an entry filed under a client pair keeps only the
# rest of its requirements in `client` (docs/data-shape.md).
selecting_from_entries contains entry if {
	some bucket in local_buckets
	some entry in from_entries(bucket)
	tags.selects(entry, request.local_tags)
}

from_entries(bucket) := array.concat(bucket.any, [object.union(entry, {"client": requirement}) |
	some key, values in bucket.by_pair
	some value, entries in values
	some entry in entries
	requirement := object.union(object.get(entry, "client", {}), {key: value})
])

explain_from(entry, mesh) := object.union(from_record(entry, mesh), from_verdict(entry, mesh))

from_record(entry, mesh) := {
	"kind": "from",
	"policy": policy_reference(mesh, entry.policy),
	"entry": entry.entry,
	"rank": entry.rank,
	"action": entry.action,
	"client": object.get(entry, "client", {}),
}

from_verdict(entry, mesh) := verdict("other-mesh", why) if {
	mesh != request.mesh
	why := sprintf("the policy is of mesh %q; the proxy is in mesh %q", [mesh, request.mesh])
} else := verdict("dropped", why) if {
	step == "rules"
	why := sprintf("rules[] decide this inbound (%s): Kuma ignores its from[] policies", [rules_cause])
} else := verdict("not-reached", early_why) if {
	step in early_steps
} else := verdict("client-mismatch", why) if {
	missing := missing_client_pairs(entry)
	count(missing) > 0
	why := sprintf("the client does not have %s", [concat(", ", missing)])
} else := verdict("decided", "the applicable entry of the highest precedence") if {
	entry.rank == best_rank
} else := verdict("lower-precedence", why) if {
	why := sprintf("%s from[%d] applies too and takes precedence", [winner_name, winner.entry])
}

early_why := sprintf("decided before any policy: %s", [outcome.reason])

missing_client_pairs(entry) := sort([sprintf("%s=%s", [key, value]) |
	some key, value in object.get(entry, "client", {})
	not [key, value] in identity.pairs
])

winner_name := policy_name(policy_reference(request.mesh, winner.policy))

default rules_cause := "the proxy has a workload identity"

rules_cause := sprintf("%s selects it", [name]) if {
	count(rules.selecting_policies) > 0
	name := policy_name(policy_reference(request.mesh, min(rules.selecting_policies)))
} else := sprintf("the proxy has a workload identity from %s", [name]) if {
	name := policy_name(policy_reference(request.mesh, rules.workload_identity.policy))
}

# The from[] entries of every other mesh that would select the same inbound.
other_mesh_entries contains [mesh, entry] if {
	some mesh in object.keys(meshes)
	mesh != request.mesh
	some bucket in tags.reached_in(mesh, "from")
	some entry in from_entries(bucket)
	tags.selects(entry, request.local_tags)
}

# --- rules[] ------------------------------------------------------------------------------------

# The walks below visit every match of the mesh: only an inbound that rules policies select has
# records to explain, and most inbounds have none (milliseconds per explanation otherwise).
rules_select if count(rules.selecting_policies) > 0

rule_records contains record if {
	rules_select
	some records in meshes[request.mesh].inbound.rules.exact
	some record in records
	record.policy in rules.selecting_policies
}

rule_records contains record if {
	rules_select
	some records in meshes[request.mesh].inbound.rules.prefix.by_value
	some record in records
	record.policy in rules.selecting_policies
}

rule_records contains record if {
	rules_select
	some records in meshes[request.mesh].inbound.rules.sni
	some record in records
	record.policy in rules.selecting_policies
}

explain_rule(record) := object.union(rule_record(record), rule_verdict(record))

rule_record(record) := {
	"kind": "rules",
	"policy": object.union(policy_reference(request.mesh, record.policy), {"rule": record.rule}),
	"order": record.order,
	"action": record.action,
	"match": object.filter(record, {"spiffe", "sni"}),
}

rule_verdict(record) := verdict("not-reached", early_why) if {
	step != "rules"
} else := verdict("decided", "the first match in Envoy's matcher order") if {
	record.order == rules.first_order
} else := verdict("lower-precedence", why) if {
	record in rules.matching
	why := sprintf("an earlier match (%s) decided", [policy_name(policy_reference(request.mesh, rules.winner.policy))])
} else := verdict("client-mismatch", rule_mismatch(record))

rule_mismatch(record) := sprintf("spiffeID %s %q does not hold for the client's URI SAN %q", [
	record.spiffe.type,
	record.spiffe.value,
	identity.uri_san,
]) if {
	not rules.spiffe_holds(object.get(record, "spiffe", null))
} else := sprintf("sni %q is not the TLS server name %q", [record.sni, request.server_name])

# --- TrafficPermission --------------------------------------------------------------------------

explain_permission(record) := object.union(permission_record(record), permission_verdict_of(record))

permission_record(record) := {
	"kind": "traffic-permission",
	"policy": policy_reference(request.mesh, record.policy),
	"priority": record.priority,
	"sources": object.get(meshes[request.mesh].inbound.traffic_permissions.sources, format_int(record.policy, 10), []),
}

permission_verdict_of(record) := verdict("dropped", why) if {
	step == "rules"
	why := sprintf("rules[] decide this inbound (%s)", [rules_cause])
} else := verdict("not-reached", early_why) if {
	step in early_steps
} else := verdict("dropped", "from[] MeshTrafficPermissions select the inbound and replace TrafficPermission") if {
	selected
} else := verdict("not-reached", "the mesh has mTLS disabled; Kuma applies TrafficPermission only with mTLS") if {
	mtls == "disabled"
} else := verdict("decided", "its sources admit the client") if {
	record.policy == permission_winner.policy
	permission_admits
} else := verdict("decided", "the TrafficPermission in force; none of its sources matches the client") if {
	record.policy == permission_winner.policy
} else := verdict("lower-precedence", why) if {
	name := policy_name(policy_reference(request.mesh, permission_winner.policy))
	why := sprintf("TrafficPermission %s selects the inbound more specifically", [name])
}

# --- helpers ------------------------------------------------------------------------------------

verdict(status, why) := {"status": status, "why": why}

policy_reference(mesh, index) := object.union(reference, {"index": index}) if {
	reference := response.reference(meshes[mesh].policies[index])
} else := {"index": index}

policy_name(reference) := sprintf("%s %s", [reference.kind, response.policy_path(reference)]) if {
	reference.kind
} else := sprintf("policy #%d", [reference.index])
