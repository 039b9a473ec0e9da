package kuma.authz_test

import data.kuma.authz
import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.request

test_inbound_by_default if {
	check := fx.http_check(fx.payments, {"principal": fx.orders})
	d := authz.decision with input as check with data.kuma.compiled as fx.allow_orders
	d.allowed == true
	d.dynamic_metadata.direction == "inbound"
	d.dynamic_metadata.reason == "allowed-by-policy"
	authz.allow with input as check with data.kuma.compiled as fx.allow_orders
}

test_explicit_inbound if {
	extensions := object.union(fx.payments, {"kuma.io/direction": "inbound"})
	check := fx.http_check(extensions, {"principal": "spiffe://default/web"})
	d := authz.decision with input as check with data.kuma.compiled as fx.allow_orders
	d.dynamic_metadata.reason == "no-matching-rule"
	not authz.allow with input as check with data.kuma.compiled as fx.allow_orders
}

test_outbound if {
	check := fx.http_check({"kuma.io/direction": "outbound", "kuma.io/service": "orders"}, {})
	d := authz.decision with input as check with data.kuma.compiled as fx.allow_orders
	d.dynamic_metadata == {
		"reason": "passthrough-allowed", "direction": "outbound", "mesh": "default",
		"shadow_deny": false,
	}
	authz.allow with input as check with data.kuma.compiled as fx.allow_orders
}

test_outbound_from_labels if {
	d := authz.decision with input as fx.tcp_check({}, "")
		with data.kuma.compiled as fx.allow_orders
		with opa.runtime as {"config": {"labels": {"kuma.io/direction": "outbound"}}}
	d.dynamic_metadata.direction == "outbound"
}

test_invalid_direction if {
	check := fx.http_check(object.union(fx.payments, {"kuma.io/direction": "both"}), {"principal": fx.orders})
	d := authz.decision with input as check with data.kuma.compiled as fx.allow_orders
	d.allowed == false
	d.dynamic_metadata.reason == "invalid-input"
}

test_garbage if {
	every bad in [{}, "x", 1.5, false, null, []] {
		d := authz.decision with input as bad
		d.allowed == false
		d.dynamic_metadata.reason == "invalid-input"
		authz.allow == false with input as bad
	}
}

test_fallback_decision_is_a_deny if {
	# unreachable while request.direction is inbound or outbound; the default still answers
	d := authz.decision with input as {} with request.direction as "sideways"
	d.allowed == false
}

test_allow_is_always_defined if {
	authz.allow == false with authz.decision as {}
}
