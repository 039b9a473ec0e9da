package kuma.authz.outbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.outbound

outbound_extensions := {"kuma.io/mesh": "default", "kuma.io/direction": "outbound", "kuma.io/service": "orders"}

# the app of "orders" calls an address outside the mesh through its proxy (no TLS downstream)
outbound_check := fx.http_check(outbound_extensions, {})

with_passthrough(flag) := fx.patched(fx.allow_orders, "passthrough", flag)

test_passthrough_allowed if {
	d := outbound.decision with input as outbound_check with data.kuma.compiled as with_passthrough(true)
	d == {
		"allowed": true,
		"headers": {"x-kuma-authz-decision": "allow", "x-kuma-authz-reason": "passthrough-allowed"},
		"response_headers_to_add": {"x-kuma-authz-decision": "allow", "x-kuma-authz-reason": "passthrough-allowed"},
		"dynamic_metadata": {
			"reason": "passthrough-allowed", "direction": "outbound", "mesh": "default",
			"shadow_deny": false,
		},
	}
	outbound.allow with input as outbound_check with data.kuma.compiled as with_passthrough(true)
}

test_passthrough_blocked if {
	d := outbound.decision with input as outbound_check with data.kuma.compiled as with_passthrough(false)
	d == {
		"allowed": false,
		"http_status": 403,
		"body": "kuma: denied (passthrough-blocked)",
		"headers": {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "passthrough-blocked"},
		"dynamic_metadata": {
			"reason": "passthrough-blocked", "direction": "outbound", "mesh": "default",
			"shadow_deny": false,
		},
	}
	not outbound.allow with input as outbound_check with data.kuma.compiled as with_passthrough(false)
}

test_only_a_literal_true_flag_allows if {
	every flag in ["true", 1, null] {
		d := outbound.decision with input as outbound_check with data.kuma.compiled as with_passthrough(flag)
		d.dynamic_metadata.reason == "passthrough-blocked"
	}
}

test_network_check_with_labels if {
	d := outbound.decision with input as fx.tcp_check({}, "")
		with data.kuma.compiled as with_passthrough(true)
		with opa.runtime as {"config": {"labels": {"kuma.io/direction": "outbound"}}}
	d.allowed == true
}

test_unknown_mesh if {
	check := fx.http_check(object.union(outbound_extensions, {"kuma.io/mesh": "shop"}), {})
	d := outbound.decision with input as check with data.kuma.compiled as with_passthrough(true)
	d.allowed == false
	d.dynamic_metadata.reason == "unknown-mesh"
	d.dynamic_metadata.mesh == "shop"
}

test_invalid_input if {
	every bad in [{}, "x", 3, null, {"attributes": []}, fx.http_check({"kuma.io/direction": "out"}, {})] {
		d := outbound.decision with input as bad with data.kuma.compiled as with_passthrough(true)
		d.allowed == false
		d.dynamic_metadata.reason == "invalid-input"
		d.dynamic_metadata.direction == "outbound"
	}
}

test_fallback_decision_is_a_deny if {
	d := outbound.decision with input as outbound_check with data.kuma.compiled as with_passthrough(true)
		with outbound.outcome as {}
	d.allowed == false
	d.dynamic_metadata.reason == "invalid-input"
}

test_allow_is_always_defined if {
	outbound.allow == false with outbound.decision as {}
}

test_no_input_at_all if {
	d := outbound.decision with data.kuma.compiled as with_passthrough(true)
	d.dynamic_metadata.reason == "invalid-input"
}
