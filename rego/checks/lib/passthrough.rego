# MeshPassthrough: Kuma's validation (v2.14.3, spec B §8.2; paths under spec.default.appendMatch[i])
# plus what spec A8 adds: a bare "*" and more than one wildcard label are refused too.
#
# MPT001 port, MPT002 one port with different L7 protocols, MPT003 a value twice for one port and
# protocol, MPT004 protocol, MPT005 IP / CIDR value, MPT006 Domain rules, MPT007 match type, MPT008
# wildcards Kuma accepts but gen-bundle refuses (A8), MPT009 types, unknown fields and
# passthroughMode. targetRef problems are TREF* (target_ref.rego). MPT010, a note: no passthroughMode.
package checks.lib

passthrough_kinds := ["Mesh", "MeshSubset", "Dataplane"]

passthrough_modes := ["All", "Matched", "None"]

match_protocols := ["tcp", "tls", "grpc", "http", "http2", "mysql"]

layer7_protocols := {"grpc", "http", "http2"}

passthroughs := suspects_of.MeshPassthrough

passthrough_specs := [[r, r.spec] | some r in passthroughs; is_object(r.spec)]

passthrough_problems contains resource_finding(r, type_problem("MPT009", ["spec"], r.spec, "object")) if {
	some r in passthroughs
	not is_null(r.spec)
	not is_object(r.spec)
}

passthrough_problems contains resource_finding(r, problem("MPT009", ["spec", name], "unknown field")) if {
	some [r, spec] in passthrough_specs
	some name, _ in spec
	not name in {"targetRef", "default"}
}

passthrough_top_refs := [{
	"r": r,
	"at": ["spec", "targetRef"],
	"ref": object.get(spec, "targetRef", null),
	"kinds": passthrough_kinds,
	"absent_means_mesh": true,
	"inbound": false,
} |
	some [r, spec] in passthrough_specs
]

passthrough_confs := [[r, conf] | some [r, spec] in passthrough_specs; conf := spec.default; not is_null(conf)]

passthrough_problems contains resource_finding(r, type_problem("MPT009", ["spec", "default"], conf, "object")) if {
	some [r, conf] in passthrough_confs
	not is_object(conf)
}

passthrough_problems contains resource_finding(r, problem("MPT009", ["spec", "default", name], "unknown field")) if {
	some [r, conf] in passthrough_confs
	is_object(conf)
	some name, _ in conf
	not name in {"passthroughMode", "appendMatch"}
}

passthrough_problems contains resource_finding(r, mode_value_problem(conf.passthroughMode)) if {
	some [r, conf] in passthrough_confs
	not is_null(conf.passthroughMode)
	not conf.passthroughMode in passthrough_modes
}

mode_value_problem(mode) := type_problem("MPT009", ["spec", "default", "passthroughMode"], mode, "string") if {
	not is_string(mode)
} else := problem("MPT009", ["spec", "default", "passthroughMode"], unsupported_value(mode, passthrough_modes))

passthrough_problems contains resource_finding(
	r,
	type_problem("MPT009", ["spec", "default", "appendMatch"], list, "array"),
) if {
	some [r, conf] in passthrough_confs
	list := conf.appendMatch
	not is_null(list)
	not is_array(list)
}

# Each match with the schema default applied (protocol tcp), wrong types counted as absent, and
# every match of its policy for the rules that look back.
passthrough_matches := [[r, ["spec", "default", "appendMatch", i], i, raw, normalised[i], normalised] |
	some [r, conf] in passthrough_confs
	is_array(conf.appendMatch)
	normalised := [normalise_match(m) | some m in conf.appendMatch]
	some i, raw in conf.appendMatch
]

normalise_match(m) := {
	"type": as_string(object.get(as_object(m), "type", null)),
	"value": as_string(object.get(as_object(m), "value", null)),
	"port": integer_or_null(object.get(as_object(m), "port", null)),
	"protocol": match_protocol(object.get(as_object(m), "protocol", null)),
}

# The schema's default, tcp, for a match that names no protocol.
match_protocol(null) := "tcp"

match_protocol(protocol) := as_string(protocol) if protocol != null

integer_or_null(value) := value if is_integer(value)

else := null

passthrough_problems contains resource_finding(r, type_problem("MPT009", at, raw, "object")) if {
	some [r, at, _, raw, _, _] in passthrough_matches
	not is_object(raw)
}

passthrough_problems contains resource_finding(r, problem("MPT009", array.concat(at, [name]), "unknown field")) if {
	some [r, at, _, raw, _, _] in passthrough_matches
	is_object(raw)
	some name, _ in raw
	not name in {"type", "value", "port", "protocol"}
}

