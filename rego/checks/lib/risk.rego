# Configurations Kuma accepts that are risky or do not do what they seem to (warnings), judged on
# the valid resources' models.
#
# RISK001 mesh-wide allow-all, RISK002 passthroughMode All, RISK003 egress allowed by Domain (the
# client chooses the SNI / Host), RISK004 AllowWithShadowDeny left in place, RISK005 a from entry
# that never decides, RISK006 a policy labelled kuma.io/effect: shadow, RISK007 a policy that selects
# no sidecar, RISK008 a kuma.io/origin label Kuma does not know, RISK009 a SPIFFE ID Prefix (a raw
# string prefix), RISK010 an empty rules match, RISK011 a MeshIdentity without a provider.
# DEP001-DEP002: deprecations.
package checks.lib

model_finding(m, p) := {
	"file": m.file,
	"document": m.document,
	"item": m.item,
	"base": m.base,
	"resource": m.key,
	"kind": m.kind,
	"ref": ref(m),
	"problem": p,
}

active(m) if m.inactive == null

# RISK001: a MeshTrafficPermission for the whole mesh whose last entry for every client allows.
# On Kubernetes, one outside the system namespaces applies only to its own namespace (spec A10).
warning_findings contains model_finding(m, problem("RISK001", ["spec", "from", last], message)) if {
	some m in models_of.MeshTrafficPermission
	active(m)
	m.role == "system"
	whole_mesh(m.target_ref)
	every_client := [i | some i, entry in m.from; count(entry.target_ref.requires) == 0]
	last := every_client[count(every_client) - 1]
	m.from[last].action in {"Allow", "AllowWithShadowDeny"}
	message := sprintf(
		"mesh-wide allow-all: every client of mesh %q may reach every proxy in it (unless a later entry or policy denies it)",
		[m.mesh],
	)
}

whole_mesh(ref) if {
	ref.kind in {"Mesh", "MeshSubset"}
	count(ref.tags) == 0
}

# RISK001: the legacy allow-all TrafficPermission (sources and destinations kuma.io/service: '*').
warning_findings contains model_finding(m, problem("RISK001", [], message)) if {
	some m in models_of.TrafficPermission
	some i, source in m.sources
	every value in source {
		value == "*"
	}
	some j, destination in m.destinations
	destination == {"kuma.io/service": "*"}
	message := sprintf(
		"mesh-wide allow-all: sources[%d] matches every client and destinations[%d] every service of mesh %q",
		[i, j, m.mesh],
	)
}

warning_findings contains model_finding(
	m,
	problem("RISK002", ["spec", "default", "passthroughMode"], passthrough_all_message),
) if {
	some m in models_of.MeshPassthrough
	active(m)
	m.mode == "All"
}

# RISK003: Domain matches decide on a name the client sends (TLS SNI, HTTP Host).
warning_findings contains model_finding(m, problem("RISK003", ["spec", "default", "appendMatch"], message)) if {
	some m in models_of.MeshPassthrough
	active(m)
	not m.mode in {"All", "None"}
	domains := {match.value | some match in m.matches; match.type == "Domain"}
	count(domains) > 0
	message := sprintf(
		concat("", [
			"allows egress by Domain (%s): the client sets the TLS SNI / HTTP Host that is matched, ",
			"so it can reach any address under that name; prefer IP or CIDR matches where the destinations are known",
		]),
		[quoted(sort(domains))],
	)
}

# RISK004: AllowWithShadowDeny allows; the deny is only counted in stats and logs.
warning_findings contains model_finding(
	m,
	problem("RISK004", ["spec", "from", i, "default", "action"], shadow_deny_message),
) if {
	some m in models_of.MeshTrafficPermission
	some i, entry in m.from
	entry.action == "AllowWithShadowDeny"
}

shadow_deny_message := concat("", [
	"AllowWithShadowDeny allows the traffic and only logs the deny: ",
	"switch to Deny (or Allow) once the trial is over",
])

# RISK005: the last applicable entry decides (spec A2), so an entry is dead when a later entry of
# the same policy requires no tag it does not require itself.
warning_findings contains model_finding(m, problem("RISK005", ["spec", "from", i], message)) if {
	some m in models_of.MeshTrafficPermission
	some i, entry in m.from
	overriding := [j |
		some j, later in m.from
		j > i
		covers(later.target_ref.requires, entry.target_ref.requires)
	]
	count(overriding) > 0
	message := sprintf(
		"never decides: spec.from[%d] comes later and applies to every client this entry applies to, so its action (%s) wins",
		[overriding[0], m.from[overriding[0]].action],
	)
}

# Every tag `wider` requires, `narrower` requires too.
covers(wider, narrower) if object.subset(narrower, wider)

