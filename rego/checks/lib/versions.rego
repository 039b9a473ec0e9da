# Which Kuma release the input is meant for (`--kuma-version`, or `checks_settings.kuma_version` for
# conftest), and what that release accepts and decides: the one table of version differences
# (docs/semantics.md "Kuma versions"). gen-bundle reads `semantics` from the report and compiles
# with it; the checks refuse what the release does not have, with Kuma's messages (VER001, VER002).
package checks.lib

# The releases whose semantics gen-bundle knows: 2.6 (today's name order) up to 3.0 (Kuma's main).
oldest_supported := [2, 6, 0]

newest_supported := [3, 0, 99]

default kuma_version_text := "2.14.3"

kuma_version_text := settings.kuma_version if is_string(settings.kuma_version)

# [major, minor, patch]; undefined for anything else than X.Y.Z.
kuma_version := [to_number(part) | some part in split(kuma_version_text, ".")] if {
	regex.match(`^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$`, kuma_version_text)
}

default kuma_version_supported := false

kuma_version_supported if {
	kuma_version >= oldest_supported
	kuma_version <= newest_supported
}

# The version the checks apply: an unsupported one is refused before anything is checked
# (generator/checks/engine.py; conftest users see VER001), the default's rules stand in meanwhile.
default effective_version := [2, 14, 3]

effective_version := kuma_version if kuma_version_supported

# What each release brought (an API or a behaviour): the first release that has it.
introduced := {
	"dataplane_target_ref": [2, 10, 0],
	"rules": [2, 12, 0],
	"mesh_identity": [2, 12, 0],
	"sni_match": [2, 14, 0],
	# the fix of kuma#16873: every deny of every rule before any allow (before: rule by rule)
	"rules_deny_first": [2, 14, 0],
	# kuma#16910 (65a9c48d): a proxy with a workload identity is decided by rules only
	"identity_selects_rules": [2, 14, 0],
}

# What a release removed: the first release without it. 3.0 removes from[], TrafficPermission,
# ExternalService, Mesh.mtls and Mesh.networking.
removed := {"legacy": [3, 0, 0]}

# Arrays compare element by element, so [2, 14, 0] < [2, 14, 3] < [3, 0, 0].
features := object.union(
	{name: has | some name, release in introduced; has := effective_version >= release},
	{name: has | some name, release in removed; has := effective_version < release},
)

semantics := {
	"kuma_version": kuma_version_text,
	"supported": kuma_version_supported,
	"supported_range": "2.6.0 to 3.0.x",
	"rules_deny_first": features.rules_deny_first,
	"identity_selects_rules": features.identity_selects_rules,
}

# --- what Kuma 3.0 removed (UPGRADE.md "Upgrade to 3.0.0") -----------------------------------------
#
# Kuma 3.0 refuses some of it and silently drops the rest (an unknown field is ignored); either way
# the input no longer means what it says, so gen-bundle refuses all of it (spec A1).

version_problems contains resource_finding(r, problem("VER001", [], message)) if {
	not features.legacy
	some kind in ["TrafficPermission", "ExternalService"]
	some r in resources_of[kind]
	message := sprintf(`invalid resource type "%s" (removed in Kuma 3.0, --kuma-version is %s)`, [kind, kuma_version_text])
}

version_problems contains resource_finding(r, problem("VER001", at, message)) if {
	not features.legacy
	some r in resources_of.MeshTrafficPermission
	is_object(r.spec)
	truthy(object.get(r.spec, "from", null))
	[at, message] := removed_from(r.spec)
}

removed_from(spec) := [["spec"], "policy must define rules (Kuma 3.0 removed 'from')"] if {
	not truthy(object.get(spec, "rules", null))
} else := [["spec", "from"], "removed in Kuma 3.0, which ignores it: move these entries to 'rules'"]

version_problems contains resource_finding(r, problem("VER001", field_at, mesh_field_removed_message)) if {
	not features.legacy
	some r in resources_of.Mesh
	some at in [["mtls"], ["networking", "outbound", "passthrough"]]
	not is_null(object.get(as_object(r.spec), at, null))
	field_at := array.concat(r.spec_at, at)
}

mesh_field_removed_message := concat("", [
	"removed in Kuma 3.0, which ignores it ",
	"(identity comes from MeshIdentity, passthrough from MeshPassthrough)",
])

# 3.0's top-level targetRef: Mesh, or Dataplane by labels (and sectionName); the rest is gone.
version_problems contains resource_finding(use.r, problem("VER001", array.concat(use.at, ["kind"]), message)) if {
	not features.legacy
	some use in top_level_uses
	is_object(use.ref)
	is_string(use.ref.kind)
	not use.ref.kind in {"Mesh", "Dataplane"}
	message := sprintf("%s in body should be one of [Mesh Dataplane] (Kuma 3.0)", [use.ref.kind])
}

version_problems contains resource_finding(use.r, problem("VER001", at, by_name_removed_message)) if {
	not features.legacy
	some use in top_level_uses
	use.ref.kind == "Dataplane"
	some name in ["name", "namespace"]
	is_given(object.get(use.ref, name, null))
	at := array.concat(use.at, [name])
}

by_name_removed_message := concat("", [
	"removed in Kuma 3.0, which ignores it and selects by labels only ",
	"(without labels: every Dataplane)",
])

# Every policy's, not only the suspects' (clean.rego proves policies clean for the default release).
top_level_uses := [{"r": r, "at": ["spec", "targetRef"], "ref": object.get(r.spec, "targetRef", null)} |
	some kind in new_style_kinds
	some r in resources_of[kind]
	is_object(r.spec)
]
