# Every value Kuma parses, parsed here once: names, tags, addresses, ports, durations, SPIFFE IDs.
#
# Kuma is Go: its patterns are RE2 (`$` is the end of the text, so a trailing newline does not
# match), its digits are ASCII, its IP addresses are net.ParseIP's (no zone, no leading zeros) and
# its CIDRs net.ParseCIDR's (a prefix length, not a netmask). OPA's regex.match and net.* builtins
# are the same Go code, so these rules accept exactly what Kuma accepts.
package checks.lib

# Kuma's longer messages (v2.14.3).
messages := {
	"tag_name": "tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores",
	"tag_value": "tag value must consist of alphanumeric characters, dots, dashes and underscores",
	"selector_value": `tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"`,
	"service_name": "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
	"resource_name": concat("", [
		"invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric ",
		"characters, '-' or '.', and must start and end with an alphanumeric character",
	]),
	"mesh_name": "invalid characters. Valid characters are numbers, lowercase latin letters and '-', '_', '.' symbols.",
	"namespace": concat("", [
		"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', ",
		"and must start and end with an alphanumeric character",
	]),
	"trust_domain_char": concat("", [
		"trust domain characters are limited to lowercase letters, numbers, dots, dashes, ",
		"and underscores",
	]),
	"path_segment_char": "path segment characters are limited to letters, numbers, dots, dashes, and underscores",
	"partial_wildcard": "provided DNS has incorrect value, partial wildcard is currently not supported",
	"same_port": concat("", [
		"using the same port in multiple matches requires the same protocol for the following protocols: ",
		"[grpc http http2]",
	]),
	"wildcard_port": "wildcard domains doesn't work for all ports and layer 7 protocol",
	# Spec A8: Kuma accepts these, gen-bundle does not.
	"bare_wildcard": `provided DNS has incorrect value, a bare wildcard "*" is not supported`,
	"wildcard_labels": "provided DNS has incorrect value, more than one wildcard label is not supported",
	"dns1123_subdomain": concat("", [
		"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', ",
		"and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is ",
		`'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
	]),
}

# --- names (meta_validator.go ValidateMeta / ValidateMesh) -----------------------------------------

resource_name_error(name) := "value length must less or equal 253" if {
	count(name) > 253
} else := messages.resource_name if {
	not regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, name)
}

mesh_name_error(mesh) := "value length must less or equal 253" if {
	count(mesh) > 253
} else := messages.mesh_name if {
	not regex.match(`^[0-9a-z-_.]*$`, mesh)
}

# Kubernetes validates a namespace as an RFC 1123 label.
namespace_error(ns) := "must be no more than 63 characters" if {
	count(ns) > 63
} else := messages.namespace if {
	not regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, ns)
}

# MeshService names in targetRefs (NameCharacterSet).
valid_service_name(name) if regex.match(`^[0-9a-z.\-_]*$`, name)

# --- tags (validators.go ValidateTags / ValidateSelector) ------------------------------------------

valid_tag_name(name) if regex.match(`^[a-zA-Z0-9.\-_:/]*$`, name)

valid_tag_value(value) if regex.match(`^[a-zA-Z0-9.\-_:]*$`, value)

valid_selector_value(value) if regex.match(`^([a-zA-Z0-9.\-_:/]*|\*)$`, value)

# Kuma's rules for one tag (validateTagKeyValues), each checked on its own: [at, message] pairs.
# An empty name is reported at the map itself, the rest at the key; `selector` allows "*" and "/".
tag_errors(at, name, value, selector) := {[error_at, message] |
	some [error_at, message] in [
		[at, "tag name must be non-empty"],
		[array.concat(at, [key(name)]), messages.tag_name],
		[array.concat(at, [key(name)]), "tag value must be non-empty"],
		[array.concat(at, [key(name)]), value_message(selector)],
	]
	tag_rule_broken(message, name, value, selector)
}

value_message(true) := messages.selector_value

value_message(false) := messages.tag_value

tag_rule_broken("tag name must be non-empty", "", _, _)

tag_rule_broken(message, name, _, _) if {
	message == messages.tag_name
	not valid_tag_name(name)
}

tag_rule_broken("tag value must be non-empty", _, "", _)

tag_rule_broken(message, _, value, false) if {
	message == messages.tag_value
	not valid_tag_value(value)
}

tag_rule_broken(message, _, value, true) if {
	message == messages.selector_value
	not valid_selector_value(value)
}

# --- addresses ---------------------------------------------------------------------------------------

# govalidator.IsIP: net.ParseIP. Any IPv6 address takes a /32 prefix, as any IPv4 one does.
is_ip(value) if net.cidr_is_valid(concat("", [value, "/32"]))

# govalidator.IsCIDR: net.ParseCIDR.
is_cidr(value) if net.cidr_is_valid(value)

# govalidator.IsDNSName.
is_dns_name(value) if {
	value != ""
	count(replace(value, ".", "")) <= 255
	not is_ip(value)
	regex.match(`^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[\._]?$`, value)
}

# net.SplitHostPort for the addresses Kuma takes: [host, port], or undefined when it fails.
split_host_port(address) := [parts[1], parts[2]] if {
	parts := regex.find_all_string_submatch_n(`^\[([^\[\]]*)\]:([^:\[\]]*)$`, address, 1)[0]
} else := [parts[1], parts[2]] if {
	parts := regex.find_all_string_submatch_n(`^([^:\[\]]*):([^:\[\]]*)$`, address, 1)[0]
}

# strconv.ParseUint(port, 10, 32): ASCII digits only, at most 2^32 - 1.
parsable_port(port) if {
	regex.match(`^[0-9]+$`, port)
	to_number(port) <= 4294967295
}

# ValidatePort on the parsed number.
valid_port_text(port) if {
	parsable_port(port)
	valid_port_number(to_number(port))
}

valid_port_number(port) if {
	port >= 1
	port <= 65535
}

# --- durations (Kuma's: Go's units plus days, "1d", "36h", "1h30m") -------------------------------

valid_duration(value) if regex.match(`^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$`, value)

# --- SNI values (k8s.io/apimachinery IsDNS1123Subdomain) --------------------------------------------

dns1123_subdomain_errors(value) := {"must be no more than 253 characters" | count(value) > 253} | {
messages.dns1123_subdomain |
	not regex.match(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`, value)
}

# --- SPIFFE IDs (go-spiffe spiffeid.FromString: the first error, scanning left to right) -----------

spiffe_id_error("") := "cannot be empty"

spiffe_id_error(id) := "scheme is missing or invalid" if {
	id != ""
	not startswith(id, "spiffe://")
}

spiffe_id_error(id) := error if {
	startswith(id, "spiffe://")
	parts := split(substring(id, count("spiffe://"), -1), "/")
	errors := array.concat(trust_domain_errors(parts[0]), path_errors(array.slice(parts, 1, count(parts))))
	error := errors[0]
}

trust_domain_errors(td) := [messages.trust_domain_char] if {
	not regex.match(`^[a-z0-9._-]*$`, td)
} else := ["trust domain is missing"] if {
	td == ""
} else := []

path_errors(segments) := [error |
	some i, segment in segments
	error := segment_error(segment, i == (count(segments) - 1))
]

segment_error(segment, last) := messages.path_segment_char if {
	not regex.match(`^[a-zA-Z0-9._-]*$`, segment)
} else := "path cannot have a trailing slash" if {
	segment == ""
	last
} else := "path cannot contain empty segments" if {
	segment == ""
} else := "path cannot contain dot segments" if {
	segment in {".", ".."}
}
