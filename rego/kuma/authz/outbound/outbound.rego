# METADATA
# title: Outbound decision
# description: |
#   The local application calls something through its proxy (spec A7). A destination that is an
#   ExternalService is decided by the TrafficPermission that governs it; any other destination by
#   the MeshPassthrough policies that select the local proxy, or else the mesh's passthrough flag.
package kuma.authz.outbound

import data.kuma.authz.passthrough
import data.kuma.authz.request
import data.kuma.authz.response
import data.kuma.authz.tags
import data.kuma.compiled.meshes

# METADATA
# title: allow
# description: Whether the outbound request may pass. Always defined.
# scope: document
# entrypoint: true
default allow := false

allow := decision.allowed

# METADATA
# title: decision
# description: The OPA-Envoy decision object (docs/decision-api.md). Always defined.
# scope: document
# entrypoint: true
default decision := {
	"allowed": false,
	"http_status": 403,
	"body": "kuma: denied (invalid-input)",
	"headers": {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "invalid-input"},
	"dynamic_metadata": {"reason": "invalid-input", "direction": "outbound", "mesh": "", "shadow_deny": false},
}

decision := response.decision("outbound", request.mesh, outcome)

# The ordered chain: the first branch that holds decides.
default outcome := {"allowed": false, "reason": "invalid-input"}

outcome := {"allowed": false, "reason": "invalid-input"} if {
	not request.well_formed
} else := {"allowed": false, "reason": "unknown-mesh"} if {
	not mesh_known
} else := external_service_outcome if {
	count(named_services) > 0
} else := passthrough.outcome if {
	passthrough.applies
} else := {"allowed": true, "reason": "passthrough-allowed"} if {
	# only a literal true allows (fail closed on broken data)
	meshes[request.mesh].passthrough == true
} else := {"allowed": false, "reason": "passthrough-blocked"} if {
	mesh_known
}

# Every mesh document has `mtls` (docs/data-shape.md). Look-ups go straight into `data`, never
# through a rule holding a whole mesh document (see kuma.authz.inbound).
mesh_known if is_string(meshes[request.mesh].mtls)

# --- ExternalService (spec A7, B §6.4) -----------------------------------------------------------

# ExternalServices the destination names: by original address, HTTP host or TLS server name.
named_services contains index if {
	some index in meshes[request.mesh].outbound.by_address[request.destination_key]
}

named_services contains index if {
	some index in meshes[request.mesh].outbound.by_host[request.http_host]
}

named_services contains index if {
	some index in meshes[request.mesh].outbound.by_host[request.sni]
}

# The governing TrafficPermission admits the local proxy when one source selector matches its
# inbound's tags: every key present, the value equal or "*" (Kuma's TagSelector).
admits(index) if {
	some source in meshes[request.mesh].outbound.external_services[index].sources
	tags.local_pairs_hold(source, request.local_tags)
}

# Several ExternalServices named at once (ambiguous data) must all admit: fail closed.
refused contains index if {
	some index in named_services
	not admits(index)
}

deciding_service := min(refused) if {
	count(refused) > 0
} else := min(named_services)

default external_service_verdict := {"allowed": false, "reason": "external-service-denied"}

external_service_verdict := {"allowed": true, "reason": "external-service-allowed"} if count(refused) == 0

external_service_outcome := object.union(external_service_verdict, {"policy": reference}) if {
	policy := meshes[request.mesh].outbound.external_services[deciding_service].policy
	reference := response.reference(meshes[request.mesh].policies[policy])
} else := external_service_verdict
