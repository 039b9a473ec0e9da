# Configurations Kuma accepts that are risky or do not do what they seem to (warnings).
#
# RISK001 mesh-wide allow-all, RISK002 passthroughMode All, RISK003 egress allowed by Domain (the
# client chooses the SNI / Host), RISK004 AllowWithShadowDeny left in place, RISK005 a from entry
# that never decides, RISK006 a policy labelled kuma.io/effect: shadow.
package checks.risk

import data.checks.lib

# METADATA
# title: Risky but valid configurations
# description: Warnings RISK001-RISK006, one per resource and field; see docs/checks/.
# entrypoint: true
warn contains lib.result(r, p) if {
	some r in lib.resources
	some p in found(r)
}

found(r) := union({
	allow_all_mtp(r),
	allow_all_tp(r),
	passthrough_all(r),
	domain_allowlist(r),
	shadow_deny(r),
	never_decides(r),
	shadow_label(r),
})

# RISK001: a MeshTrafficPermission for the whole mesh whose last entry for every client allows.
# On Kubernetes, one outside the system namespace only applies to its own namespace (spec A10).
allow_all_mtp(r) := {lib.problem("RISK001", lib.at_index("spec.from", entry.index), message) |
	r.kind == "MeshTrafficPermission"
	not shadow(r)
	mesh_scoped(r.namespace)
	selects_whole_mesh(lib.as_object(r.spec))
	every_client := [e |
		some e in lib.valid_entries(r.spec)
		count(lib.required_tags(e.ref)) == 0
	]
	entry := every_client[count(every_client) - 1]
	entry.action in {"Allow", "AllowWithShadowDeny"}
	message := sprintf(
		"mesh-wide allow-all: every client of mesh %q may reach every proxy in it (unless a later entry or policy denies it)",
		[r.mesh],
	)
}

mesh_scoped(null)

mesh_scoped(namespace) if namespace in {"kuma-system", "kong-mesh-system"}

selects_whole_mesh(spec) if {
	ref := object.get(spec, "targetRef", null)
	lib.valid_target_ref("spec.targetRef", ref, lib.mtp_top_opts(spec))
	whole_mesh_ref(ref)
}

whole_mesh_ref(null)

whole_mesh_ref(ref) if {
	ref.kind in {"Mesh", "MeshSubset"}
	count(lib.string_items(object.get(ref, "tags", null))) == 0
	sidecars(object.get(ref, "proxyTypes", null))
}

sidecars(null)

sidecars(proxy_types) if "Sidecar" in proxy_types

# RISK001: the legacy allow-all TrafficPermission (sources and destinations kuma.io/service: '*').
allow_all_tp(r) := {lib.problem("RISK001", "", message) |
	r.kind == "TrafficPermission"
	some i, source in lib.as_array(object.get(lib.as_object(r.spec), "sources", null))
	wildcard_selector(source)
	some j, destination in lib.as_array(object.get(lib.as_object(r.spec), "destinations", null))
	lib.as_object(destination).match == {"kuma.io/service": "*"}
	message := sprintf(
		"mesh-wide allow-all: sources[%d] matches every client and destinations[%d] every service of mesh %q",
		[i, j, r.mesh],
	)
}

# A source selector whose every value is "*": any client with a mesh identity.
wildcard_selector(source) if {
	match := lib.as_object(source).match
	count(match) > 0
	every value in match {
		value == "*"
	}
}

# RISK002
passthrough_all(r) := {lib.problem(
	"RISK002", "spec.default.passthroughMode",
	"All lets the proxies this policy selects reach any destination outside the mesh",
) |
	r.kind == "MeshPassthrough"
	not shadow(r)
	passthrough_mode(r.spec) == "All"
}

passthrough_mode(spec) := object.get(lib.as_object(spec), ["default", "passthroughMode"], "Matched")

# RISK003: Domain matches decide on a name the client sends (TLS SNI, HTTP Host).
domain_allowlist(r) := {lib.problem("RISK003", "spec.default.appendMatch", message) |
	r.kind == "MeshPassthrough"
	not shadow(r)
	not passthrough_mode(r.spec) in {"All", "None"}
	domains := {match.value |
		some match in lib.as_array(object.get(lib.as_object(r.spec), ["default", "appendMatch"], null))
		match.type == "Domain"
	}
	count(domains) > 0
	message := sprintf(
		concat("", [
			"allows egress by Domain (%s): the client sets the TLS SNI / HTTP Host that is matched, ",
			"so it can reach any address under that name; prefer IP or CIDR matches where the destinations are known",
		]),
		[lib.quoted(sort(domains))],
	)
}

# RISK004: AllowWithShadowDeny allows; the deny is only counted in stats and logs.
shadow_deny(r) := {lib.problem("RISK004", at, shadow_deny_message) |
	r.kind == "MeshTrafficPermission"
	some at in shadow_deny_fields(lib.as_object(r.spec))
}

shadow_deny_fields(spec) := {lib.at_field(lib.at_index("spec.from", i), "default.action") |
	some i, item in lib.as_array(object.get(spec, "from", null))
	lib.entry_action(item) == "AllowWithShadowDeny"
} | {lib.at_field(lib.at_index("spec.rules", i), "default.allowWithShadowDeny") |
	some i, rule in lib.as_array(object.get(spec, "rules", null))
	count(lib.as_array(object.get(lib.as_object(rule), ["default", "allowWithShadowDeny"], null))) > 0
}

shadow_deny_message := concat("", [
	"AllowWithShadowDeny allows the traffic and only logs the deny: ",
	"switch to Deny (or Allow) once the trial is over",
])

# RISK005: the last applicable entry decides (spec A2), so an entry is dead when a later entry of
# the same policy requires no tag it does not require itself.
never_decides(r) := {lib.problem("RISK005", lib.at_index("spec.from", entry.index), message) |
	r.kind == "MeshTrafficPermission"
	entries := lib.valid_entries(r.spec)
	some entry in entries
	overriding := [later |
		some later in entries
		later.index > entry.index
		covers(lib.required_tags(later.ref), lib.required_tags(entry.ref))
	]
	count(overriding) > 0
	message := sprintf(
		"never decides: spec.from[%d] comes later and applies to every client this entry applies to, so its action (%s) wins",
		[overriding[0].index, overriding[0].action],
	)
}

# Every tag `wider` requires, `narrower` requires too.
covers(wider, narrower) if {
	every key, value in wider {
		narrower[key] == value
	}
}

# RISK006
shadow_label(r) := {lib.problem("RISK006", "", "labelled kuma.io/effect: shadow, so it takes no part in decisions") |
	shadow(r)
}

shadow(r) if r.labels["kuma.io/effect"] == "shadow"
