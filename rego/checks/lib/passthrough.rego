# MeshPassthrough: Kuma's validation (v2.14.3, spec B §8.2; paths under
# spec.default.appendMatch[i]) plus what spec A8 adds: a bare "*" and more than one wildcard label
# are refused too.
#
# MPT001 port, MPT002 one port with different L7 protocols, MPT003 a value twice for one port and
# protocol, MPT004 protocol, MPT005 IP / CIDR value, MPT006 Domain rules, MPT007 match type,
# MPT008 wildcards Kuma accepts but gen-bundle refuses (A8), MPT009 types, unknown fields and
# passthroughMode. targetRef problems are TREF* (target_ref.rego).
package checks.lib

passthrough_kinds := ["Mesh", "MeshSubset", "Dataplane"]

match_protocols := ["tcp", "tls", "grpc", "http", "http2", "mysql"]

layer7_protocols := {"grpc", "http", "http2"}

passthrough_problems(spec) := union({
	object_problems("MPT009", "spec", spec),
	unknown_problems("MPT009", "spec", spec, {"targetRef", "default"}),
	target_ref_problems(
		"spec.targetRef", object.get(as_object(spec), "targetRef", null),
		{"kinds": passthrough_kinds, "default_mesh": true, "inbound": false},
	),
	object_problems("MPT009", "spec.default", conf),
	unknown_problems("MPT009", "spec.default", conf, {"passthroughMode", "appendMatch"}),
	enum_problems(
		"MPT009", "MPT009", "spec.default.passthroughMode",
		object.get(as_object(conf), "passthroughMode", "Matched"), ["All", "Matched", "None"],
	),
	array_problems("MPT009", "spec.default.appendMatch", matches),
	append_match_problems(matches),
}) if {
	conf := object.get(as_object(spec), "default", null)
	matches := object.get(as_object(conf), "appendMatch", null)
}

append_match_problems(matches) := {p |
	normalised := [normalise_match(m) | some m in as_array(matches)]
	some i, raw in as_array(matches)
	some p in match_problems_at(at_index("spec.default.appendMatch", i), i, raw, normalised)
}

# A match with the schema default applied (protocol tcp) and wrong types counted as absent.
normalise_match(m) := {
	"type": as_string(object.get(as_object(m), "type", null)),
	"value": as_string(object.get(as_object(m), "value", null)),
	"port": integer_or_null(object.get(as_object(m), "port", null)),
	"protocol": protocol_or_default(object.get(as_object(m), "protocol", null)),
}

integer_or_null(value) := value if json_type(value) == "integer"

else := null

protocol_or_default(null) := "tcp"

protocol_or_default(protocol) := as_string(protocol) if protocol != null

match_problems_at(at, i, raw, matches) := union({
	object_problems("MPT009", at, raw),
	unknown_problems("MPT009", at, raw, {"type", "value", "port", "protocol"}),
	string_problems("MPT009", at_field(at, "type"), object.get(as_object(raw), "type", null)),
	string_problems("MPT009", at_field(at, "value"), object.get(as_object(raw), "value", null)),
	integer_problems("MPT009", at_field(at, "port"), object.get(as_object(raw), "port", null)),
	string_problems("MPT009", at_field(at, "protocol"), protocol),
	{problem("MPT004", at_field(at, "protocol"), sprintf(`"protocol" must be one of [%s]`, [quoted(match_protocols)])) |
		is_string(protocol)
		not protocol in match_protocols
	},
	match_port_problems(at_field(at, "port"), i, matches),
	{problem("MPT003", at_field(at, "value"), duplicate_value(m.value)) |
		m.port != null
		some j, other in matches
		j < i
		other.port == m.port
		other.protocol == m.protocol
		other.value == m.value
	},
	match_type_problems(at, m),
}) if {
	m := matches[i]
	protocol := object.get(as_object(raw), "protocol", "tcp")
}

match_port_problems(at, i, matches) := union({
	{problem("MPT001", at, "port must be defined for Mysql protocol") |
		matches[i].protocol == "mysql"
		matches[i].port == null
	},
	{problem("MPT001", at, "port must be a valid (1-65535)") |
		matches[i].port != null
		not valid_port_number(matches[i].port)
	},
	{problem("MPT002", at, messages.same_port) |
		matches[i].port != null
		matches[i].protocol in layer7_protocols
		earlier := port_protocol_before(i, matches)
		earlier != matches[i].protocol
	},
})

valid_port_number(port) if {
	port >= 1
	port <= 65535
}

# The protocol Kuma's validator has recorded for this match's port when it reaches match i: the
# last earlier match on that port with a protocol outside grpc/http/http2 (those always record
# theirs), else the first earlier match on that port (an L7 protocol only records an unseen port).
port_protocol_before(i, matches) := protocols[count(protocols) - 1] if {
	protocols := [other.protocol |
		some j, other in matches
		j < i
		other.port == matches[i].port
		not other.protocol in layer7_protocols
	]
	count(protocols) > 0
} else := protocols[0] if {
	protocols := [other.protocol |
		some j, other in matches
		j < i
		other.port == matches[i].port
	]
	count(protocols) > 0
}

match_type_problems(at, m) := {problem("MPT005", at_field(at, "value"), "provided CIDR has incorrect value")} if {
	m.type == "CIDR"
	not net.cidr_is_valid(m.value)
} else := {problem("MPT005", at_field(at, "value"), "provided IP has incorrect value")} if {
	m.type == "IP"
	not is_ip(m.value)
} else := domain_problems(at, m) if {
	m.type == "Domain"
} else := {problem(
	"MPT007", at_field(at, "type"),
	sprintf("provided type %s is not supported, one of Domain, IP, or CIDR is supported", [m.type]),
)} if {
	not m.type in {"CIDR", "IP", "Domain"}
} else := set()

domain_problems(at, m) := union({
	{problem("MPT006", at_field(at, "protocol"), sprintf("protocol %s is not supported for a domain", [m.protocol])) |
		m.protocol in {"tcp", "mysql"}
	},
	{problem("MPT006", at_field(at, "value"), messages.partial_wildcard) |
		regex.match(`^\*[^.]+`, m.value)
	},
	{problem("MPT006", at_field(at, "port"), messages.wildcard_port) |
		m.port == null
		startswith(m.value, "*")
		m.protocol in layer7_protocols
	},
	{problem("MPT006", at_field(at, "value"), "provided DNS has incorrect value") |
		name := trim_prefix_once(m.value, "*.")
		not startswith(name, "*")
		not is_dns_name(name)
	},
	{problem("MPT008", at_field(at, "value"), messages.bare_wildcard) |
		m.value == "*"
	},
	{problem("MPT008", at_field(at, "value"), messages.wildcard_labels) |
		startswith(m.value, "*.*")
	},
})

# The wording is Kuma's, typo included.
duplicate_value(value) := sprintf("value %s is already defiend for this port and protocol", [value])

trim_prefix_once(value, prefix) := substring(value, count(prefix), -1) if startswith(value, prefix)

else := value