passthrough_problems contains resource_finding(r, type_problem("MPT009", array.concat(at, [name]), value, type)) if {
	some [r, at, _, raw, _, _] in passthrough_matches
	some [name, type] in [["type", "string"], ["value", "string"], ["port", "integer"], ["protocol", "string"]]
	value := raw[name]
	not is_null(value)
	not has_type(value, type)
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT004", array.concat(at, ["protocol"]), protocol_message),
) if {
	some [r, at, _, raw, _, _] in passthrough_matches
	protocol := object.get(as_object(raw), "protocol", "tcp")
	is_string(protocol)
	not protocol in match_protocols
}

protocol_message := sprintf(`"protocol" must be one of [%s]`, [quoted(match_protocols)])

passthrough_problems contains resource_finding(
	r,
	problem("MPT001", array.concat(at, ["port"]), "port must be defined for Mysql protocol"),
) if {
	some [r, at, _, _, m, _] in passthrough_matches
	m.protocol == "mysql"
	m.port == null
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT001", array.concat(at, ["port"]), "port must be a valid (1-65535)"),
) if {
	some [r, at, _, _, m, _] in passthrough_matches
	m.port != null
	not valid_port_number(m.port)
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT002", array.concat(at, ["port"]), messages.same_port),
) if {
	some [r, at, i, _, m, policy_matches] in passthrough_matches
	m.port != null
	m.protocol in layer7_protocols
	earlier := port_protocol_before(i, policy_matches)
	earlier != m.protocol
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

# The wording is Kuma's, typo included.
passthrough_problems contains resource_finding(r, problem("MPT003", array.concat(at, ["value"]), message)) if {
	some [r, at, i, _, m, policy_matches] in passthrough_matches
	m.port != null
	some j, other in policy_matches
	j < i
	[other.port, other.protocol, other.value] == [m.port, m.protocol, m.value]
	message := sprintf("value %s is already defiend for this port and protocol", [m.value])
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT005", array.concat(at, ["value"]), "provided CIDR has incorrect value"),
) if {
	some [r, at, _, _, m, _] in passthrough_matches
	m.type == "CIDR"
	not is_cidr(m.value)
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT005", array.concat(at, ["value"]), "provided IP has incorrect value"),
) if {
	some [r, at, _, _, m, _] in passthrough_matches
	m.type == "IP"
	not is_ip(m.value)
}

passthrough_problems contains resource_finding(r, problem("MPT007", array.concat(at, ["type"]), message)) if {
	some [r, at, _, _, m, _] in passthrough_matches
	not m.type in {"CIDR", "IP", "Domain"}
	message := sprintf("provided type %s is not supported, one of Domain, IP, or CIDR is supported", [m.type])
}

domain_matches := [[r, at, m] | some [r, at, _, _, m, _] in passthrough_matches; m.type == "Domain"]

passthrough_problems contains resource_finding(r, problem("MPT006", array.concat(at, ["protocol"]), message)) if {
	some [r, at, m] in domain_matches
	m.protocol in {"tcp", "mysql"}
	message := sprintf("protocol %s is not supported for a domain", [m.protocol])
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT006", array.concat(at, ["value"]), messages.partial_wildcard),
) if {
	some [r, at, m] in domain_matches
	regex.match(`^\*[^.]+`, m.value)
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT006", array.concat(at, ["port"]), messages.wildcard_port),
) if {
	some [r, at, m] in domain_matches
	m.port == null
	startswith(m.value, "*")
	m.protocol in layer7_protocols
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT006", array.concat(at, ["value"]), "provided DNS has incorrect value"),
) if {
	some [r, at, m] in domain_matches
	name := trim_prefix_once(m.value, "*.")
	not startswith(name, "*")
	not is_dns_name(name)
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT008", array.concat(at, ["value"]), messages.bare_wildcard),
) if {
	some [r, at, m] in domain_matches
	m.value == "*"
}

passthrough_problems contains resource_finding(
	r,
	problem("MPT008", array.concat(at, ["value"]), messages.wildcard_labels),
) if {
	some [r, at, m] in domain_matches
	startswith(m.value, "*.*")
}

trim_prefix_once(value, prefix) := substring(value, count(prefix), -1) if startswith(value, prefix)

else := value

# MPT010: an unset passthroughMode is Matched in Kuma's plugin, None on the Kong Mesh docs page
# (docs/semantics.md, "MeshPassthrough default mode"): say which one the bundle enforces.
note_findings contains model_finding(
	m,
	problem("MPT010", ["spec", "default", "passthroughMode"], unset_mode_message),
) if {
	some m in models_of.MeshPassthrough
	active(m)
	m.mode == null
}

unset_mode_message := concat("", [
	"not set: enforced as Matched, as Kuma's MeshPassthrough plugin does (the Kong Mesh docs page says None), ",
	"so only the appendMatch destinations are reachable, unless another MeshPassthrough for the same proxies sets a mode",
])
