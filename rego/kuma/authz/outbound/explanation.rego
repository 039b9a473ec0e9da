# Outbound explanation (docs/explain.md): why the outbound decision is what it is: the decision,
# the step that made it, every ExternalService the destination names with the TrafficPermission
# that governs it, and every MeshPassthrough that selects the local proxy. `decision` never reads it.
package kuma.authz.outbound

import data.kuma.authz.passthrough
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.tags
import data.kuma.compiled.meshes

# METADATA
# title: explanation
# description: The outbound decision with its reasons (docs/explain.md). Always defined.
# scope: document
# entrypoint: true
explanation := {
	"decision": decision,
	"step": step,
	"mesh": request.mesh,
	"local": {"tags": request.local_tags},
	"destination": {
		"address": destination_address,
		"port": destination_port,
		"host": destination_host,
		"sni": destination_sni,
		"protocol": request.protocol,
	},
	"entries": [item | some [_, item] in sort(explained)],
}

default destination_address := ""

destination_address := request.destination_ip

default destination_port := 0

destination_port := request.destination_port

default destination_host := ""

destination_host := request.http_host

default destination_sni := ""

destination_sni := request.sni

# input, external-service, mesh-passthrough, or passthrough-flag (the Mesh's outbound passthrough).
default step := "passthrough-flag"

step := "input" if {
	outcome.reason in {"invalid-input", "unknown-mesh"}
} else := "external-service" if {
	count(named_services) > 0
} else := "mesh-passthrough" if {
	passthrough.applies
}

explained contains [[0, index], explain_service(index)] if {
	step != "input"
	some index in named_services
}

explained contains [[1, to_number(key)], explain_passthrough(to_number(key))] if {
	step != "input"
	some key, selector in meshes[request.mesh].outbound.mesh_passthrough.selectors
	tags.selects(selector, request.local_tags)
}

# --- ExternalService -------------------------------------------------------------------------------

explain_service(index) := object.union(
	{
		"kind": "external-service",
		"service": object.filter(meshes[request.mesh].outbound.external_services[index], {"name", "service", "address"}),
		"policy": governing_policy(index),
	},
	service_verdict(index),
)

governing_policy(index) := policy_reference(meshes[request.mesh].outbound.external_services[index].policy) if {
	is_number(meshes[request.mesh].outbound.external_services[index].policy)
} else := {}

service_verdict(index) := verdict(status, "a source of the TrafficPermission that governs it matches the proxy") if {
	admits(index)
	status := deciding_status(index)
} else := verdict(status, "no TrafficPermission governs it, so no proxy may reach it") if {
	governing_policy(index) == {}
	status := deciding_status(index)
} else := verdict(status, "no source of the TrafficPermission that governs it matches the proxy's tags") if {
	status := deciding_status(index)
}

# Several ExternalServices named at once must all admit; the one named in the decision decided.
deciding_status(index) := "decided" if {
	index == deciding_service
} else := "also-named"

# --- MeshPassthrough ---------------------------------------------------------------------------------

explain_passthrough(index) := object.union(
	{"kind": "mesh-passthrough", "policy": policy_reference(index)},
	passthrough_verdict(index),
)

passthrough_verdict(index) := verdict("not-reached", "the destination is an ExternalService") if {
	step == "external-service"
} else := verdict("decided", passthrough_why) if {
	names := {"kind", "mesh", "name", "namespace"}
	object.filter(policy_reference(index), names) == object.filter(outcome.policy, names)
} else := verdict("lower-precedence", "it selects the proxy too; another MeshPassthrough decided")

default passthrough_why := "passthroughMode Matched, and no match serves the destination"

passthrough_why := sprintf("passthroughMode %s", [passthrough.mode]) if {
	passthrough.mode in {"All", "None"}
} else := sprintf("passthroughMode Matched: match %s %s", [outcome.match.type, outcome.match.value]) if {
	outcome.match
}

# --- helpers ----------------------------------------------------------------------------------------

verdict(status, why) := {"status": status, "why": why}

policy_reference(index) := object.union(reference, {"index": index}) if {
	reference := response.reference(meshes[request.mesh].policies[index])
} else := {"index": index}
