# Kuma's longer messages, shared by the validators (the texts are Kuma's, v2.14.3).
package checks.lib

messages := {
	"tag_name": "tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores",
	"tag_value": "tag value must consist of alphanumeric characters, dots, dashes and underscores",
	"selector_value": `tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"`,
	"service_name": "invalid characters: must consist of lower case alphanumeric characters, '-', '.' and '_'.",
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

# Accepted by Python's datetime.fromisoformat, which the reader uses (RFC 3339 and its relatives).
timestamp_pattern := concat("", [
	`^\d{4}-?\d{2}-?\d{2}`,
	`([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?`,
	`(Z|[+-]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?)?$`,
])
