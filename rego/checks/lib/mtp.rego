# MeshTrafficPermission: Kuma's validation (v2.14.3 messages, spec B §5.2) of `from` and of `rules`
# (2.12+), and what the chosen Kuma release does not have (VER001).
#
# MTP001 neither from nor rules, MTP002 both, MTP003 from[].default.action missing, MTP004 action
# value, MTP005 a rules[] entry with no list, MTP006 rules[] matches (SPIFFE ID, SNI), MTP007 types
# and unknown fields. targetRef problems are TREF* (target_ref.rego).
package checks.lib

mtp_top_kinds := ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset", "Dataplane"]

mtp_from_kinds := ["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"]

mtp_actions := ["Allow", "Deny", "AllowWithShadowDeny"]

rule_lists := ["allow", "allowWithShadowDeny", "deny"]

mtps := suspects_of.MeshTrafficPermission

mtp_specs := [[r, r.spec] | some r in mtps; is_object(r.spec)]

mtp_problems contains resource_finding(
	r,
	problem("MTP001", ["spec"], "at least one of 'from' or 'rules' has to be defined"),
) if {
	some r in mtps
	is_null(r.spec)
}

mtp_problems contains resource_finding(r, type_problem("MTP007", ["spec"], r.spec, "object")) if {
	some r in mtps
	not is_null(r.spec)
	not is_object(r.spec)
}

mtp_problems contains resource_finding(r, problem("MTP007", ["spec", name], "unknown field")) if {
	some [r, spec] in mtp_specs
	some name, _ in spec
	not name in {"targetRef", "from", "rules"}
}

mtp_problems contains resource_finding(r, presence_problem(spec)) if {
	some [r, spec] in mtp_specs
}

presence_problem(spec) := problem("MTP002", ["spec"], "field 'from' must be empty when 'rules' is defined") if {
	truthy(object.get(spec, "from", null))
	truthy(object.get(spec, "rules", null))
} else := problem("MTP001", ["spec"], "at least one of 'from' or 'rules' has to be defined") if {
	not truthy(object.get(spec, "from", null))
	not truthy(object.get(spec, "rules", null))
}

mtp_problems contains resource_finding(r, problem("VER001", ["spec", "rules"], rules_unknown_message)) if {
	some [r, spec] in mtp_specs
	truthy(object.get(spec, "rules", null))
	not features.rules
}

rules_unknown_message := sprintf(`unknown field "rules" (Kuma 2.12+, --kuma-version is %s)`, [kuma_version_text])

mtp_top_refs := [{
	"r": r,
	"at": ["spec", "targetRef"],
	"ref": object.get(spec, "targetRef", null),
	"kinds": mtp_top_kinds,
	"absent_means_mesh": true,
	"inbound": mtp_inbound(spec),
} |
	some [r, spec] in mtp_specs
]

default mtp_inbound(_) := false

mtp_inbound(spec) if truthy(object.get(spec, "from", null))

mtp_inbound(spec) if truthy(object.get(spec, "rules", null))

mtp_problems contains resource_finding(r, type_problem("MTP007", ["spec", "from"], spec.from, "array")) if {
	some [r, spec] in mtp_specs
	not is_null(spec.from)
	not is_array(spec.from)
}

# The from entries, each with where it stands.
mtp_entries := [[r, ["spec", "from", i], entry] |
	some [r, spec] in mtp_specs
	is_array(spec.from)
	some i, entry in spec.from
]

mtp_problems contains resource_finding(r, type_problem("MTP007", at, entry, "object")) if {
	some [r, at, entry] in mtp_entries
	not is_object(entry)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, entry] in mtp_entries
	is_object(entry)
	some name, _ in entry
	not name in {"targetRef", "default"}
}

mtp_from_refs := [{
	"r": r,
	"at": array.concat(at, ["targetRef"]),
	"ref": object.get(entry, "targetRef", null),
	"kinds": mtp_from_kinds,
	"absent_means_mesh": false,
	"inbound": true,
} |
	some [r, at, entry] in mtp_entries
	is_object(entry)
]

mtp_problems contains resource_finding(
	r,
	type_problem("MTP007", array.concat(at, ["default"]), entry.default, "object"),
) if {
	some [r, at, entry] in mtp_entries
	not is_null(entry.default)
	not is_object(entry.default)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, ["default", name]), "unknown field")) if {
	some [r, at, entry] in mtp_entries
	is_object(entry.default)
	some name, _ in entry.default
	name != "action"
}

mtp_problems contains resource_finding(r, action_problem(array.concat(at, ["default", "action"]), action)) if {
	some [r, at, entry] in mtp_entries
	is_object(entry)
	action := object.get(entry, ["default", "action"], null)
	not action in mtp_actions
}

action_problem(at, null) := problem("MTP003", at, "must be defined")

action_problem(at, action) := type_problem("MTP007", at, action, "string") if {
	action != null
	not is_string(action)
}

action_problem(at, action) := problem("MTP004", at, unsupported_value(action, mtp_actions)) if is_string(action)

# --- rules[] (Kuma 2.12+) ----------------------------------------------------------------------------

mtp_problems contains resource_finding(r, type_problem("MTP007", ["spec", "rules"], spec.rules, "array")) if {
	some [r, spec] in mtp_specs
	not is_null(spec.rules)
	not is_array(spec.rules)
}

