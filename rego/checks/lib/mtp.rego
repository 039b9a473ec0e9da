# MeshTrafficPermission: Kuma's validation (v2.14.3 messages, spec B §5.2), as
# generator/validation/mesh_traffic_permission.py implements it for `from`, plus Kuma's checks of
# `rules` (2.12+), which gen-bundle refuses as a whole for now (GB001).
#
# MTP001 neither from nor rules, MTP002 both, MTP003 from[].default.action missing,
# MTP004 action value, MTP005 a rules[] entry with no list, MTP006 rules[] matches (SPIFFE ID,
# SNI), MTP007 types and unknown fields. targetRef problems are TREF* (target_ref.rego).
package checks.lib

mtp_top_kinds := ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset", "Dataplane"]

mtp_from_kinds := ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"]

mtp_actions := ["Allow", "Deny", "AllowWithShadowDeny"]

mtp_problems(spec) := {problem("MTP001", "spec", "at least one of 'from' or 'rules' has to be defined")} if {
	is_null(spec)
} else := union({
	object_problems("MTP007", "spec", spec),
	unknown_problems("MTP007", "spec", spec, {"targetRef", "from", "rules"}),
	target_ref_problems("spec.targetRef", object.get(s, "targetRef", null), mtp_top_opts(s)),
	presence_problems(s),
	array_problems("MTP007", "spec.from", object.get(s, "from", null)),
	{p |
		some i, item in as_array(object.get(s, "from", null))
		some p in from_entry_problems(at_index("spec.from", i), item)
	},
	rules_problems(object.get(s, "rules", null)),
}) if {
	s := as_object(spec)
}

mtp_top_opts(s) := {"kinds": mtp_top_kinds, "default_mesh": true, "inbound": true} if {
	some key in ["from", "rules"]
	truthy(object.get(s, key, null))
} else := {"kinds": mtp_top_kinds, "default_mesh": true, "inbound": false}

mtp_from_opts := {"kinds": mtp_from_kinds, "default_mesh": false, "inbound": true}

presence_problems(s) := {problem("MTP002", "spec", "field 'from' must be empty when 'rules' is defined")} if {
	truthy(object.get(s, "from", null))
	truthy(object.get(s, "rules", null))
} else := {problem("GB001", "spec.rules", "not supported yet by gen-bundle: use 'from' (spec A1)")} if {
	truthy(object.get(s, "rules", null))
} else := {problem("MTP001", "spec", "at least one of 'from' or 'rules' has to be defined")} if {
	not truthy(object.get(s, "from", null))
} else := set()

from_entry_problems(at, item) := object_problems("MTP007", at, item) if {
	not is_object(item)
} else := union({
	unknown_problems("MTP007", at, item, {"targetRef", "default"}),
	target_ref_problems(at_field(at, "targetRef"), object.get(item, "targetRef", null), mtp_from_opts),
	object_problems("MTP007", at_field(at, "default"), default_value),
	unknown_problems("MTP007", at_field(at, "default"), default_value, {"action"}),
	action_problems(at_field(at, "default.action"), object.get(as_object(default_value), "action", null)),
}) if {
	default_value := object.get(item, "default", null)
}

action_problems(at, action) := {problem("MTP003", at, "must be defined")} if {
	is_null(action)
} else := enum_problems("MTP007", "MTP004", at, action, mtp_actions)

# The action of a valid from entry, or undefined.
entry_action(item) := item.default.action if {
	is_object(item)
	is_object(item.default)
	item.default.action in mtp_actions
}

# A from entry that gen-bundle and Kuma accept, with its target and action.
valid_entries(spec) := [{"index": i, "ref": item.targetRef, "action": entry_action(item)} |
	some i, item in as_array(object.get(as_object(spec), "from", null))
	count(from_entry_problems(at_index("spec.from", i), item)) == 0
]

rules_problems(rules) := array_problems("MTP007", "spec.rules", rules) | {p |
	some i, rule in as_array(rules)
	some p in rule_problems(at_index("spec.rules", i), rule)
}

