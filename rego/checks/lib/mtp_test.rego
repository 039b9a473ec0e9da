package checks.lib_test

import data.checks.lib

at_least_one := "at least one of 'from' or 'rules' has to be defined"

empty_rule := "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined"

test_valid_from if {
	ids(`
type: MeshTrafficPermission
name: p
spec:
  targetRef: {kind: Mesh}
  from: [{targetRef: {kind: MeshSubset, tags: {a: b}}, default: {action: Deny}}]
`) == set()
}

test_from_and_rules_presence if {
	texts(`{type: MeshTrafficPermission, name: p}`) == {concat("", ["Mesh -: spec: ", at_least_one])}
	texts(`{type: MeshTrafficPermission, name: p, spec: {from: []}}`) == {concat("", ["Mesh -: spec: ", at_least_one])}
	ids(`
type: MeshTrafficPermission
name: p
spec:
  from: [{targetRef: {kind: Mesh}, default: {action: Deny}}]
  rules: [{default: {deny: [{sni: {type: Exact, value: a.b}}]}}]
`) == {"MTP002"}
	ids(`
type: MeshTrafficPermission
name: p
spec:
  rules: [{default: {deny: [{sni: {type: Exact, value: a.b}}]}}]
`) == {"GB001"}
}

test_from_entries if {
	texts(`
type: MeshTrafficPermission
name: p
spec:
  from:
    - {targetRef: {kind: Mesh}}
    - {targetRef: {kind: Mesh}, default: {action: allow}}
    - {targetRef: {kind: Mesh}, default: {action: 1}}
    - {targetRef: {kind: Mesh}, default: [], extra: 1}
    - 7
    - null
`) == {
		"Mesh -: spec.from[0].default.action: must be defined",
		concat("", [
			`Mesh -: spec.from[1].default.action: unsupported value "allow": `,
			`supported values: "Allow", "Deny", "AllowWithShadowDeny"`,
		]),
		"Mesh -: spec.from[2].default.action: must be of type string, got integer",
		"Mesh -: spec.from[3].default: must be of type object, got array",
		"Mesh -: spec.from[3].default.action: must be defined",
		"Mesh -: spec.from[3].extra: unknown field",
		"Mesh -: spec.from[4]: must be of type object, got integer",
	}
}

test_spec_types if {
	texts(`{type: MeshTrafficPermission, name: p, spec: []}`) == {
		"Mesh -: spec: must be of type object, got array",
		concat("", ["Mesh -: spec: ", at_least_one]),
	}
	texts(`{type: MeshTrafficPermission, name: p, spec: {from: {a: b}, rules: {}, to: []}}`) == {
		"Mesh -: spec.from: must be of type array, got object",
		"Mesh -: spec.rules: must be of type array, got object",
		"Mesh -: spec.to: unknown field",
	}
}

test_rules if {
	texts(`
type: MeshTrafficPermission
name: p
spec:
  rules:
    - {default: {}}
    - {default: {allow: {}}, x: 1}
    - {default: [], y: 1}
    - 5
`) == {
		"Mesh -: spec.rules: not supported yet by gen-bundle: use 'from' (spec A1)",
		concat("", ["Mesh -: spec.rules[0]: ", empty_rule]),
		concat("", ["Mesh -: spec.rules[1]: ", empty_rule]),
		"Mesh -: spec.rules[1].default.allow: must be of type array, got object",
		"Mesh -: spec.rules[1].x: unknown field",
		concat("", ["Mesh -: spec.rules[2]: ", empty_rule]),
		"Mesh -: spec.rules[2].default: must be of type object, got array",
		"Mesh -: spec.rules[2].y: unknown field",
		"Mesh -: spec.rules[3]: must be of type object, got integer",
		concat("", ["Mesh -: spec.rules[3]: ", empty_rule]),
	}
}

test_matches if {
	texts(`
type: MeshTrafficPermission
name: p
spec:
  rules:
    - default:
        allow:
          - spiffeID: {type: Regex, value: 1, x: 2}
          - sni: {type: 3, value: 4}
          - spiffeID: []
          - 9
          - other: 1
`) == {
		"Mesh -: spec.rules: not supported yet by gen-bundle: use 'from' (spec A1)",
		`Mesh -: spec.rules[0].allow[0].spiffeID.type: unsupported value "Regex": supported values: "Exact", "Prefix"`,
		"Mesh -: spec.rules[0].allow[0].spiffeID.value: must be of type string, got integer",
		"Mesh -: spec.rules[0].allow[0].spiffeID.x: unknown field",
		"Mesh -: spec.rules[0].allow[0].spiffeID: must be a valid Spiffe ID: cannot be empty",
		"Mesh -: spec.rules[0].allow[1].sni.type: must be of type string, got integer",
		"Mesh -: spec.rules[0].allow[1].sni.value: must be of type string, got integer",
		"Mesh -: spec.rules[0].allow[1].sni.type: must be set",
		"Mesh -: spec.rules[0].allow[1].sni.value: must be set",
		"Mesh -: spec.rules[0].allow[2].spiffeID: must be of type object, got array",
		"Mesh -: spec.rules[0].allow[2].spiffeID: must be a valid Spiffe ID: cannot be empty",
		"Mesh -: spec.rules[0].allow[3]: must be of type object, got integer",
		"Mesh -: spec.rules[0].allow[4].other: unknown field",
	}
}

test_spiffe_ids if {
	lib.spiffe_id_error("") == "cannot be empty"
	lib.spiffe_id_error("https://td/x") == "scheme is missing or invalid"
	lib.spiffe_id_error("spiffe://") == "trust domain is missing"
	lib.spiffe_id_error("spiffe://TD/x") == lib.messages.trust_domain_char
	lib.spiffe_id_error("spiffe://td/x/") == "path cannot have a trailing slash"
	lib.spiffe_id_error("spiffe://td//x") == "path cannot contain empty segments"
	lib.spiffe_id_error("spiffe://td/./x") == "path cannot contain dot segments"
	lib.spiffe_id_error("spiffe://td/x/..") == "path cannot contain dot segments"
	lib.spiffe_id_error("spiffe://td/a$/") == lib.messages.path_segment_char
	not lib.spiffe_id_error("spiffe://td")
	not lib.spiffe_id_error("spiffe://td.mesh.local/ns/default/sa/web-1_a.b")
}

test_dns1123 if {
	lib.dns1123_subdomain_errors("api.example.com") == set()
	lib.dns1123_subdomain_errors("Api") == {lib.messages.dns1123_subdomain}
	label := concat("", ["a" | some _ in numbers.range(1, 63)])
	long := concat(".", [label, label, label, label, label])
	lib.dns1123_subdomain_errors(long) == {"must be no more than 253 characters"}
}

test_sni_types if {
	lib.sni_type_problems("t", "Exact") == set()
	lib.sni_type_problems("t", "") == {lib.problem("MTP006", "t", "must be set")}
	lib.sni_type_problems("t", "Suffix") == {lib.problem(
		"MTP006", "t",
		`unrecognized type "Suffix", supported values are: Exact`,
	)}
}

test_valid_entries if {
	spec := {"from": [
		{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}},
		{"targetRef": {"kind": "Mesh"}, "default": {"action": "allow"}},
		{"targetRef": {"kind": "MeshService", "name": "web"}, "default": {"action": "Deny"}},
	]}
	lib.valid_entries(spec) == [
		{"index": 0, "ref": {"kind": "Mesh"}, "action": "Allow"},
		{"index": 2, "ref": {"kind": "MeshService", "name": "web"}, "action": "Deny"},
	]
}
