package checks.lib_test

test_from_and_rules_presence if {
	found([mesh, `{type: MeshTrafficPermission, name: p}`]) == {["MTP001", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: []}}`]) == {["MTP001", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}], rules: [{default: {deny: [{spiffeID: {value: "spiffe://a/b"}}]}}]}}`]) == {["MTP002", "spec"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {rules: [{default: {deny: [{spiffeID: {value: "spiffe://a/b"}}]}}]}}`]) == {["GB001", "spec.rules"]}
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
		["GB001", "spec.rules"],
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
	found([mesh, rules(`[{default: {allow: [{sni: x, spiffeID: [y]}], deny: [{sni: {type: 3, value: 4, x: 5}}]}, extra: 1}, 3]`)]) - {["GB001", "spec.rules"]} == {
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
	found([mesh, rules(`{default: {}}`)]) == {["GB001", "spec.rules"], ["MTP007", "spec.rules"]}
	found([mesh, rules(`[{default: x}]`)]) == {["GB001", "spec.rules"], ["MTP007", "spec.rules[0].default"], ["MTP005", "spec.rules[0]"]}
}

test_spiffe_ids_and_sni_values if {
	messages([mesh, rules(`[{default: {deny: [{spiffeID: {value: "spiffe://Td/a"}}, {spiffeID: {value: ""}}, {spiffeID: {value: "http://x"}}, {spiffeID: {value: "spiffe:///a"}}, {spiffeID: {value: "spiffe://td/a/"}}, {spiffeID: {value: "spiffe://td//a"}}, {spiffeID: {value: "spiffe://td/./a"}}, {spiffeID: {value: "spiffe://td/a b"}}, {sni: {type: Exact, value: ""}}]}}]`)]) == {
		"spec.rules: not supported yet by gen-bundle: use 'from' (spec A1)",
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
