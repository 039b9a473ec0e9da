# METADATA
# title: MeshPassthrough
# description: |
#   Outbound traffic to a destination that is not an ExternalService, when MeshPassthrough policies
#   select the local proxy (spec A7, B §8.3 - 8.5). The mode comes from the highest-precedence policy
#   that sets it (unset: Matched). In Matched mode the destination is judged as Envoy picks a filter
#   chain among the merged matches: port (a match without port serves every port), then the longest
#   IP/CIDR prefix that contains the destination (which shuts out every Domain chain), then the TLS
#   server name, then transport (TLS or not), then application protocol (HTTP chains first for HTTP);
#   an HTTP Domain chain then needs a virtual host for the request's host, else Envoy answers 503.
#   Only matches reached by key are looked at, and each checks that its own policy selects the proxy.
package kuma.authz.passthrough

import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.tags
import data.kuma.compiled.meshes

layer7 := {"http", "http2", "grpc"}

# Does any MeshPassthrough select the local proxy? If not, the mesh's passthrough flag decides.
applies if {
	some bucket in tags.reached("passthrough_policies")
	some record in bucket
	tags.selects(record, request.local_tags)
}

# --- passthroughMode -------------------------------------------------------------------------------

mode_candidates contains record if {
	some bucket in tags.reached("passthrough_modes")
	some record in bucket
	tags.selects(record, request.local_tags)
}

mode_rank := max({record.rank | some record in mode_candidates})

mode_setter := [record | some record in mode_candidates; record.rank == mode_rank][0]

default mode := "Matched"

mode := mode_setter.mode

# --- the outcome -----------------------------------------------------------------------------------

outcome := with_policy({"allowed": true, "reason": "passthrough-allowed"}, mode_setter.policy) if {
	mode == "All"
} else := with_policy({"allowed": false, "reason": "passthrough-blocked"}, mode_setter.policy) if {
	mode == "None"
} else := matched_outcome

default matched_outcome := {"allowed": false, "reason": "passthrough-blocked"}

matched_outcome := with_match({"allowed": count(prefix_chains) > 0}, prefix_decider) if {
	# Envoy's destination-IP step: a prefix that contains the destination shuts out Domain chains.
	count(prefix_hits) > 0
} else := with_match({"allowed": true}, server_name_match) if {
	request.protocol == "tls"
} else := with_match({"allowed": true}, virtual_host_match) if {
	request.protocol in layer7
} else := with_policy({"allowed": false}, mode_setter.policy) if {
	mode_setter
}

with_match(verdict, match) := object.union(with_policy(verdict, match.policy), {
	"reason": reason(verdict.allowed),
	"match": object.filter(match, {"type", "value", "port", "protocol"}),
})

with_policy(verdict, policy) := object.union(verdict, {"reason": reason(verdict.allowed), "policy": reference}) if {
	reference := response.reference(meshes[request.mesh].policies[policy])
} else := object.union(verdict, {"reason": reason(verdict.allowed)})

reason(true) := "passthrough-allowed"

reason(false) := "passthrough-blocked"

# A match counts when its policy selects the local proxy (tags) and it serves the destination port.
usable(match, local_tags) if {
	port_serves(match)
	tags.selects(meshes[request.mesh].outbound.mesh_passthrough.selectors[format_int(match.policy, 10)], local_tags)
}

port_serves(match) if not match.port

port_serves(match) if match.port == request.destination_port

# --- IP and CIDR: one look-up per prefix length in use ------------------------------------------------

prefix_hits contains [length, match] if {
	family := request.destination_ip_family
	some length in meshes[request.mesh].outbound.mesh_passthrough.prefix_lengths[family]
	prefix := substring(request.destination_ip_bits, 0, length)
	some match in meshes[request.mesh].outbound.mesh_passthrough.prefixes[family][format_int(length, 10)][prefix]
	usable(match, request.local_tags)
}

longest_prefix := max({length | some [length, _] in prefix_hits})

longest := [match | some [length, match] in prefix_hits; length == longest_prefix]

# Transport first (TLS chains for TLS, raw chains otherwise), then HTTP chains before plain TCP for
# HTTP requests; a plain TCP connection never matches an HTTP chain.
prefix_chains := layer7_chains if {
	request.protocol in layer7
	count(layer7_chains) > 0
} else := [match | some match in longest; transport_fits(match); not match.protocol in layer7]

layer7_chains := [match | some match in longest; match.protocol in layer7]

transport_fits(match) if {
	request.protocol == "tls"
	match.protocol == "tls"
}

transport_fits(match) if {
	request.protocol != "tls"
	match.protocol != "tls"
}

# The chain that decided: the allowing one, else the most specific one that shut the others out.
prefix_decider := prefix_chains[0] if count(prefix_chains) > 0

else := longest[0]

# --- Domain: TLS server names and HTTP virtual hosts -------------------------------------------------

# Exact name first, then the longest wildcard suffix (Envoy's server-name step).
server_name_match := domain_match(request.sni, {"tls"})

# Only where an HTTP Domain chain serves the port; then the host must name one of its virtual hosts.
virtual_host_match := domain_match(request.http_host, layer7) if {
	some port_key in [format_int(request.destination_port, 10), "*"]
	some policy in meshes[request.mesh].outbound.mesh_passthrough.layer7_domain_ports[port_key]
	tags.selects(meshes[request.mesh].outbound.mesh_passthrough.selectors[format_int(policy, 10)], request.local_tags)
}

domain_match(name, protocols) := exact[0] if {
	exact := [match |
		some match in meshes[request.mesh].outbound.mesh_passthrough.domains[name]
		domain_usable(match, protocols)
	]
	count(exact) > 0
} else := wildcard[0] if {
	labels := split(name, ".")
	count(labels) > 1 # a wildcard never matches its bare parent, nor a one-label name
	wildcard := [match |
		some i in numbers.range(1, count(labels) - 1)
		suffix := concat(".", array.slice(labels, i, count(labels)))
		some match in meshes[request.mesh].outbound.mesh_passthrough.wildcards[suffix]
		domain_usable(match, protocols)
	]
	count(wildcard) > 0
}

domain_usable(match, protocols) if {
	match.protocol in protocols
	usable(match, request.local_tags)
	host_port_fits(match)
}

# An HTTP host with a port names the virtual host "<domain>:<port>" of a match with that port;
# a match without port also serves "<domain>:*".
host_port_fits(_) if not request.http_host_port

host_port_fits(match) if not match.port

host_port_fits(match) if match.port == request.http_host_port
