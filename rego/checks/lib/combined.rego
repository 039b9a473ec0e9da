# Checks across documents; they need the whole input: conftest test --combine, or gen-bundle.
#
# CMB001 TrafficPermission and MeshTrafficPermission in one mesh, CMB002 a MeshTrafficPermission
# in a mesh whose mTLS is disabled, CMB003 a policy naming a mesh no Mesh resource defines, CMB004
# one resource defined twice, CMB005 no resource that decides access at all, CMB006 a from[] policy
# that rules policies (or, in Kuma 2.14, a MeshIdentity) take its inbounds from.
#
# They read one summary per resource. gen-bundle may check its input in parts and hand the parts'
# summaries over at the end (input.gen_bundle.summaries); otherwise they come from the resources.
package checks.lib

summaries := gen_bundle.summaries if is_array(gen_bundle.summaries)

else := [summary(r) | some r in resources]

summary(r) := {
	"key": r.key,
	"file": r.file,
	"document": r.document,
	"item": r.item,
	"base": r.base,
	"order": [r.file_index, r.document, r.item],
	"kind": r.kind,
	"mesh": r.mesh,
	"namespace": r.namespace,
	"name": r.name,
	"identity": identity_key(r),
	"valid": valid(r),
	"mtls_enabled": mtls_enabled(r),
	"decided_by": decided_by(r),
	"mesh_services_exclusive": mesh_services_exclusive(r),
	"mesh_identity": identity_summary(r),
}

default mesh_services_exclusive(_) := false

mesh_services_exclusive(r) if {
	r.kind == "Mesh"
	r.spec.meshServices.mode == "Exclusive"
}

# A MeshIdentity's selector and whether it names a provider (without one it never becomes Ready).
default identity_summary(_) := null

identity_summary(r) := {
	"match_labels": identity_match_labels(as_object(r.spec)),
	"provider": is_object(object.get(as_object(r.spec), "provider", null)),
} if {
	r.kind == "MeshIdentity"
}

# How a MeshTrafficPermission decides: by "from" or by "rules" (null for other kinds).
default decided_by(_) := null

decided_by(r) := "rules" if {
	r.kind == "MeshTrafficPermission"
	truthy(object.get(as_object(r.spec), "rules", null))
} else := "from" if {
	r.kind == "MeshTrafficPermission"
	truthy(object.get(as_object(r.spec), "from", null))
}

# Names hold no NUL (the reader refuses NUL bytes), so this joins the identity unambiguously; a
# string, not an array, so that OPA indexes the grouping below by it.
identity_key(r) := concat("\u0000", identity(r)) if r.name != null

else := ""

default valid(_) := false

valid(r) if not r.key in invalid_resources

# The valid resources' summaries: what the warnings judge (an invalid resource has its errors).
valid_summaries := [s | some s in summaries; s.valid]

default mtls_enabled(_) := false

mtls_enabled(r) if {
	r.kind == "Mesh"
	non_empty_string(r.spec.mtls.enabledBackend)
}

summary_finding(s, p) := {
	"file": s.file,
	"document": s.document,
	"item": s.item,
	"base": s.base,
	"resource": s.key,
	"kind": s.kind,
	"ref": ref(s),
	"problem": p,
}

# Mesh name -> whether one of its Mesh resources enables mTLS.
defined_mesh_names contains s.mesh if {
	some s in valid_summaries
	s.kind == "Mesh"
}

# The meshes whose Mesh resources enable mTLS.
mtls_meshes contains s.mesh if {
	some s in valid_summaries
	s.kind == "Mesh"
	s.mtls_enabled
}

kinds_by_mesh[mesh] := kinds if {
	some mesh in {s.mesh | some s in valid_summaries}
	kinds := {t.kind | some t in valid_summaries; t.mesh == mesh}
}

combined_findings contains summary_finding(s, problem("CMB001", [], message)) if {
	some s in valid_summaries
	s.kind == "TrafficPermission"
	"MeshTrafficPermission" in kinds_by_mesh[s.mesh]
	message := sprintf(
		concat("", [
			"mesh %q also has MeshTrafficPermissions: on every inbound a MeshTrafficPermission selects, ",
			"TrafficPermissions are ignored; do not combine the two",
		]),
		[s.mesh],
	)
}

combined_findings contains summary_finding(s, problem("CMB002", [], message)) if {
	some s in valid_summaries
	s.kind == "MeshTrafficPermission"
	s.mesh in defined_mesh_names
	not s.mesh in mtls_meshes
	not s.mesh in identity_meshes
	message := sprintf(
		"mesh %q has mTLS disabled (no mtls.enabledBackend), so this policy has no effect: all inbound traffic is allowed",
		[s.mesh],
	)
}

combined_findings contains summary_finding(s, problem("CMB003", [], message)) if {
	some s in valid_summaries
	s.kind != "Mesh"
	not s.mesh in defined_mesh_names
	message := sprintf("mesh %q is defined by no Mesh resource: treated as mTLS STRICT with passthrough on", [s.mesh])
}

