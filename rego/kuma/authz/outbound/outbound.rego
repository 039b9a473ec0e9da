# METADATA
# title: Outbound decision
# description: |
#   The local application calls something through its proxy (spec A7). Today the compiler
#   rejects ExternalService and MeshPassthrough, so the mesh's passthrough flag decides.
package kuma.authz.outbound

import data.kuma.authz.request
import data.kuma.authz.response
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

# The ordered chain: the first branch that holds decides. ExternalService (A7) and then
# MeshPassthrough branches go between unknown-mesh and the passthrough flag.
default outcome := {"allowed": false, "reason": "invalid-input"}

outcome := {"allowed": false, "reason": "invalid-input"} if {
	not request.well_formed
} else := {"allowed": false, "reason": "unknown-mesh"} if {
	not mesh_known
} else := {"allowed": true, "reason": "passthrough-allowed"} if {
	# only a literal true allows (fail closed on broken data)
	meshes[request.mesh].passthrough == true
} else := {"allowed": false, "reason": "passthrough-blocked"} if {
	mesh_known
}

# Every mesh document has `mtls` (docs/data-shape.md). Look-ups go straight into `data`, never
# through a rule holding a whole mesh document (see kuma.authz.inbound).
mesh_known if is_string(meshes[request.mesh].mtls)
