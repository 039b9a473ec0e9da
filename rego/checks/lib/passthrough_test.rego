package checks.lib_test

import data.checks.lib

match_ids(matches) := {[p.id, p.field] | some p in lib.append_match_problems(matches)}

test_valid_passthrough if {
	ids(`{type: MeshPassthrough, name: m}`) == set()
	ids(`
type: MeshPassthrough
name: m
spec:
  default:
    passthroughMode: All
    appendMatch:
      - {type: Domain, value: "*.a.com", port: 443, protocol: tls}
      - {type: CIDR, value: "fd00::/8"}
`) == set()
}

test_schema if {
	messages(`
type: MeshPassthrough
name: m
spec: {x: 1, default: {passthroughMode: 1, appendMatch: {}, y: 2}}
`) == {
		"MeshPassthrough default/m: spec.x: unknown field",
		"MeshPassthrough default/m: spec.default.y: unknown field",
		"MeshPassthrough default/m: spec.default.passthroughMode: must be of type string, got integer",
		"MeshPassthrough default/m: spec.default.appendMatch: must be of type array, got object",
	}
	messages(`{type: MeshPassthrough, name: m, spec: {default: []}}`) == {
		"MeshPassthrough default/m: spec.default: must be of type object, got array",
	}
	match_ids([{"type": 1, "value": 2, "protocol": 3, "port": 1.5}, 7]) == {
		["MPT009", "spec.default.appendMatch[0].type"],
		["MPT009", "spec.default.appendMatch[0].value"],
		["MPT009", "spec.default.appendMatch[0].protocol"],
		["MPT009", "spec.default.appendMatch[0].port"],
		["MPT007", "spec.default.appendMatch[0].type"],
		["MPT009", "spec.default.appendMatch[1]"],
		["MPT007", "spec.default.appendMatch[1].type"],
	}
}

test_ports if {
	match_ids([
		{"type": "IP", "value": "10.0.0.1", "protocol": "mysql"},
		{"type": "IP", "value": "10.0.0.1", "port": 0},
		{"type": "IP", "value": "10.0.0.1", "port": 65536},
		{"type": "IP", "value": "10.0.0.1", "port": 65535, "protocol": null},
	]) == {
		["MPT001", "spec.default.appendMatch[0].port"],
		["MPT001", "spec.default.appendMatch[1].port"],
		["MPT001", "spec.default.appendMatch[2].port"],
	}
}

ip(n, protocol) := {"type": "IP", "value": sprintf("10.0.0.%d", [n]), "port": 80, "protocol": protocol}

test_shared_ports_follow_kuma_order if {
	match_ids([ip(1, "http"), ip(2, "tcp")]) == set()
	match_ids([ip(1, "tcp"), ip(2, "http")]) == {["MPT002", "spec.default.appendMatch[1].port"]}
	match_ids([ip(1, "http"), ip(2, "grpc")]) == {["MPT002", "spec.default.appendMatch[1].port"]}
	match_ids([ip(1, "http"), ip(2, "tcp"), ip(3, "http")]) == {["MPT002", "spec.default.appendMatch[2].port"]}
	match_ids([ip(1, "http"), ip(2, "grpc"), ip(3, "http")]) == {["MPT002", "spec.default.appendMatch[1].port"]}
	lib.port_protocol_before(2, [ip(1, "http"), ip(2, "grpc"), ip(3, "http")]) == "http"
}

test_duplicates if {
	match_ids([
		{"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"},
		{"type": "Domain", "value": "a.com", "port": 443, "protocol": "tls"},
		{"type": "Domain", "value": "a.com", "port": 444, "protocol": "tls"},
		{"type": "Domain", "value": "a.com", "protocol": "tls"},
		{"type": "Domain", "value": "a.com", "protocol": "tls"},
	]) == {["MPT003", "spec.default.appendMatch[1].value"]}
}

test_values if {
	match_ids([
		{"type": "IP", "value": "1.2.3"},
		{"type": "CIDR", "value": "1.2.3.4"},
		{"type": "IP", "value": "::1", "protocol": "udp"},
		{"type": "Hostname", "value": "a.com"},
	]) == {
		["MPT005", "spec.default.appendMatch[0].value"],
		["MPT005", "spec.default.appendMatch[1].value"],
		["MPT004", "spec.default.appendMatch[2].protocol"],
		["MPT007", "spec.default.appendMatch[3].type"],
	}
}

test_domains if {
	match_ids([
		{"type": "Domain", "value": "a.com", "protocol": "mysql", "port": 3306},
		{"type": "Domain", "value": "*a.com", "protocol": "tls"},
		{"type": "Domain", "value": "*.a.com", "protocol": "grpc"},
		{"type": "Domain", "value": "10.0.0.1", "protocol": "http", "port": 80},
		{"type": "Domain", "value": "*", "protocol": "http2", "port": 8080},
		{"type": "Domain", "value": "*.*", "protocol": "tls"},
		{"type": "Domain", "value": "*.", "protocol": "tls"},
	]) == {
		["MPT006", "spec.default.appendMatch[0].protocol"],
		["MPT006", "spec.default.appendMatch[1].value"],
		["MPT006", "spec.default.appendMatch[2].port"],
		["MPT006", "spec.default.appendMatch[3].value"],
		["MPT008", "spec.default.appendMatch[4].value"],
		["MPT008", "spec.default.appendMatch[5].value"],
		["MPT006", "spec.default.appendMatch[6].value"],
	}
}
