package checks.lib_test

mpt(matches) := concat("", ["type: MeshPassthrough\nname: p\nmesh: default\nspec:\n  default:\n    appendMatch: ", matches, "\n"])

test_match_ports_and_protocols if {
	found([mesh, mpt(`[{type: IP, value: 10.0.0.1, protocol: mysql}, {type: IP, value: 10.0.0.2, port: 0}, {type: IP, value: 10.0.0.3, port: 80, protocol: tcp}, {type: IP, value: 10.0.0.4, port: 80, protocol: http}, {type: IP, value: 10.0.0.3, port: 80, protocol: tcp}, {type: IP, value: 10.0.0.5, protocol: udp}]`)]) == {
		["MPT001", "spec.default.appendMatch[0].port"],
		["MPT001", "spec.default.appendMatch[1].port"],
		["MPT002", "spec.default.appendMatch[3].port"],
		["MPT003", "spec.default.appendMatch[4].value"],
		["MPT004", "spec.default.appendMatch[5].protocol"],
	}

	# An L7 protocol first, then tcp, on one port passes; only the reverse order fails.
	found([mesh, mpt(`[{type: IP, value: 10.0.0.4, port: 80, protocol: http}, {type: IP, value: 10.0.0.3, port: 80, protocol: tcp}, {type: IP, value: 10.0.0.5, port: 80, protocol: http}]`)]) == {["MPT002", "spec.default.appendMatch[2].port"]}
}

test_match_values if {
	found([mesh, mpt(`[{type: CIDR, value: 10.0.0.0/255.0.0.0}, {type: IP, value: "fe80::1%eth0"}, {type: Host, value: x}, {type: Domain, value: a.com}, {type: Domain, value: "*w.a.com", protocol: tls}, {type: Domain, value: "*.a.com", protocol: http}, {type: Domain, value: "h@w", protocol: tls}, {type: Domain, value: "*", protocol: tls}, {type: Domain, value: "*.*.a.com", protocol: tls}]`)]) == {
		["MPT005", "spec.default.appendMatch[0].value"],
		["MPT005", "spec.default.appendMatch[1].value"],
		["MPT007", "spec.default.appendMatch[2].type"],
		["MPT006", "spec.default.appendMatch[3].protocol"],
		["MPT006", "spec.default.appendMatch[4].value"],
		["MPT006", "spec.default.appendMatch[5].port"],
		["MPT006", "spec.default.appendMatch[6].value"],
		["MPT008", "spec.default.appendMatch[7].value"],
		["MPT008", "spec.default.appendMatch[8].value"],
	}
}

test_types_and_fields if {
	found([mesh, mpt(`[x, {type: 1, value: 2, port: "80", protocol: 3, extra: 1}]`)]) == {
		["MPT009", "spec.default.appendMatch[0]"],
		["MPT007", "spec.default.appendMatch[0].type"],
		["MPT009", "spec.default.appendMatch[1].type"],
		["MPT009", "spec.default.appendMatch[1].value"],
		["MPT009", "spec.default.appendMatch[1].port"],
		["MPT009", "spec.default.appendMatch[1].protocol"],
		["MPT009", "spec.default.appendMatch[1].extra"],
		["MPT007", "spec.default.appendMatch[1].type"],
	}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {default: {passthroughMode: Sometimes, appendMatch: {}, x: 1}, y: 2}}`]) == {
		["MPT009", "spec.default.passthroughMode"],
		["MPT009", "spec.default.appendMatch"],
		["MPT009", "spec.default.x"],
		["MPT009", "spec.y"],
	}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {default: {passthroughMode: 1}}}`]) == {["MPT009", "spec.default.passthroughMode"]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {default: x}}`]) == {["MPT009", "spec.default"]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: x}`]) == {["MPT009", "spec"]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {targetRef: {kind: MeshService, name: a}}}`]) == {["TREF001", "spec.targetRef.kind"]}
}

test_the_model_of_a_passthrough if {
	[m] := [m | some m in models([mesh, mpt(`[{type: CIDR, value: 10.0.0.0/8}, {type: Domain, value: a.com, protocol: tls, port: 443}]`)]); m.kind == "MeshPassthrough"]
	m.matches == [
		{"type": "CIDR", "value": "10.0.0.0/8", "port": null, "protocol": "tcp"},
		{"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"},
	]
	[m.mode, m.role, m.origin, m.inactive] == [null, "system", "unset", null]
}

test_unset_mode_is_noted_as_matched if {
	found([mesh, mpt(`[{type: CIDR, value: 10.20.0.0/16, port: 5432}]`)]) == {["MPT010", "spec.default.passthroughMode"]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {default: {passthroughMode: Matched}}}`]) == set()

	# a policy that takes no part in decisions has nothing to enforce
	found([mesh, `{type: MeshPassthrough, name: p, labels: {kuma.io/effect: shadow}, spec: {default: {}}}`]) == {["RISK006", ""]}
}
