package checks.lib_test

import data.checks.lib

test_valid_traffic_permission if {
	ids(`
type: TrafficPermission
name: t
sources: [{match: {kuma.io/service: '*'}}]
destinations: [{match: {kuma.io/service: b, v: "*"}}]
`) == set()
}

test_traffic_permission_problems if {
	texts(`
type: TrafficPermission
name: t
sources: [{match: {"": a, "a b": x, v: "", w: "a b", n: 1}}, {match: {}}, {}, 5, {match: x, extra: 1}]
destinations: {}
`) == {
		"Mesh -: sources[0].match: tag name must be non-empty",
		concat("", [`Mesh -: sources[0].match["a b"]: `, lib.messages.tag_name]),
		`Mesh -: sources[0].match["v"]: tag value must be non-empty`,
		concat("", [`Mesh -: sources[0].match["w"]: `, lib.messages.selector_value]),
		`Mesh -: sources[0].match["n"]: must be of type string, got integer`,
		"Mesh -: sources[1].match: must have at least one tag",
		"Mesh -: sources[2].match: must have at least one tag",
		"Mesh -: sources[3]: must be of type object, got integer",
		"Mesh -: sources[3].match: must have at least one tag",
		"Mesh -: sources[4].match: must be of type object, got string",
		"Mesh -: sources[4].match: must have at least one tag",
		"Mesh -: sources[4].extra: unknown field",
		"Mesh -: destinations: must be of type array, got object",
		"Mesh -: destinations: must have at least one element",
	}
}

test_traffic_permission_kubernetes if {
	messages(`{apiVersion: kuma.io/v1alpha1, kind: TrafficPermission, metadata: {name: t}, spec: 3}`) == {
		"TrafficPermission default/t: spec: must be of type object, got integer",
		"TrafficPermission default/t: sources: must have at least one element",
		"TrafficPermission default/t: destinations: must have at least one element",
	}
}
