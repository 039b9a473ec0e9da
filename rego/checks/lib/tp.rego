# TrafficPermission (legacy): Kuma's validation (traffic_permission_validator.go, spec B §6.1).
# Paths are Kuma's (sources[0].match["kuma.io/service"]) in both forms.
#
# TP001 sources / destinations empty, TP002 a selector without tags, TP003 tag names and values,
# TP004 types and unknown fields.
package checks.lib

tps := suspects_of.TrafficPermission

tp_problems contains resource_finding(r, type_problem("TP004", r.spec_at, r.spec, "object")) if {
	some r in tps
	not is_null(r.spec)
	not is_object(r.spec)
}

tp_problems contains resource_finding(r, problem("TP004", array.concat(r.spec_at, [name]), "unknown field")) if {
	some r in tps
	is_object(r.spec)
	some name, _ in r.spec
	not name in {"sources", "destinations"}
}

tp_selector_lists := [[r, array.concat(r.spec_at, [list]), object.get(as_object(r.spec), list, null)] |
	some r in tps
	some list in ["sources", "destinations"]
]

tp_problems contains resource_finding(r, type_problem("TP004", at, selectors, "array")) if {
	some [r, at, selectors] in tp_selector_lists
	not is_null(selectors)
	not is_array(selectors)
}

tp_problems contains resource_finding(r, problem("TP001", at, "must have at least one element")) if {
	some [r, at, selectors] in tp_selector_lists
	selectors in {null, []}
}

tp_selectors := [[r, array.concat(at, [i]), selector] |
	some [r, at, selectors] in tp_selector_lists
	is_array(selectors)
	some i, selector in selectors
]

tp_problems contains resource_finding(r, type_problem("TP004", at, selector, "object")) if {
	some [r, at, selector] in tp_selectors
	not is_object(selector)
}

tp_problems contains resource_finding(r, problem("TP004", array.concat(at, [name]), "unknown field")) if {
	some [r, at, selector] in tp_selectors
	is_object(selector)
	some name, _ in selector
	name != "match"
}

tp_problems contains resource_finding(
	r,
	problem("TP002", array.concat(at, ["match"]), "must have at least one tag"),
) if {
	some [r, at, selector] in tp_selectors
	count(as_object(object.get(as_object(selector), "match", null))) == 0
}

tp_problems contains resource_finding(r, finding) if {
	some [r, at, selector] in tp_selectors
	is_object(selector)
	some finding in string_map_type_problems("TP004", array.concat(at, ["match"]), selector.match)
}

# Kuma's ValidateSelector: values may be "*".
tp_problems contains resource_finding(r, problem("TP003", error_at, message)) if {
	some [r, at, selector] in tp_selectors
	some name, value in string_items(object.get(as_object(selector), "match", null))
	some [error_at, message] in tag_errors(array.concat(at, ["match"]), name, value, true)
}
