# TrafficPermission (legacy): Kuma's validation (traffic_permission_validator.go, spec B §6.1).
# Paths are Kuma's (sources[0].match["kuma.io/service"]) in both forms.
#
# TP001 sources / destinations empty, TP002 a selector without tags, TP003 tag names and values,
# TP004 types and unknown fields.
package checks.lib

tp_problems(r) := union({
	object_problems("TP004", spec_root(r), r.spec),
	unknown_problems("TP004", spec_root(r), r.spec, {"sources", "destinations"}),
	selectors_problems("sources", object.get(as_object(r.spec), "sources", null)),
	selectors_problems("destinations", object.get(as_object(r.spec), "destinations", null)),
})

selectors_problems(at, selectors) := union({
	array_problems("TP004", at, selectors),
	{problem("TP001", at, "must have at least one element") | count(as_array(selectors)) == 0},
	{p |
		some i, selector in as_array(selectors)
		some p in selector_problems(at_index(at, i), selector)
	},
})

selector_problems(at, selector) := union({
	object_problems("TP004", at, selector),
	unknown_problems("TP004", at, selector, {"match"}),
	string_map_problems("TP004", at_field(at, "match"), match),
	{problem("TP002", at_field(at, "match"), "must have at least one tag") | count(as_object(match)) == 0},
	{p |
		some key, value in string_items(match)
		some p in selector_tag_problems(at_field(at, "match"), key, value)
	},
}) if {
	match := object.get(as_object(selector), "match", null)
}

# Kuma's ValidateSelector: every rule is checked, values may be "*".
selector_tag_problems(at, key, value) := union({
	{problem("TP003", at, "tag name must be non-empty") | key == ""},
	{problem("TP003", at_key(at, key), messages.tag_name) |
		not regex.match(`^[a-zA-Z0-9.\-_:/]*$`, key)
	},
	{problem("TP003", at_key(at, key), "tag value must be non-empty") | value == ""},
	{problem("TP003", at_key(at, key), messages.selector_value) |
		not regex.match(`^([a-zA-Z0-9.\-_:/]*|\*)$`, value)
	},
})
