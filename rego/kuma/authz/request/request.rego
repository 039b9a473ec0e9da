# METADATA
# title: Request normalisation
# description: |
#   Turns the OPA-Envoy input into the few facts a decision needs: the mesh, the direction, the
#   tags of the local inbound and the client's mTLS identity. Every rule here is defined for any
#   input at all, or is a helper whose absence the decision rules treat as "deny".
#   Headers (x-kuma-tags, x-forwarded-client-cert, ...) are never read: they are not identity.
package kuma.authz.request

# Settings keys that are not tags of the local inbound: the mesh, the direction, and the facts of
# the local Dataplane that `Dataplane` targetRefs and MeshIdentity selectors read (decision-api.md).
reserved_keys := {
	"kuma.io/mesh",
	"kuma.io/direction",
	"kuma.io/dataplane-name",
	"kuma.io/dataplane-namespace",
	"kuma.io/dataplane-labels",
	"kuma.io/inbound-name",
}

# --- the parts of the input we read, type-checked ---------------------------------------------

default attributes := {}

attributes := input.attributes if is_object(input.attributes)

default source := {}

source := attributes.source if is_object(attributes.source)

default destination := {}

destination := attributes.destination if is_object(attributes.destination)

default context_extensions := {}

context_extensions := attributes.contextExtensions if is_object(attributes.contextExtensions)

# The client's URI SANs as Envoy hands them from its own TLS session (kuma.authz.identity).
session_uri_sans := attributes.metadataContext.filterMetadata["kuma.authz"].peer_uri_sans

# The OPA instance's labels. A rule of its own so that tests can replace it with `with`.
default runtime_labels := {}

runtime_labels := configured if {
	configured := opa.runtime().config.labels
	is_object(configured)
}

# Labels usable as settings: OPA's own `id` label names the OPA instance, it is not a tag, and
# only strings can be tag values.
labels[key] := value if {
	some key, value in runtime_labels
	key != "id"
	is_string(value)
}

# --- mesh and direction: first place that has them ---------------------------------------------

default raw_direction := "inbound"

raw_direction := value if {
	value := context_extensions["kuma.io/direction"]
} else := value if {
	value := labels["kuma.io/direction"]
}

direction_valid if raw_direction in {"inbound", "outbound"}

# Always "inbound" or "outbound"; an invalid raw value makes the input not well formed.
default direction := "inbound"

direction := "outbound" if raw_direction == "outbound"

default mesh := "default"

mesh := name if {
	name := context_extensions["kuma.io/mesh"]
	is_string(name)
} else := name if {
	name := labels["kuma.io/mesh"]
} else := name if {
	name := trust_domain(destination.principal)
}

# --- tags of the local inbound: a whole tag set from the first place that carries one -----------

context_extension_tags[key] := value if {
	some key, value in context_extensions
	not key in reserved_keys
}

label_tags[key] := value if {
	some key, value in labels
	not key in reserved_keys
}

# Tag sets are never merged across places: a mix could describe an inbound that does not exist.
default local_tags := {}

local_tags := context_extension_tags if {
	count(context_extension_tags) > 0
} else := label_tags if {
	count(label_tags) > 0
} else := {"kuma.io/service": id[1]} if {
	# network filter without labels: the local certificate names the service (inbound only,
	# because only there is Envoy's own certificate the one of the called service)
	direction == "inbound"
	id := kuma_spiffe_id(destination.principal)
	id[0] == mesh
}

local_service := local_tags["kuma.io/service"]

# --- the local Dataplane (Kuma 2.10+ Dataplane targetRefs, 2.12+ MeshIdentity selectors) ----------

# A fact of the Dataplane, from the first place that has it: the check's context extensions, else
# OPA's labels (the facts describe the whole proxy, so they may come from either).
dataplane_setting(key) := value if {
	value := context_extensions[key]
	is_string(value)
} else := labels[key]

default dataplane_name := ""

dataplane_name := dataplane_setting("kuma.io/dataplane-name")

default dataplane_namespace := ""

dataplane_namespace := dataplane_setting("kuma.io/dataplane-namespace")

# The Dataplane's labels, a JSON object of strings in one setting (label keys contain "/" and
# tags may too, so they cannot share the settings' keys). Anything else is no labels; `problems`
# says why.
default dataplane_labels := {}

dataplane_labels := json.unmarshal(dataplane_setting("kuma.io/dataplane-labels")) if dataplane_labels_valid

# The Dataplane's zone, as its kuma.io/zone label says (the zone of Kuma's identifier of it).
default dataplane_zone := ""

