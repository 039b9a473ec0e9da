# METADATA
# title: MeshTrafficPermission rules[] and workload identity
# description: |
#   Kuma 2.12+ (spec B §5.4 - 5.5): which inbounds `rules` decide, and how. The matches of the
#   policies that select the inbound form one list in Envoy's matcher order, first match wins, no
#   match denies ("default"); the compiler numbered every match in that order (`order`), so the
#   matching record with the lowest order decides. Matches are reached by key only
#   (docs/data-shape.md): an Exact SPIFFE ID by the client's URI SANs, a Prefix by the client's
#   string cut at each length a Prefix has, an SNI-only match by the server name.
package kuma.authz.rules

import data.kuma.authz.identity
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.tags
import data.kuma.compiled

# The rules policies (by index in the mesh's table) that select the local inbound.
selecting_policies contains record.policy if {
	some bucket in tags.reached("rules_policies")
	some record in bucket
	tags.selects(record, request.local_tags)
}

# The MeshIdentity that gives the local proxy its workload identity: the best selecting one (the
# compiler ranked them: most matchLabels, then the lowest name).
identity_candidates contains record if {
	some record in compiled.meshes[request.mesh].inbound.identities.selectors
	tags.labels_hold(record.labels)
}

identity_rank := min({record.rank | some record in identity_candidates})

workload_identity := [record | some record in identity_candidates; record.rank == identity_rank][0]

# Kuma 2.14+: a proxy with a workload identity is decided by rules only, even with none selecting
# it (then nothing matches: deny). 2.12 - 2.13: only an inbound that some rules policy selects.
default decides := false

decides if count(selecting_policies) > 0

decides if {
	compiled.semantics.identity_selects_rules == true
	workload_identity
}

# --- the matches the client reaches ------------------------------------------------------------------

candidates contains record if {
	identity.uri_san != ""
	some record in compiled.meshes[request.mesh].inbound.rules.exact[identity.uri_san]
}

# A Prefix is found by the client's string cut at each length some Prefix of the mesh has.
candidates contains record if {
	some length in compiled.meshes[request.mesh].inbound.rules.prefix.lengths
	length <= count(identity.uri_san)
	some record in compiled.meshes[request.mesh].inbound.rules.prefix.by_value[substring(identity.uri_san, 0, length)]
}

candidates contains record if {
	request.server_name != ""
	some record in compiled.meshes[request.mesh].inbound.rules.sni[request.server_name]
}

# A match holds when each of its parts does (spiffeID and sni are ANDed).
matching contains record if {
	some record in candidates
	record.policy in selecting_policies
	spiffe_holds(object.get(record, "spiffe", null))
	sni_holds(object.get(record, "sni", null))
}

spiffe_holds(null)

spiffe_holds(matcher) if {
	matcher.type == "Exact"
	identity.uri_san == matcher.value
}

# A raw string prefix, as Envoy's string matcher compares: not at a path-segment boundary.
spiffe_holds(matcher) if {
	matcher.type == "Prefix"
	identity.uri_san != ""
	startswith(identity.uri_san, matcher.value)
}

sni_holds(null)

sni_holds(name) if name == request.server_name

first_order := min({record.order | some record in matching})

winner := [record | some record in matching; record.order == first_order][0]

# --- the outcome ---------------------------------------------------------------------------------------

verdicts := {
	"Allow": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": false},
	"AllowWithShadowDeny": {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true},
	"Deny": {"allowed": false, "reason": "denied-by-policy", "shadow_deny": false},
}

# `rule` is the name Envoy's RBAC gives the matcher that decided (rbac_access_denied_matched_policy
# in its logs): the deciding policy's KRI, or "default" when nothing matched.
default outcome := {"allowed": false, "reason": "no-policy", "rule": "default"}

outcome := {"allowed": false, "reason": "no-identity", "rule": "default"} if {
	not identity.principal
} else := {"allowed": false, "reason": "invalid-input", "rule": "default"} if {
	identity.peer_uris_given
	not identity.certificate_ok
} else := object.union_n([object.get(verdicts, winner.action, verdicts.Deny), decided_by(winner), shadow_fields]) if {
	winner
} else := no_matching_rule if {
	count(selecting_policies) > 0
}

# Nothing matched, yet rules policies select the inbound: the denial names the one of the highest
# precedence, as from[] does (Envoy's RBAC itself names only its `default`).
default no_matching_rule := {"allowed": false, "reason": "no-matching-rule", "rule": "default"}

no_matching_rule := {
	"allowed": false,
	"reason": "no-matching-rule",
	"rule": "default",
	"policy": reference,
} if {
	reference := response.reference(compiled.meshes[request.mesh].policies[max(selecting_policies)])
}

# Kuma's shadow matcher is every allowWithShadowDeny list of the selecting policies, apart from the
# enforcing matcher, in which allow and allowWithShadowDeny share one matcher per policy: a shadow
# match that holds marks an allowed request shadow-denied whichever match decided (spec A1).
default shadow_fields := {}

shadow_fields := {"shadow_deny": true} if {
	verdicts[winner.action].allowed
	some record in matching
	record.action == "AllowWithShadowDeny"
}

# The deciding policy with the rule's index, the match that decided, and the name Envoy's RBAC gives
# the matcher: the policy's KRI.
decided_by(record) := {
	"policy": object.union(reference, {"rule": record.rule}),
	"match": object.filter(record, {"spiffe", "sni"}),
	"rule": object.get(reference, "kri", "unknown"),
} if {
	reference := response.reference(compiled.meshes[request.mesh].policies[record.policy])
} else := {"match": object.filter(record, {"spiffe", "sni"}), "rule": "unknown"}