mtp_rules := [[r, ["spec", "rules", i], rule] |
	some [r, spec] in mtp_specs
	is_array(spec.rules)
	some i, rule in spec.rules
]

mtp_problems contains resource_finding(r, type_problem("MTP007", at, rule, "object")) if {
	some [r, at, rule] in mtp_rules
	not is_object(rule)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, rule] in mtp_rules
	is_object(rule)
	some name, _ in rule
	name != "default"
}

mtp_problems contains resource_finding(
	r,
	type_problem("MTP007", array.concat(at, ["default"]), rule.default, "object"),
) if {
	some [r, at, rule] in mtp_rules
	not is_null(rule.default)
	not is_object(rule.default)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, ["default", name]), "unknown field")) if {
	some [r, at, rule] in mtp_rules
	is_object(rule.default)
	some name, _ in rule.default
	not name in rule_lists
}

mtp_problems contains resource_finding(
	r,
	problem("MTP005", at, "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined"),
) if {
	some [r, at, rule] in mtp_rules
	is_object(rule)
	every list in rule_lists {
		count(as_array(object.get(rule, ["default", list], null))) == 0
	}
}

mtp_problems contains resource_finding(
	r,
	type_problem("MTP007", array.concat(at, ["default", list]), matches, "array"),
) if {
	some [r, at, rule] in mtp_rules
	some list in rule_lists
	matches := rule.default[list]
	not is_null(matches)
	not is_array(matches)
}

# Kuma's ValidateMatch; its paths leave `default` out: spec.rules[0].allow[0].spiffeID.
mtp_matches := [[r, array.concat(at, [list, j]), match] |
	some [r, at, rule] in mtp_rules
	some list in rule_lists
	is_array(rule.default[list])
	some j, match in rule.default[list]
]

mtp_problems contains resource_finding(r, type_problem("MTP007", at, match, "object")) if {
	some [r, at, match] in mtp_matches
	not is_object(match)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, match] in mtp_matches
	is_object(match)
	some name, _ in match
	not name in {"spiffeID", "sni"}
}

# spiffeID and sni matchers: {type, value} objects.
mtp_matchers := [[r, array.concat(at, [name]), match[name], name] |
	some [r, at, match] in mtp_matches
	some name in ["spiffeID", "sni"]
	not is_null(match[name])
]

mtp_problems contains resource_finding(r, type_problem("MTP007", at, matcher, "object")) if {
	some [r, at, matcher, _] in mtp_matchers
	not is_object(matcher)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, matcher, _] in mtp_matchers
	is_object(matcher)
	some name, _ in matcher
	not name in {"type", "value"}
}

mtp_problems contains resource_finding(r, type_problem("MTP007", array.concat(at, [name]), value, "string")) if {
	some [r, at, matcher, _] in mtp_matchers
	some name in ["type", "value"]
	value := matcher[name]
	not is_null(value)
	not is_string(value)
}

mtp_problems contains resource_finding(r, problem("MTP007", array.concat(at, ["type"]), message)) if {
	some [r, at, matcher, "spiffeID"] in mtp_matchers
	is_string(matcher.type)
	not matcher.type in ["Exact", "Prefix"]
	message := unsupported_value(matcher.type, ["Exact", "Prefix"])
}

# Kuma's schema requires the type (its Go validator never reads it).
mtp_problems contains resource_finding(r, problem("MTP006", array.concat(at, ["type"]), "must be defined")) if {
	some [r, at, matcher, "spiffeID"] in mtp_matchers
	is_object(matcher)
	is_null(object.get(matcher, "type", null))
}

mtp_problems contains resource_finding(r, problem("MTP006", at, spiffe_id_message(error))) if {
	some [r, at, matcher, "spiffeID"] in mtp_matchers
	is_object(matcher)
	error := spiffe_id_error(as_string(object.get(matcher, "value", null)))
}

# Kuma 2.14 adds go-spiffe's reason; 2.12 - 2.13 say only that the ID is not valid.
spiffe_id_message(error) := sprintf("must be a valid Spiffe ID: %s", [error]) if features.sni_match

else := "must be a valid Spiffe ID"

mtp_problems contains resource_finding(r, problem("MTP006", array.concat(at, ["type"]), message)) if {
	some [r, at, matcher, "sni"] in mtp_matchers
	is_object(matcher)
	type := as_string(object.get(matcher, "type", null))
	type != "Exact"
	message := sni_type_message(type)
}

sni_type_message("") := "must be set"

sni_type_message(type) := sprintf(`unrecognized type "%s", supported values are: Exact`, [type]) if type != ""

mtp_problems contains resource_finding(r, problem("MTP006", array.concat(at, ["value"]), message)) if {
	some [r, at, matcher, "sni"] in mtp_matchers
	is_object(matcher)
	value := as_string(object.get(matcher, "value", null))
	some message in sni_value_messages(value)
}

sni_value_messages("") := {"must be set"}

sni_value_messages(value) := dns1123_subdomain_errors(value) if value != ""

mtp_problems contains resource_finding(r, problem("VER001", array.concat(at, ["sni"]), sni_unknown_message)) if {
	not features.sni_match
	some [r, at, match] in mtp_matches
	is_object(match)
	not is_null(object.get(match, "sni", null))
}

sni_unknown_message := sprintf(`unknown field "sni" (Kuma 2.14+, --kuma-version is %s)`, [kuma_version_text])