dataplane_zone := dataplane_labels["kuma.io/zone"]

dataplane_identity := {"name": dataplane_name, "namespace": dataplane_namespace, "zone": dataplane_zone}

# Kuma's section name of an inbound: its name when it has one, else its port in decimal. The name
# comes from the check's context extensions only: they describe one listener, OPA's labels the whole
# proxy (a network-filter check is known by its port).
inbound_section := name if {
	name := context_extensions["kuma.io/inbound-name"]
	is_string(name)
	name != ""
} else := format_int(destination.address.socketAddress.portValue, 10) if {
	is_number(destination.address.socketAddress.portValue)
}

# --- what rules[] matches see (Kuma 2.12+: Envoy's server_name input; uri_san: kuma.authz.identity) -----

# The TLS server name as the client sent it: Kuma's sni match compares it exactly.
default server_name := ""

server_name := attributes.tlsSession.sni if is_string(attributes.tlsSession.sni)

# --- well-formedness ----------------------------------------------------------------------------

# Why the input is not well formed; empty for a good input. For tests and for operators
# (query data.kuma.authz.request.problems); the decision itself uses `well_formed`.
problems contains "input is not an object" if not input_is_object

# Every CheckRequest has attributes: an input without them is not a check at all.
problems contains "attributes is missing" if {
	is_object(input)
	not "attributes" in object.keys(input)
}

problems contains "attributes is not an object" if not_object(input, "attributes")

problems contains "attributes.source is not an object" if not_object(attributes, "source")

problems contains "attributes.destination is not an object" if not_object(attributes, "destination")

problems contains "attributes.contextExtensions is not an object" if {
	not_object(attributes, "contextExtensions")
}

problems contains "attributes.source.principal is not a string" if not_string(source, "principal")

problems contains "attributes.source.certificate is not a string" if not_string(source, "certificate")

problems contains "attributes.destination.principal is not a string" if not_string(destination, "principal")

problems contains sprintf("context extension %q is not a string", [key]) if {
	some key, value in context_extensions
	not is_string(value)
}

problems contains "metadataContext kuma.authz peer_uri_sans is not a string or a list of strings" if {
	not session_uris_valid
}

problems contains "kuma.io/direction is neither inbound nor outbound" if not direction_valid

problems contains "kuma.io/dataplane-labels is not a JSON object of strings" if not dataplane_labels_valid

default dataplane_labels_valid := true

dataplane_labels_valid := false if not valid_labels_text(dataplane_setting("kuma.io/dataplane-labels"))

valid_labels_text(text) if {
	parsed := json.unmarshal(text)
	is_object(parsed)
	every value in parsed {
		is_string(value)
	}
}

default session_uris_valid := true

# (absent: `not` of an undefined argument leaves the body undefined, so the default holds)
session_uris_valid := false if not valid_uri_list(session_uri_sans)

valid_uri_list(value) if is_string(value)

valid_uri_list(value) if {
	is_array(value)
	every item in value {
		is_string(item)
	}
}

# A rule, not `not is_object(input)` above: that would be undefined, not true, when there is no
# input at all (OPA evaluates `not f(x)` as `t = x; not f(t)`, open-policy-agent/opa#1877).
input_is_object if is_object(input)

# The same conditions as `problems`, checked directly: the hot path then skips building the set
# (tests check that both agree).
default well_formed := false

well_formed if {
	is_object(input.attributes)
	is_object(object.get(attributes, "source", {}))
	is_object(object.get(attributes, "destination", {}))
	is_object(object.get(attributes, "contextExtensions", {}))
	is_string(object.get(source, "principal", ""))
	is_string(object.get(source, "certificate", ""))
	is_string(object.get(destination, "principal", ""))
	every value in context_extensions {
		is_string(value)
	}
	direction_valid
	dataplane_labels_valid
	session_uris_valid
}

# obj has key and its value is not an object / not a string (absent keys are fine)
not_object(obj, key) if {
	value := obj[key]
	not is_object(value)
}

not_string(obj, key) if {
	value := obj[key]
	not is_string(value)
}

# --- URI helpers --------------------------------------------------------------------------------

# spiffe://<mesh>/<service> -> [mesh, service]; undefined for any other shape (other schemes,
# MeshIdentity paths such as /ns/x/sa/y, empty parts).
kuma_spiffe_id(id_uri) := parts if {
	startswith(id_uri, "spiffe://")
	parts := split(substring(id_uri, 9, -1), "/")
	count(parts) == 2
	parts[0] != ""
	parts[1] != ""
}

