# METADATA
# title: The floors the decisions are measured against (docs/benchmarks.md)
# description: |
#   What a decision cannot avoid, each as bare as Rego allows, evaluated in the same OPA as the
#   gen-bundle library on the same inputs. Benchmark only: not shipped, not part of the decision API.
package floor

# An inbound decision by certificate must decode and parse the client certificate that Envoy sends
# (URL-encoded PEM): nothing else tells it the client's tags.
certificate := crypto.x509.parse_certificates(urlquery.decode(input.attributes.source.certificate))

# An outbound decision must at least read where the request goes and look that up once in the
# compiled data (here: by HTTP host, else by TLS server name, else by original address).
default outbound := []

outbound := data.kuma.compiled.meshes[input.attributes.contextExtensions["kuma.io/mesh"]].outbound.by_host[host]

host := lower(input.attributes.request.http.host) if {
	input.attributes.request.http.host
} else := lower(input.attributes.tlsSession.sni) if {
	input.attributes.tlsSession.sni
} else := input.attributes.destination.address.socketAddress.address

# Not a floor but a yardstick for the evaluator itself: the least any certificate decision could do,
# the parse plus one keyed look-up of the entries for the local service and the client's service.
# The gap between it and `certificate` is what OPA charges for a few rule evaluations.
default minimal_inbound := []

minimal_inbound := entries if {
	certificate
	mesh := input.attributes.contextExtensions["kuma.io/mesh"]
	local := input.attributes.contextExtensions["kuma.io/service"]
	client := split(input.attributes.source.principal, "/")[3]
	slot := data.kuma.compiled.meshes[mesh].selection.from.by_pair["kuma.io/service"][local]
	entries := slot.by_pair["kuma.io/service"][client]
}
