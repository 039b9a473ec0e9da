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

es_data_source_fields := {"secret", "file", "inline", "inlineString"}

es_protocols := ["grpc", "http", "http2", "kafka", "tcp"]

# core_meta.ParseProtocol knows tls too, though the hint does not list it.
es_accepted_protocols := {"grpc", "http", "http2", "kafka", "tcp", "tls"}

ess := suspects_of.ExternalService

es_problems contains resource_finding(r, type_problem("ES007", r.spec_at, r.spec, "object")) if {
	some r in ess
	not is_null(r.spec)
	not is_object(r.spec)
}

es_problems contains resource_finding(r, problem("ES007", array.concat(r.spec_at, [name]), "unknown field")) if {
	some r in ess
	is_object(r.spec)
	some name, _ in r.spec
	not name in {"networking", "tags"}
}

es_networking(r) := object.get(as_object(r.spec), "networking", null)

es_problems contains resource_finding(
	r,
	problem("ES001", array.concat(r.spec_at, ["networking"]), "should have networking"),
) if {
	some r in ess
	is_null(es_networking(r))
}

es_networkings := [[r, array.concat(r.spec_at, ["networking"]), es_networking(r)] |
	some r in ess
	not is_null(es_networking(r))
]

es_problems contains resource_finding(r, type_problem("ES007", at, networking, "object")) if {
	some [r, at, networking] in es_networkings
	not is_object(networking)
}

es_problems contains resource_finding(r, problem("ES007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, networking] in es_networkings
	is_object(networking)
	some name, _ in networking
	not name in es_networking_fields
}

es_problems contains resource_finding(r, type_problem("ES007", array.concat(at, ["address"]), address, "string")) if {
	some [r, at, networking] in es_networkings
	address := networking.address
	not is_null(address)
	not is_string(address)
}

es_problems contains resource_finding(
	r,
	type_problem("ES007", array.concat(at, ["disableHostDNSEntry"]), value, "boolean"),
) if {
	some [r, at, networking] in es_networkings
	value := networking.disableHostDNSEntry
	not is_null(value)
	not is_boolean(value)
}

es_problems contains resource_finding(r, problem("ES002", array.concat(at, ["address"]), message)) if {
	some [r, at, networking] in es_networkings
	some message in address_errors(as_string(object.get(as_object(networking), "address", null)))
}

# validateExternalServiceAddress: an empty address stops there; otherwise every check runs, on
# the parts net.SplitHostPort found (none when it failed).
address_errors("") := {"address can't be empty"}

address_errors(address) := union({
	{"unable to parse address" | not split_host_port(address)},
	{"address has to be a valid IP address or a domain name" |
		[host, _] := host_port(address)
		not valid_host(host)
	},
	{"unable to parse port in address" |
		[_, port] := host_port(address)
		not parsable_port(port)
	},
	{"port must be in the range [1, 65535]" |
		[_, port] := host_port(address)
		not valid_port_text(port)
	},
}) if {
	address != ""
}

host_port(address) := parts if {
	parts := split_host_port(address)
} else := ["", ""]

valid_host(host) if is_ip(host)

valid_host(host) if is_dns_name(host)

es_tls := [[r, array.concat(at, ["tls"]), networking.tls] |
	some [r, at, networking] in es_networkings
	not is_null(networking.tls)
]

es_problems contains resource_finding(r, type_problem("ES007", at, tls, "object")) if {
	some [r, at, tls] in es_tls
	not is_object(tls)
}

es_problems contains resource_finding(r, problem("ES007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, tls] in es_tls
	is_object(tls)
	some name, _ in tls
	not name in es_tls_fields
}

es_problems contains resource_finding(r, type_problem("ES007", array.concat(at, [flag]), value, "boolean")) if {
	some [r, at, tls] in es_tls
	some flag in ["enabled", "allowRenegotiation", "skipHostnameVerification"]
	value := tls[flag]
	not is_null(value)
	not is_boolean(value)
}

es_problems contains resource_finding(
	r,
	type_problem("ES007", array.concat(at, ["serverName"]), tls.serverName, "string"),
) if {
	some [r, at, tls] in es_tls
	not is_null(tls.serverName)
	not is_string(tls.serverName)
}

es_problems contains resource_finding(r, problem("ES006", array.concat(at, ["serverName"]), "cannot be empty")) if {
	some [r, at, tls] in es_tls
	tls.serverName == ""
}

es_data_sources := [[r, array.concat(at, [name]), tls[name]] |
	some [r, at, tls] in es_tls
	some name in ["caCert", "clientCert", "clientKey"]
	not is_null(tls[name])
]

es_problems contains resource_finding(r, type_problem("ES007", at, source, "object")) if {
	some [r, at, source] in es_data_sources
	not is_object(source)
}

es_problems contains resource_finding(r, problem("ES007", array.concat(at, [name]), "unknown field")) if {
	some [r, at, source] in es_data_sources
	is_object(source)
	some name, _ in source
	not name in es_data_source_fields
}

# system.ValidateDataSource: a data source that is present must say where the data is.
es_problems contains resource_finding(r, problem("ES006", at, "data source cannot be empty")) if {
	some [r, at, source] in es_data_sources
	every name in es_data_source_fields {
		not truthy(object.get(as_object(source), name, null))
	}
}

es_tags(r) := object.get(as_object(r.spec), "tags", null)

es_problems contains resource_finding(r, finding) if {
	some r in ess
	some finding in string_map_type_problems("ES007", array.concat(r.spec_at, ["tags"]), es_tags(r))
}

# ValidateTags with RequireService and the protocol check; values may not contain "/" or be "*".
es_problems contains resource_finding(
	r,
	problem("ES003", array.concat(r.spec_at, ["tags"]), `mandatory tag "kuma.io/service" is missing`),
) if {
	some r in ess
	not "kuma.io/service" in object.keys(string_items(es_tags(r)))
}

es_problems contains resource_finding(r, problem("ES003", error_at, message)) if {
	some r in ess
	some name, value in string_items(es_tags(r))
	some [error_at, message] in tag_errors(array.concat(r.spec_at, ["tags"]), name, value, false)
}

es_problems contains resource_finding(r, problem("ES004", at, message)) if {
	some r in ess
	protocol := string_items(es_tags(r))["kuma.io/protocol"]
	not lower(protocol) in es_accepted_protocols
	at := array.concat(r.spec_at, ["tags", key("kuma.io/protocol")])
	message := sprintf(
		`tag "kuma.io/protocol" has an invalid value "%s". Allowed values: %s`,
		[protocol, concat(", ", es_protocols)],
	)
}

es_problems contains resource_finding(r, problem("ES005", at, "cannot be the same as networking.address")) if {
	some r in ess
	service := string_items(es_tags(r))["kuma.io/service"]
	service != ""
	[host, _] := split_host_port(as_string(object.get(as_object(es_networking(r)), "address", null)))
	host == service
	at := array.concat(r.spec_at, ["tags", key("kuma.io/service")])
}
