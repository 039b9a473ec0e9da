# No from[] entry applies: no-matching-rule when a MeshTrafficPermission selects the inbound (naming
# the selecting one of the highest precedence), no-policy otherwise. Helpers: inbound_test.rego.
package kuma.authz.inbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound

empty_from := {"any": fx.bucket([], {}), "by_pair": {}}

with_selects(selects) := fx.compiled(fx.mesh_doc("strict", selects, empty_from))

test_no_matching_rule_vs_no_policy if {
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as orders_check
		with data.kuma.compiled as with_selects(fx.selects_payments)
	inbound.decision.dynamic_metadata.reason == "no-policy" with input as orders_check
		with data.kuma.compiled as with_selects({"any": [], "by_pair": {}})

	# data-shape: malformed: a mesh document without `inbound`
	inbound.decision.dynamic_metadata.reason == "no-policy" with input as orders_check
		with data.kuma.compiled as fx.compiled(object.remove(fx.mesh_doc("strict", {}, {}), ["inbound"]))
}

test_selection_needs_remaining_pairs if {
	ledger := {"any": [], "by_pair": {"kuma.io/service": {"payments": [{"inbound": {"app": "ledger"}, "policy": 1}]}}}
	inbound.decision.dynamic_metadata.reason == "no-policy" with input as orders_check
		with data.kuma.compiled as with_selects(ledger)
	wide := {"any": [{"inbound": {"version": "v2"}, "policy": 2}], "by_pair": {}}
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as orders_check
		with data.kuma.compiled as with_selects(wide)
}

test_selection_zone_condition if {
	zoned := {"any": [{"inbound": {}, "zone": "zone-1", "policy": 4}], "by_pair": {}}
	other_zone := fx.http_check(object.union(fx.payments, {"kuma.io/zone": "zone-2"}), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "no-policy" with input as other_zone
		with data.kuma.compiled as with_selects(zoned)
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as orders_check
		with data.kuma.compiled as with_selects(zoned)
}

test_no_matching_rule_decision_names_the_selecting_policy if {
	d := inbound.decision with input as orders_check with data.kuma.compiled as with_selects(fx.selects_payments)
	d == {
		"allowed": false,
		"http_status": 403,
		"body": "kuma: denied (no-matching-rule) by MeshTrafficPermission default/kuma-system/allow-orders",
		"headers": {
			"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "no-matching-rule",
			"x-kuma-authz-policy": "MeshTrafficPermission/default/kuma-system/allow-orders",
		},
		"dynamic_metadata": {
			"reason": "no-matching-rule", "direction": "inbound", "mesh": "default",
			"shadow_deny": false,
			"policy": {"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-orders", "namespace": "kuma-system"},
		},
	}
}

# Of the policies that select the inbound, the one of the highest precedence (number) is named; a
# higher one whose selector does not hold is not.
test_no_matching_rule_names_the_selecting_policy_of_the_highest_precedence if {
	selects := {
		"any": [{"inbound": {}, "policy": 1}, {"inbound": {"version": "v9"}, "policy": 4}],
		"by_pair": {"kuma.io/service": {"payments": [{"inbound": {}, "policy": 0}, {"inbound": {}, "policy": 3}]}},
	}
	d := inbound.decision.dynamic_metadata with input as orders_check with data.kuma.compiled as with_selects(selects)
	d.reason == "no-matching-rule"
	d.policy.name == "shadow-billing"
}

# Data without policy numbers (or naming a row that is not there) still denies, naming none.
test_no_matching_rule_without_a_policy_number_names_none if {
	unnumbered := {"any": [{"inbound": {}}], "by_pair": {}}

	# data-shape: malformed: a selection record without its policy's number
	d := inbound.decision.dynamic_metadata with input as orders_check with data.kuma.compiled as with_selects(unnumbered)
	d.reason == "no-matching-rule"
	not d.policy
	beyond := {"any": [{"inbound": {}, "policy": 99}], "by_pair": {}}
	e := inbound.decision.dynamic_metadata with input as orders_check with data.kuma.compiled as with_selects(beyond)
	e.reason == "no-matching-rule"
	not e.policy
}