policy_models := array.concat(models_of.MeshTrafficPermission, models_of.MeshPassthrough)

warning_findings contains model_finding(
	m,
	problem("RISK006", [], "labelled kuma.io/effect: shadow, so it takes no part in decisions; skipped"),
) if {
	some m in policy_models
	m.inactive == "shadow"
}

warning_findings contains model_finding(
	m,
	problem("RISK007", ["spec", "targetRef", "proxyTypes"], no_sidecar_message),
) if {
	some m in policy_models
	m.inactive == "no-sidecar"
}

warning_findings contains model_finding(
	m,
	problem("RISK007", ["spec", "targetRef", "namespace"], no_dataplane_message),
) if {
	some m in policy_models
	m.inactive == "no-dataplane"
}

no_dataplane_message := concat("", [
	"a Dataplane ref with a namespace but neither a name nor labels selects no Dataplane, ",
	"so this policy has no effect: add the name, or select by labels",
])

warning_findings contains model_finding(
	m,
	problem("RISK008", array.concat(labels_at(m.form), [key("kuma.io/origin")]), message),
) if {
	some m in policy_models
	label := m.labels["kuma.io/origin"]
	not label in {"global", "zone"}
	message := sprintf(`"%s" is neither "global" nor "zone"; treated as unset`, [label])
}

# DEP001, DEP002: what Kuma accepts with a deprecation warning (spec B §5.1).
warning_findings contains model_finding(
	m,
	problem("DEP001", ["spec", "from", i, "targetRef", "kind"], mesh_service_from_message),
) if {
	some m in models_of.MeshTrafficPermission
	some i, entry in m.from
	entry.target_ref.kind == "MeshService"
}

warning_findings contains model_finding(m, problem("DEP002", ["spec", "targetRef", "kind"], message)) if {
	some m in models_of.MeshTrafficPermission
	m.target_ref.kind in {"MeshSubset", "MeshService", "MeshServiceSubset"}
	message := sprintf(
		"%s value for 'targetRef.kind' is deprecated, use Dataplane with labels instead",
		[m.target_ref.kind],
	)
}

no_sidecar_message := "selects no sidecar (proxyTypes without Sidecar), so it decides nothing; skipped"

mesh_service_from_message := concat("", [
	"MeshService value for 'from[].targetRef.kind' is deprecated, ",
	"use MeshSubset with 'kuma.io/service' instead",
])

passthrough_all_message := "All lets the proxies this policy selects reach any destination outside the mesh"

warning_findings contains model_finding(
	m,
	problem("RISK004", ["spec", "rules", i, "default", "allowWithShadowDeny"], shadow_deny_message),
) if {
	some m in models_of.MeshTrafficPermission
	some i, rule in m.rules
	count(rule.allowWithShadowDeny) > 0
}

# RISK009: Envoy compares a Prefix as a raw string, and a SPIFFE ID may not end in "/", so no
# Prefix stops at a path-segment boundary: `.../ns/team` also matches `.../ns/team-b/...`.
warning_findings contains model_finding(m, problem("RISK009", at, message)) if {
	some m in models_of.MeshTrafficPermission
	some i, rule in m.rules
	some list in rule_lists
	some j, match in rule[list]
	match.spiffe_id.type == "Prefix"
	at := ["spec", "rules", i, list, j, "spiffeID", "value"]
	message := sprintf(
		concat("", [
			"Prefix %q is a raw string prefix: it also matches %q and anything else that starts with it; ",
			"list the identities with Exact, or end the prefix where no other name continues it",
		]),
		[match.spiffe_id.value, sprintf("%s-other/...", [match.spiffe_id.value])],
	)
}

# RISK010: a match with neither spiffeID nor sni; Kuma accepts it and builds no matcher from it.
warning_findings contains model_finding(m, problem("RISK010", ["spec", "rules", i, list, j], message)) if {
	some m in models_of.MeshTrafficPermission
	some i, rule in m.rules
	some list in rule_lists
	some j, match in rule[list]
	match.spiffe_id == null
	match.sni == null
	message := sprintf(
		"an empty match matches nothing: Kuma builds no matcher from it, so this %s entry has no effect",
		[list],
	)
}

# RISK011: a MeshIdentity without a provider only hands out SPIFFE IDs ("PartiallyReady"): it never
# becomes Ready, so it gives no proxy a workload identity (meshidentity/status/updater.go).
warning_findings contains model_finding(m, problem("RISK011", ["spec"], no_provider_message)) if {
	some m in models_of.MeshIdentity
	m.provider == null
}

no_provider_message := concat("", [
	"no provider: Kuma runs it in SPIFFE-ID-only mode (PartiallyReady), ",
	"so it gives no proxy a workload identity or certificate",
])