rule_problems(at, rule) := union({
	object_problems("MTP007", at, rule),
	unknown_problems("MTP007", at, rule, {"default"}),
	object_problems("MTP007", at_field(at, "default"), default_value),
	unknown_problems("MTP007", at_field(at, "default"), default_value, {"allow", "allowWithShadowDeny", "deny"}),
	{problem("MTP005", at, "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined") |
		every list in ["allow", "allowWithShadowDeny", "deny"] {
			count(as_array(object.get(as_object(default_value), list, null))) == 0
		}
	},
	{p |
		some list in ["allow", "allowWithShadowDeny", "deny"]
		matches := object.get(as_object(default_value), list, null)
		some p in array_problems("MTP007", at_field(at, sprintf("default.%s", [list])), matches)
	},
	{p |
		some list in ["allow", "allowWithShadowDeny", "deny"]
		some j, match in as_array(object.get(as_object(default_value), list, null))
		some p in match_problems(at_index(at_field(at, list), j), match)
	},
}) if {
	default_value := object.get(as_object(rule), "default", null)
}

# Kuma's ValidateMatch; its paths leave `default` out: spec.rules[0].allow[0].spiffeID.
match_problems(at, match) := union({
	object_problems("MTP007", at, match),
	unknown_problems("MTP007", at, match, {"spiffeID", "sni"}),
	spiffe_match_problems(at_field(at, "spiffeID"), object.get(as_object(match), "spiffeID", null)),
	sni_match_problems(at_field(at, "sni"), object.get(as_object(match), "sni", null)),
})

spiffe_match_problems(_, null) := set()

spiffe_match_problems(at, spiffe) := union({
	object_problems("MTP007", at, spiffe),
	unknown_problems("MTP007", at, spiffe, {"type", "value"}),
	enum_problems(
		"MTP007", "MTP007", at_field(at, "type"),
		object.get(as_object(spiffe), "type", "Exact"), ["Exact", "Prefix"],
	),
	string_problems("MTP007", at_field(at, "value"), value),
	{problem("MTP006", at, sprintf("must be a valid Spiffe ID: %s", [error])) |
		error := spiffe_id_error(as_string(value))
	},
}) if {
	spiffe != null
	value := object.get(as_object(spiffe), "value", null)
}

sni_match_problems(_, null) := set()

sni_match_problems(at, sni) := union({
	object_problems("MTP007", at, sni),
	unknown_problems("MTP007", at, sni, {"type", "value"}),
	string_problems("MTP007", at_field(at, "type"), type),
	string_problems("MTP007", at_field(at, "value"), value),
	sni_type_problems(at_field(at, "type"), as_string(type)),
	sni_value_problems(at_field(at, "value"), as_string(value)),
}) if {
	sni != null
	type := object.get(as_object(sni), "type", null)
	value := object.get(as_object(sni), "value", null)
}

sni_type_problems(at, "") := {problem("MTP006", at, "must be set")}

sni_type_problems(_, "Exact") := set()

sni_type_problems(at, type) := {problem(
	"MTP006", at,
	sprintf(`unrecognized type "%s", supported values are: Exact`, [type]),
)} if {
	not type in {"", "Exact"}
}

sni_value_problems(at, "") := {problem("MTP006", at, "must be set")}

sni_value_problems(at, value) := {problem("MTP006", at, message) | some message in dns1123_subdomain_errors(value)} if {
	value != ""
}

# k8s.io/apimachinery IsDNS1123Subdomain, which Kuma uses for SNI values.
dns1123_subdomain_errors(value) := {"must be no more than 253 characters" | count(value) > 253} | {
messages.dns1123_subdomain |
	not regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, value)
}

# go-spiffe's spiffeid.FromString: the first error met scanning the ID from left to right.
spiffe_id_error("") := "cannot be empty"

spiffe_id_error(id) := "scheme is missing or invalid" if {
	id != ""
	not startswith(id, "spiffe://")
}

spiffe_id_error(id) := error if {
	startswith(id, "spiffe://")
	parts := split(substring(id, count("spiffe://"), -1), "/")
	errors := array.concat(trust_domain_errors(parts[0]), path_errors(array.slice(parts, 1, count(parts))))
	error := errors[0]
}

trust_domain_errors(td) := [messages.trust_domain_char] if {
	not regex.match(`^[a-z0-9._-]*$`, td)
} else := ["trust domain is missing"] if {
	td == ""
} else := []

path_errors(segments) := [error |
	some i, segment in segments
	error := segment_error(segment, i == (count(segments) - 1))
]

segment_error(segment, last) := messages.path_segment_char if {
	not regex.match(`^[a-zA-Z0-9._-]*$`, segment)
} else := "path cannot have a trailing slash" if {
	segment == ""
	last
} else := "path cannot contain empty segments" if {
	segment == ""
} else := "path cannot contain dot segments" if {
	segment in {".", ".."}
}