trust_domain(id_uri) := domain if {
	startswith(id_uri, "spiffe://")
	domain := split(substring(id_uri, 9, -1), "/")[0]
	domain != ""
}

# --- outbound destination (spec A7) --------------------------------------------------------------

# The original destination as the compiler keys ExternalService addresses: the address as bits
# (any spelling of an IPv6 address gives the same key), a colon, the port.
destination_key := sprintf("%s:%d", [destination_ip_bits, destination_port])

# The HTTP host as sent (the :authority header when the host field is absent).
raw_http_host := attributes.request.http.host if {
	is_string(attributes.request.http.host)
} else := attributes.request.http.headers[":authority"] if {
	is_string(attributes.request.http.headers[":authority"])
}

# The HTTP host, lower case, without a port: names are matched without case.
http_host := host_name(lower(raw_http_host))

# The TLS server name the client asked for (network filter with include_tls_session).
sni := lower(attributes.tlsSession.sni) if is_string(attributes.tlsSession.sni)

host_name(authority) := parts[1] if {
	parts := regex.find_all_string_submatch_n(`^\[([^\]]+)\](:[0-9]*)?$`, authority, 1)[0]
} else := parts[1] if {
	parts := regex.find_all_string_submatch_n(`^([^:]+)(:[0-9]*)?$`, authority, 1)[0]
}

destination_ip := destination.address.socketAddress.address if is_string(destination.address.socketAddress.address)

destination_port := destination.address.socketAddress.portValue if {
	is_number(destination.address.socketAddress.portValue)
}

# The port written in the HTTP host, when there is one ("api.example.com:8080" ⇒ 8080).
http_host_port := to_number(parts[2]) if {
	parts := regex.find_all_string_submatch_n(`^(\[[^\]]+\]|[^:]+):([0-9]+)$`, raw_http_host, 1)[0]
}

# Outbound protocol (decision-api.md): an HTTP check is http, http2 (HTTP/2) or grpc (gRPC content
# type); a network check with a server name is tls; anything else is tcp.
default protocol := "tcp"

protocol := "grpc" if {
	is_object(attributes.request.http)
	startswith(lower(attributes.request.http.headers["content-type"]), "application/grpc")
} else := "http2" if {
	is_object(attributes.request.http)
	attributes.request.http.protocol == "HTTP/2"
} else := "http" if {
	is_object(attributes.request.http)
} else := "tls" if {
	is_string(sni)
}

# The destination address as bits ("0" and "1"), for prefix look-ups: 32 of them for IPv4, 128 for
# IPv6. Undefined for anything that is not an IP address.
destination_ip_bits := ipv4_bits(destination_ip) if {
	regex.match(`^[0-9]{1,3}(\.[0-9]{1,3}){3}$`, destination_ip)
} else := ipv6_bits(destination_ip) if {
	contains(destination_ip, ":")
}

destination_ip_family := "v4" if count(destination_ip_bits) == 32

destination_ip_family := "v6" if count(destination_ip_bits) == 128

ipv4_bits(ip) := concat("", [sprintf("%08b", [octet]) |
	some part in split(ip, ".")
	octet := to_number(part)
]) if {
	every part in split(ip, ".") {
		to_number(part) <= 255
	}
}

# Eight hextets, "::" expanded; each hex digit becomes four bits.
ipv6_bits(ip) := concat("", nibbles) if {
	regex.match(`^[0-9a-fA-F:]+$`, ip)
	groups := ipv6_groups(lower(ip))
	count(groups) == 8
	every group in groups {
		count(group) <= 4
	}
	nibbles := [nibble |
		some group in groups
		some digit in split(sprintf("%4s", [group]), "")
		nibble := hex_bits[digit]
	]
}

ipv6_groups(ip) := groups if {
	not contains(ip, "::")
	groups := split(ip, ":")
} else := array.flatten([head, padding, tail]) if {
	halves := split(ip, "::")
	count(halves) == 2
	head := hextets(halves[0])
	tail := hextets(halves[1])
	padding := [group | some _ in numbers.range(1, (8 - count(head)) - count(tail)); group := "0"]
}

hextets("") := []

hextets(text) := split(text, ":") if text != ""

hex_bits := {
	" ": "0000", "0": "0000", "1": "0001", "2": "0010", "3": "0011", "4": "0100", "5": "0101",
	"6": "0110", "7": "0111", "8": "1000", "9": "1001", "a": "1010", "b": "1011", "c": "1100",
	"d": "1101", "e": "1110", "f": "1111",
}
