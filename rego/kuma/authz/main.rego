# METADATA
# title: Both directions in one OPA
# description: |
#   Dispatches on the normalised `kuma.io/direction` setting (default inbound). An invalid
#   direction goes to the inbound rules, which deny it as invalid-input.
package kuma.authz

import data.kuma.authz.inbound
import data.kuma.authz.outbound
import data.kuma.authz.request

# METADATA
# title: allow
# description: Whether the request may pass, in either direction. Always defined.
# scope: document
# entrypoint: true
default allow := false

allow := decision.allowed

# METADATA
# title: decision
# description: The OPA-Envoy decision object for either direction. Always defined.
# scope: document
# entrypoint: true
default decision := {
	"allowed": false,
	"http_status": 403,
	"body": "kuma: denied (invalid-input)",
	"headers": {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "invalid-input"},
	"dynamic_metadata": {"reason": "invalid-input", "direction": "inbound", "mesh": "", "shadow_deny": false},
}

# request.direction is always "inbound" or "outbound"
decision := inbound.decision if request.direction == "inbound"

decision := outbound.decision if request.direction == "outbound"