# CMB006: Kuma 2.12+ decides an inbound that any rules policy selects by rules only, and drops the
# from[] policies that select it too, without a word (kuma#18740). Which inbounds two policies share
# is only known with the Dataplanes, so every from[] policy of a mesh with rules policies is named.
rules_policies_by_mesh[mesh] := names if {
	some mesh in {s.mesh | some s in valid_summaries; s.decided_by == "rules"}
	names := sort([s.name | some s in valid_summaries; s.mesh == mesh; s.decided_by == "rules"])
}

combined_findings contains summary_finding(s, problem("CMB006", [], message)) if {
	features.rules
	some s in valid_summaries
	s.decided_by == "from"
	names := rules_policies_by_mesh[s.mesh]
	message := sprintf(
		concat("", [
			"on every inbound that a rules policy of mesh %q also selects (%s), Kuma decides by rules only ",
			"and ignores this from[] policy: move its entries to rules",
		]),
		[s.mesh, listed(names)],
	)
}

# At most three names, then how many more.
listed(names) := concat(", ", names) if count(names) <= 3

else := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, 3)), count(names) - 3])

# MeshIdentities that can become Ready: a provider, in a mesh whose Mesh has meshServices.mode
# Exclusive (meshidentity/status/updater.go); the others never give a proxy an identity.
ready_identities := [s |
	some s in valid_summaries
	s.kind == "MeshIdentity"
	s.mesh_identity.provider
	s.mesh in exclusive_meshes
]

exclusive_meshes contains s.mesh if {
	some s in valid_summaries
	s.kind == "Mesh"
	s.mesh_services_exclusive
}

identity_meshes contains s.mesh if some s in ready_identities

combined_findings contains summary_finding(s, problem("CMB006", [], message)) if {
	features.identity_selects_rules
	some s in valid_summaries
	s.decided_by == "from"
	some identity in ready_identities
	identity.mesh == s.mesh
	identity.mesh_identity.match_labels != null
	message := sprintf(
		concat("", [
			"on every proxy that MeshIdentity %s (matchLabels %s) gives a workload identity, Kuma 2.14 ",
			"decides by rules only and ignores this from[] policy: move its entries to rules",
		]),
		[identity.name, json.marshal(identity.mesh_identity.match_labels)],
	)
}

# CMB007: a MeshIdentity that can never become Ready, so it gives no proxy an identity.
combined_findings contains summary_finding(s, problem("CMB007", [], message)) if {
	some s in valid_summaries
	s.kind == "MeshIdentity"
	s.mesh in defined_mesh_names # an undefined mesh has CMB003 (and no MeshIdentity of it is Ready)
	not s.mesh in exclusive_meshes
	message := sprintf(
		concat("", [
			"mesh %q has no meshServices.mode Exclusive, so this MeshIdentity never becomes Ready and gives ",
			"no proxy an identity (Kuma: \"MeshIdentity requires MeshServices to be enabled on the mesh\")",
		]),
		[s.mesh],
	)
}

# CMB004: every definition after the first, in input order (file, document, item).
# (The comprehensions sit in rule bodies, where OPA indexes them by the key: one pass, not n.)
named_summaries := [s | some s in summaries; s.identity != ""]

# Only when two share an identity is it worth grouping them (rare, and the grouping is not).
duplicates_exist if count({s.identity | some s in named_summaries}) < count(named_summaries)

same_identity[identity] := group if {
	duplicates_exist
	some s in summaries
	identity := s.identity
	identity != ""
	group := [t | some t in summaries; t.identity == identity]
}

combined_findings contains summary_finding(
	s,
	problem("CMB004", [], sprintf("defined twice: also at %s", [location(first)])),
) if {
	some group in same_identity
	count(group) > 1
	first_order := min({t.order | some t in group})
	some first in group
	first.order == first_order
	some s in group
	s.order != first_order
}

# Where a resource stands, as messages name it.
location(s) := sprintf("%s, document %d, item %d", [s.file, s.document, s.item + 1]) if s.item >= 0

else := sprintf("%s, document %d", [s.file, s.document])

# CMB005: nothing would be compiled; a bundle from it would deny every request of every mesh.
combined_findings contains {
	"file": first_document.file,
	"document": first_document.document,
	"item": -1,
	"base": [],
	"resource": null,
	"kind": null,
	"ref": null,
	"problem": problem("CMB005", [], message),
} if {
	count(summaries) == 0
	not settings.allow_empty
	not gen_bundle.incomplete
	not errors_found
	first_document := documents_or_nothing[0]
	message := concat("", [
		"no resource decides access (no Mesh, MeshTrafficPermission, TrafficPermission, ExternalService ",
		"or MeshPassthrough): a bundle from this input would deny every request",
	])
}

# The input has errors already (it says so itself when it was checked in parts).
errors_found if {
	some f in structure_findings
	catalogue[f.problem.id].severity == "error"
}

default documents_or_nothing := [{"file": "", "document": 0}]

documents_or_nothing := documents if count(documents) > 0

else := [gen_bundle.first_document] if is_object(gen_bundle.first_document)
