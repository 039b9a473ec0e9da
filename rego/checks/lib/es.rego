# ExternalService (legacy): Kuma's validation (external_service_validator.go, spec B §7).
#
# ES001 networking missing, ES002 networking.address, ES003 tags (kuma.io/service required, tag
# names and values), ES004 kuma.io/protocol, ES005 kuma.io/service equal to the address host,
# ES006 TLS settings, ES007 types and unknown fields.
package checks.lib

es_networking_fields := {"address", "tls", "disableHostDNSEntry"}

es_tls_fields := {
	"enabled",
	"caCert",
	"clientCert",
	"clientKey",
	"allowRenegotiation",
	"serverName",
	"skipHostnameVerification",
}

es_problems(r) := union({
	object_problems("ES007", spec_root(r), r.spec),
	unknown_problems("ES007", spec_root(r), r.spec, {"networking", "tags"}),
	es_networking_problems(networking),
	string_map_problems("ES007", "tags", tags),
	es_tag_problems(string_items(tags)),
	es_service_problems(string_items(tags), networking),
}) if {
	networking := object.get(as_object(r.spec), "networking", null)
	tags := object.get(as_object(r.spec), "tags", null)
}

es_networking_problems(null) := {problem("ES001", "networking", "should have networking")}

es_networking_problems(networking) := union({
	object_problems("ES007", "networking", networking),
	unknown_problems("ES007", "networking", networking, es_networking_fields),
	string_problems("ES007", "networking.address", address),
	address_problems("networking.address", as_string(address)),
	boolean_problems(
		"ES007", "networking.disableHostDNSEntry",
		object.get(as_object(networking), "disableHostDNSEntry", null),
	),
	es_tls_problems(object.get(as_object(networking), "tls", null)),
}) if {
	networking != null
	address := object.get(as_object(networking), "address", null)
}

address_problems(at, "") := {problem("ES002", at, "address can't be empty")}

address_problems(at, address) := union({
	{problem("ES002", at, "unable to parse address") | not split_host_port(address)},
	{problem("ES002", at, "address has to be a valid IP address or a domain name") |
		not is_ip(host)
		not is_dns_name(host)
	},
	{problem("ES002", at, "unable to parse port in address") | not parsable_port(port)},
	{problem("ES002", at, "port must be in the range [1, 65535]") | not valid_port(port)},
}) if {
	address != ""
	[host, port] := host_port(address)
}

# Go's net.SplitHostPort; both parts are "" when it fails.
split_host_port(address) := [parts[1], parts[2]] if {
	parts := regex.find_all_string_submatch_n(`^\[([^\[\]]*)\]:([^:\[\]]*)$`, address, 1)[0]
} else := [parts[1], parts[2]] if {
	parts := regex.find_all_string_submatch_n(`^([^:\[\]]*):([^:\[\]]*)$`, address, 1)[0]
}

host_port(address) := parts if {
	parts := split_host_port(address)
} else := ["", ""]

# strconv.ParseUint(port, 10, 32), then the range check Kuma applies to the result.
parsable_port(port) if {
	regex.match(`^[0-9]+$`, port)
	to_number(port) <= 4294967295
}

valid_port(port) if {
	parsable_port(port)
	to_number(port) >= 1
	to_number(port) <= 65535
}

# govalidator.IsIP: Go's net.ParseIP.
# (An IPv6 address takes a /32 prefix as well as an IPv4 one.)
is_ip(value) if net.cidr_is_valid(concat("", [value, "/32"]))

# govalidator.IsDNSName.
is_dns_name(value) if {
	value != ""
	count(replace(value, ".", "")) <= 255
	not is_ip(value)
	regex.match(`^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[\._]?$`, value)
}

es_tls_problems(tls) := union({
	object_problems("ES007", "networking.tls", tls),
	unknown_problems("ES007", "networking.tls", tls, es_tls_fields),
	{p |
		some flag in ["enabled", "allowRenegotiation", "skipHostnameVerification"]
		some p in boolean_problems("ES007", at_field("networking.tls", flag), object.get(as_object(tls), flag, null))
	},
	string_problems("ES007", "networking.tls.serverName", server_name),
	{problem("ES006", "networking.tls.serverName", "cannot be empty") | server_name == ""},
	{p |
		some source in ["caCert", "clientCert", "clientKey"]
		some p in data_source_problems(at_field("networking.tls", source), object.get(as_object(tls), source, null))
	},
}) if {
	server_name := object.get(as_object(tls), "serverName", null)
}

# system.ValidateDataSource: a data source that is present must say where the data is.
data_source_problems(_, null) := set()

data_source_problems(at, source) := union({
	object_problems("ES007", at, source),
	unknown_problems("ES007", at, source, {"secret", "file", "inline", "inlineString"}),
	{problem("ES006", at, "data source cannot be empty") |
		every key in ["secret", "file", "inline", "inlineString"] {
			not truthy(object.get(as_object(source), key, null))
		}
	},
}) if {
	source != null
}

es_protocols := ["grpc", "http", "http2", "kafka", "tcp"]

# ValidateTags with RequireService and the protocol check; values may not contain "/" or be "*".
es_tag_problems(tags) := union({
	{problem("ES003", "tags", `mandatory tag "kuma.io/service" is missing`) | not has_key(tags, "kuma.io/service")},
	{problem(
		"ES004", at_key("tags", "kuma.io/protocol"),
		sprintf(
			`tag "kuma.io/protocol" has an invalid value "%s". Allowed values: %s`,
			[protocol, concat(", ", es_protocols)],
		),
	) |
		protocol := tags["kuma.io/protocol"]
		not lower(protocol) in {"grpc", "http", "http2", "kafka", "tcp", "tls"}
	},
	{p |
		some key, value in tags
		some p in es_one_tag_problems(key, value)
	},
})

es_one_tag_problems(key, value) := union({
	{problem("ES003", "tags", "tag name must be non-empty") | key == ""},
	{problem("ES003", at_key("tags", key), messages.tag_name) |
		not regex.match(`^[a-zA-Z0-9.\-_:/]*$`, key)
	},
	{problem("ES003", at_key("tags", key), "tag value must be non-empty") | value == ""},
	{problem("ES003", at_key("tags", key), messages.tag_value) |
		not regex.match(`^[a-zA-Z0-9.\-_:]*$`, value)
	},
})

es_service_problems(tags, networking) := {problem(
	"ES005", at_key("tags", "kuma.io/service"),
	"cannot be the same as networking.address",
) |
	service := tags["kuma.io/service"]
	service != ""
	[host, _] := split_host_port(as_string(object.get(as_object(networking), "address", null)))
	host == service
}
