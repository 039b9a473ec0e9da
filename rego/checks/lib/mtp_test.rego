package checks.lib_test

import data.checks.lib

test_from_and_rules_presence if {
	found([mesh, `{type: MeshTrafficPermission, name: p}`]) == {["MTP001", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: []}}`]) == {["MTP001", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}], rules: [{default: {deny: [{spiffeID: {type: Exact, value: "spiffe://a/b"}}]}}]}}`]) == {["MTP002", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {rules: [{default: {deny: [{spiffeID: {type: Exact, value: "spiffe://a/b"}}]}}]}}`]) == set()
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: x}`]) == {["MTP007", "spec"]}
}

test_from_entries if {
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {to: [], from: [x, {targetRef: {kind: Mesh}, default: {action: allow}, extra: 1}, {targetRef: {kind: Mesh}, default: [Allow]}, {targetRef: {kind: Mesh}, default: {action: 1, how: x}}]}}`]) == {
		["MTP007", "spec.to"],
		["MTP007", "spec.from[0]"],
		["MTP004", "spec.from[1].default.action"],
		["MTP007", "spec.from[1].extra"],
		["MTP007", "spec.from[2].default"],
		["MTP003", "spec.from[2].default.action"],
		["MTP007", "spec.from[3].default.action"],
		["MTP007", "spec.from[3].default.how"],
	}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: {targetRef: {kind: Mesh}}}}`]) == {["MTP007", "spec.from"]}
}

rules(text) := concat("", ["type: MeshTrafficPermission\nname: p\nmesh: default\nspec:\n  rules: ", text, "\n"])

test_rules_entries_and_matches if {
	found([mesh, rules(`[{default: {}}, x, {defaults: {}, default: {allow: x, deny: [x, {sni: {type: Prefix, value: "A"}}, {spiffeID: {type: Regex, value: "spiffe://a/b"}, other: 1}]}}]`)]) == {
		["MTP005", "spec.rules[0]"],
		["MTP007", "spec.rules[1]"],
		["MTP007", "spec.rules[2].defaults"],
		["MTP007", "spec.rules[2].default.allow"],
		["MTP007", "spec.rules[2].deny[0]"],
		["MTP006", "spec.rules[2].deny[1].sni.type"],
		["MTP006", "spec.rules[2].deny[1].sni.value"],
		["MTP007", "spec.rules[2].deny[2].spiffeID.type"],
		["MTP007", "spec.rules[2].deny[2].other"],
	}
	found([mesh, rules(`[{default: {allow: [{sni: x, spiffeID: [y]}], deny: [{sni: {type: 3, value: 4, x: 5}}]}, extra: 1}, 3]`)]) == {
		["MTP007", "spec.rules[0].allow[0].sni"],
		["MTP007", "spec.rules[0].allow[0].spiffeID"],
		["MTP007", "spec.rules[0].deny[0].sni.type"],
		["MTP007", "spec.rules[0].deny[0].sni.value"],
		["MTP007", "spec.rules[0].deny[0].sni.x"],
		["MTP006", "spec.rules[0].deny[0].sni.type"],
		["MTP006", "spec.rules[0].deny[0].sni.value"],
		["MTP007", "spec.rules[0].extra"],
		["MTP007", "spec.rules[1]"],
	}
	found([mesh, rules(`{default: {}}`)]) == {["MTP007", "spec.rules"]}
	found([mesh, rules(`[{default: x}]`)]) == {["MTP007", "spec.rules[0].default"], ["MTP005", "spec.rules[0]"]}
}

test_spiffe_ids_and_sni_values if {
	messages([mesh, rules(`[{default: {deny: [{spiffeID: {type: Exact, value: "spiffe://Td/a"}}, {spiffeID: {type: Exact, value: ""}}, {spiffeID: {type: Exact, value: "http://x"}}, {spiffeID: {type: Exact, value: "spiffe:///a"}}, {spiffeID: {type: Exact, value: "spiffe://td/a/"}}, {spiffeID: {type: Exact, value: "spiffe://td//a"}}, {spiffeID: {type: Exact, value: "spiffe://td/./a"}}, {spiffeID: {type: Exact, value: "spiffe://td/a b"}}, {sni: {type: Exact, value: ""}}]}}]`)]) == {
		"spec.rules[0].deny[0].spiffeID: must be a valid Spiffe ID: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
		"spec.rules[0].deny[1].spiffeID: must be a valid Spiffe ID: cannot be empty",
		"spec.rules[0].deny[2].spiffeID: must be a valid Spiffe ID: scheme is missing or invalid",
		"spec.rules[0].deny[3].spiffeID: must be a valid Spiffe ID: trust domain is missing",
		"spec.rules[0].deny[4].spiffeID: must be a valid Spiffe ID: path cannot have a trailing slash",
		"spec.rules[0].deny[5].spiffeID: must be a valid Spiffe ID: path cannot contain empty segments",
		"spec.rules[0].deny[6].spiffeID: must be a valid Spiffe ID: path cannot contain dot segments",
		"spec.rules[0].deny[7].spiffeID: must be a valid Spiffe ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores",
		"spec.rules[0].deny[8].sni.value: must be set",
	}
}

test_rules_need_kuma_2_12 if {
	policy := rules(`[{default: {allow: [{spiffeID: {type: Exact, value: "spiffe://a/b"}}]}}]`)
	found_with([mesh, policy], {"kuma_version": "2.12.0"}) == set()
	found_with([mesh, policy], {"kuma_version": "2.11.4"}) == {["VER001", "spec.rules"]}
}

test_kuma_3_refuses_what_it_removed if {
	from_only := `{type: MeshTrafficPermission, name: p, mesh: default, spec: {targetRef: {kind: MeshService, name: web}, from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}}`
	found_with([from_only], {"kuma_version": "3.0.0"}) == {["VER001", "spec"], ["VER001", "spec.targetRef.kind"]}
	both := `{type: MeshTrafficPermission, name: p, mesh: default, spec: {targetRef: {kind: Dataplane, name: web}, from: [{targetRef: {kind: Mesh}, default: {action: Allow}}], rules: [{default: {allow: [{spiffeID: {type: Exact, value: "spiffe://a/b"}}]}}]}}`
	found_with([both], {"kuma_version": "3.0.0"}) == {["MTP002", "spec"], ["VER001", "spec.from"], ["VER001", "spec.targetRef.name"]}
	legacy := [mesh, `{type: TrafficPermission, name: t, mesh: default, sources: [{match: {kuma.io/service: "*"}}], destinations: [{match: {kuma.io/service: "*"}}]}`]
	found_with(legacy, {"kuma_version": "3.0.0"}) - {["RISK001", ""]} == {["VER001", "mtls"], ["VER001", ""]}
	found_with(legacy, {"kuma_version": "2.14.3"}) == {["RISK001", ""]}
}

test_spiffe_id_type_required_and_older_wording if {
	policy := rules(`[{default: {deny: [{spiffeID: {value: "spiffe://td/a/"}}]}}]`)
	messages([mesh, policy]) == {
		"spec.rules[0].deny[0].spiffeID.type: must be defined",
		"spec.rules[0].deny[0].spiffeID: must be a valid Spiffe ID: path cannot have a trailing slash",
	}
	reported := lib.all_findings with input as request([mesh, policy], {"kuma_version": "2.13.0"})
	{f.problem.message | some f in reported} == {"must be defined", "must be a valid Spiffe ID"}
}
