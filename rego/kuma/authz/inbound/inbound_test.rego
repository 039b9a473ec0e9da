package kuma.authz.inbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound

# --- helpers ------------------------------------------------------------------------------------

# data.kuma.compiled for mesh "default" (strict) with the given `from` index
with_from(from) := fx.compiled(fx.mesh_doc("strict", fx.selects_payments, from))

# a `from` index with one bucket for inbound kuma.io/service=payments
payments_bucket(any_client, by_client_pair) := {
	"any": fx.bucket([], {}),
	"by_pair": {"kuma.io/service": {"payments": fx.bucket(any_client, by_client_pair)}},
}

orders_check := fx.http_check(fx.payments, {"principal": fx.orders})

# --- invalid input ------------------------------------------------------------------------------

test_any_input_gives_a_decision if {
	every bad in [{}, "a string", 42, null, true, [1], {"attributes": 7}] {
		d := inbound.decision with input as bad with data.kuma.compiled as fx.allow_orders
		d.allowed == false
		d.http_status == 403
		d.dynamic_metadata.reason == "invalid-input"
		inbound.allow == false with input as bad with data.kuma.compiled as fx.allow_orders
	}
}

test_without_any_data if {
	inbound.decision.dynamic_metadata.reason == "unknown-mesh" with input as orders_check
}

test_missing_local_service if {
	check := fx.http_check({"kuma.io/mesh": "default", "app": "payments"}, {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as check
		with data.kuma.compiled as fx.allow_orders
}

test_bad_direction if {
	check := fx.http_check(object.union(fx.payments, {"kuma.io/direction": "sideways"}), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as check
		with data.kuma.compiled as fx.allow_orders
}

test_invalid_certificate if {
	check := fx.http_check(fx.payments, {"principal": fx.orders, "certificate": "garbage"})
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as check
		with data.kuma.compiled as fx.allow_orders
	check_dns := fx.http_check(fx.payments, {"principal": fx.orders, "certificate": fx.cert_dns})
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as check_dns
		with data.kuma.compiled as fx.allow_orders
}

test_fallback_decision_is_a_deny if {
	# if building the decision ever failed, the default still answers
	d := inbound.decision with input as orders_check with data.kuma.compiled as fx.allow_orders
		with inbound.outcome as {}
	d.allowed == false
	d.dynamic_metadata.reason == "invalid-input"
}

# --- mesh and mTLS mode -------------------------------------------------------------------------

test_unknown_mesh if {
	check := fx.http_check(object.union(fx.payments, {"kuma.io/mesh": "shop"}), {"principal": "spiffe://shop/orders"})
	inbound.decision.dynamic_metadata.reason == "unknown-mesh" with input as check
		with data.kuma.compiled as fx.allow_orders

	# data-shape: malformed: another format, and a mesh that is no document
	inbound.decision.dynamic_metadata.reason == "unknown-mesh" with input as orders_check
		with data.kuma.compiled as {"format": 1, "meshes": {"default": "not a document"}}
}

test_mtls_disabled_allows_everything if {
	deny_all := fx.compiled(fx.mesh_doc("disabled", fx.selects_payments, {
		"any": fx.bucket([fx.entry(1, "Deny", 1, 0)], {}),
		"by_pair": {},
	}))
	d := inbound.decision with input as orders_check with data.kuma.compiled as deny_all
	d.allowed == true
	d.dynamic_metadata.reason == "mtls-disabled"
	inbound.decision.dynamic_metadata.reason == "mtls-disabled" with input as fx.http_check(fx.payments, {})
		with data.kuma.compiled as deny_all
	inbound.decision.dynamic_metadata.reason == "mtls-disabled"
		with input as fx.http_check(fx.payments, {"principal": "spiffe://other/x"})
		with data.kuma.compiled as deny_all
}

test_permissive_plaintext if {
	permissive := fx.patched(fx.allow_orders, "mtls", "permissive")
	d := inbound.decision with input as fx.http_check(fx.payments, {}) with data.kuma.compiled as permissive
	d.allowed == true
	d.dynamic_metadata.reason == "permissive-plaintext"

	# a client with an identity is judged by the permissions
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as orders_check
		with data.kuma.compiled as permissive
	inbound.decision.dynamic_metadata.reason == "no-matching-rule"
		with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as permissive
	inbound.decision.dynamic_metadata.reason == "foreign-identity"
		with input as fx.http_check(fx.payments, {"principal": "spiffe://other/web"})
		with data.kuma.compiled as permissive
}

test_strict_requires_identity if {
	d := inbound.decision with input as fx.http_check(fx.payments, {}) with data.kuma.compiled as fx.allow_orders
	d.allowed == false
	d.dynamic_metadata.reason == "no-identity"
}

test_unknown_mtls_mode_is_strict if {
	odd := fx.patched(fx.allow_orders, "mtls", "bogus")

	# data-shape: malformed: an mTLS mode the compiler never writes
	inbound.decision.dynamic_metadata.reason == "no-identity" with input as fx.http_check(fx.payments, {})
		with data.kuma.compiled as odd
}

test_foreign_identity if {
	inbound.decision.dynamic_metadata.reason == "foreign-identity"
		with input as fx.http_check(fx.payments, {"principal": "spiffe://other/orders"})
		with data.kuma.compiled as fx.allow_orders
	mesh_identity := fx.http_check(fx.payments, {"principal": "spiffe://default/ns/shop/sa/orders"})
	inbound.decision.dynamic_metadata.reason == "foreign-identity" with input as mesh_identity
		with data.kuma.compiled as fx.allow_orders
}

# --- permissions --------------------------------------------------------------------------------

test_allowed_by_policy if {
	inbound.allow with input as orders_check with data.kuma.compiled as fx.allow_orders
	d := inbound.decision with input as orders_check with data.kuma.compiled as fx.allow_orders
	d == {
		"allowed": true,
		"headers": {
			"x-kuma-authz-decision": "allow",
			"x-kuma-authz-reason": "allowed-by-policy",
			"x-kuma-authz-policy": "MeshTrafficPermission/default/kuma-system/allow-orders",
		},
		"response_headers_to_add": {
			"x-kuma-authz-decision": "allow",
			"x-kuma-authz-reason": "allowed-by-policy",
			"x-kuma-authz-policy": "MeshTrafficPermission/default/kuma-system/allow-orders",
		},
		"dynamic_metadata": {
			"reason": "allowed-by-policy",
			"direction": "inbound",
			"mesh": "default",
			"shadow_deny": false,
			"policy": {
				"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-orders",
				"namespace": "kuma-system", "entry": 0,
			},
		},
	}
}

test_later_mesh_wide_deny_overrides_earlier_specific_allow if {
	compiled := with_from({
		"any": fx.bucket([fx.entry(9, "Deny", 1, 0)], {}),
		"by_pair": {"kuma.io/service": {
			"payments": fx.bucket([], fx.from_orders([fx.entry(3, "Allow", 0, 0)])),
			# another inbound's bucket is never consulted
			"ledger": fx.bucket([fx.entry(99, "Allow", 2, 0)], {}),
		}},
	})
	d := inbound.decision with input as orders_check with data.kuma.compiled as compiled
	d.allowed == false
	d.body == "kuma: denied (denied-by-policy) by MeshTrafficPermission default/deny-all"
	d.headers["x-kuma-authz-policy"] == "MeshTrafficPermission/default/deny-all"
	d.dynamic_metadata.policy == {"kind": "MeshTrafficPermission", "mesh": "default", "name": "deny-all", "entry": 0}
	not inbound.allow with input as orders_check with data.kuma.compiled as compiled
}

test_more_specific_earlier_entry_loses if {
	compiled := with_from({
		"any": fx.bucket([fx.entry(7, "Allow", 2, 0)], {}),
		"by_pair": {"kuma.io/service": {"payments": fx.bucket([], fx.from_orders([fx.entry(2, "Deny", 1, 0)]))}},
	})
	d := inbound.decision with input as orders_check with data.kuma.compiled as compiled
	d.allowed == true
	d.dynamic_metadata.policy.name == "allow-all"
}

test_later_specific_allow_wins if {
	compiled := with_from({
		"any": fx.bucket([fx.entry(3, "Deny", 1, 0)], {}),
		"by_pair": {"kuma.io/service": {"payments": fx.bucket([], fx.from_orders([fx.entry(9, "Allow", 0, 1)]))}},
	})
	d := inbound.decision with input as orders_check with data.kuma.compiled as compiled
	d.allowed == true
	d.dynamic_metadata.policy.entry == 1
}

test_highest_rank_across_all_reached_buckets if {
	# buckets: any/any, any/by_pair, by_pair/any, by_pair/by_pair; the highest rank decides
	from := {
		"any": fx.bucket([fx.entry(1, "Allow", 2, 0)], {"kuma.io/service": {"orders": [fx.entry(4, "Deny", 1, 0)]}}),
		"by_pair": {"app": {"payments": fx.bucket(
			[fx.entry(6, "Allow", 2, 1)],
			{"env": {"prod": [fx.entry(5, "Deny", 1, 1)]}},
		)}},
	}
	d := inbound.decision with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as with_from(from)
	d.allowed == true
	d.dynamic_metadata.policy == {"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-all", "entry": 1}
}

test_each_bucket_alone if {
	entries := [fx.entry(1, "Allow", 2, 0)]
	every from in [
		{"any": fx.bucket(entries, {}), "by_pair": {}},
		{"any": fx.bucket([], {"kuma.io/service": {"orders": entries}}), "by_pair": {}},
		payments_bucket(entries, {}),
		payments_bucket([], {"kuma.io/service": {"orders": entries}}),
	] {
		inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as orders_check
			with data.kuma.compiled as with_from(from)
	}
}

test_shadow_deny if {
	compiled := with_from(payments_bucket([fx.entry(5, "AllowWithShadowDeny", 3, 0)], {}))
	d := inbound.decision with input as orders_check with data.kuma.compiled as compiled
	d.allowed == true
	d.dynamic_metadata.reason == "allowed-by-policy"
	d.dynamic_metadata.shadow_deny == true
	d.dynamic_metadata.policy.name == "shadow-billing"
}

test_unknown_action_denies if {
	compiled := with_from(payments_bucket([fx.entry(5, "Audit", 2, 0)], {}))

	# data-shape: malformed: an action the compiler never writes
	inbound.decision.dynamic_metadata.reason == "denied-by-policy" with input as orders_check
		with data.kuma.compiled as compiled
}

test_unresolvable_policy_still_decides if {
	compiled := with_from(payments_bucket([fx.entry(5, "Allow", 42, 0)], {}))
	d := inbound.decision with input as orders_check with data.kuma.compiled as compiled
	d.allowed == true
	not d.dynamic_metadata.policy
	not d.headers["x-kuma-authz-policy"]
}

test_entries_without_remaining_keys if {
	compiled := with_from(payments_bucket([{"rank": 1, "action": "Allow", "policy": 2, "entry": 0}], {}))

	# data-shape: malformed: the compiler always writes `inbound` and `client`
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as orders_check
		with data.kuma.compiled as compiled
}

test_multi_valued_client_tags if {
	from := payments_bucket([], {"version": {
		"v2": [fx.entry_requiring(4, "Allow", 3, {}, {"kuma.io/service": "billing", "env": "prod"})],
		"v3": [fx.entry(8, "Deny", 1, 0)],
	}})
	multi := fx.http_check(fx.payments, fx.orders_with_multi_cert)
	d := inbound.decision with input as multi with data.kuma.compiled as with_from(from)
	d.allowed == true
	d.dynamic_metadata.policy.name == "shadow-billing"

	# the single-valued certificate has no version at all
	inbound.decision.dynamic_metadata.reason == "no-matching-rule"
		with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as with_from(from)
}

test_remaining_client_requirements if {
	from := payments_bucket([], fx.from_orders([fx.entry_requiring(4, "Allow", 0, {}, {"env": "prod"})]))
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as orders_check
		with data.kuma.compiled as with_from(from)
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy"
		with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as with_from(from)
}

test_remaining_inbound_requirements if {
	from := payments_bucket([fx.entry_requiring(4, "Allow", 2, {"version": "v2"}, {})], {})
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as orders_check
		with data.kuma.compiled as with_from(from)
	v1 := fx.http_check(object.union(fx.payments, {"version": "v1"}), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as v1
		with data.kuma.compiled as with_from(from)
	no_version := fx.http_check(object.remove(fx.payments, ["version"]), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as no_version
		with data.kuma.compiled as with_from(from)
}

test_zone_condition if {
	zoned := object.union(fx.entry(4, "Allow", 4, 0), {"zone": "zone-1"})
	compiled := with_from({"any": fx.bucket([zoned], {}), "by_pair": {}})
	in_zone := fx.http_check(object.union(fx.payments, {"kuma.io/zone": "zone-1"}), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as in_zone
		with data.kuma.compiled as compiled
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as orders_check
		with data.kuma.compiled as compiled
	other_zone := fx.http_check(object.union(fx.payments, {"kuma.io/zone": "zone-2"}), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as other_zone
		with data.kuma.compiled as compiled
}

test_forged_kuma_tags_header_is_ignored if {
	from := payments_bucket([], {"env": {"prod": [fx.entry(4, "Allow", 2, 0)]}})
	check := json.patch(orders_check, [{
		"op": "add",
		"path": "/attributes/request/http/headers",
		"value": {"x-kuma-tags": "&env=prod&&kuma.io/service=orders&"},
	}])
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as check
		with data.kuma.compiled as with_from(from)
}

# --- local tags from elsewhere ------------------------------------------------------------------

test_network_check_with_labels if {
	labels := {"id": "opa-1", "kuma.io/mesh": "default", "kuma.io/service": "payments"}
	d := inbound.decision with input as fx.tcp_check({"principal": fx.orders}, "")
		with data.kuma.compiled as fx.allow_orders
		with opa.runtime as {"config": {"labels": labels}}
	d.allowed == true
}

test_network_check_with_local_principal if {
	d := inbound.decision with input as fx.tcp_check({"principal": fx.orders}, "spiffe://default/payments")
		with data.kuma.compiled as fx.allow_orders
	d.allowed == true
	inbound.decision.dynamic_metadata.reason == "no-policy"
		with input as fx.tcp_check({"principal": fx.orders}, "spiffe://default/ledger")
		with data.kuma.compiled as fx.allow_orders
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as fx.tcp_check({"principal": fx.orders}, "")
		with data.kuma.compiled as fx.allow_orders
}

test_allow_is_always_defined if {
	inbound.allow == false with inbound.decision as {}
}

test_fallback_outcome_is_a_deny if {
	# unreachable while identity.status is one of its four values
	inbound.outcome == {"allowed": false, "reason": "invalid-input"} with input as orders_check
		with data.kuma.compiled as fx.allow_orders
		with data.kuma.authz.identity.status as "unknown"
}

test_any_value_on_the_inbound_side if {
	# MeshServiceSubset ledger {version: "*"}: the inbound needs a version, any version
	from := payments_bucket([fx.entry_requiring(4, "Deny", 1, {"version": "*"}, {})], {})
	inbound.decision.dynamic_metadata.reason == "denied-by-policy" with input as orders_check
		with data.kuma.compiled as with_from(from)
	no_version := fx.http_check(object.remove(fx.payments, ["version"]), {"principal": fx.orders})
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as no_version
		with data.kuma.compiled as with_from(from)
	any_version := {"any": [], "by_pair": {"kuma.io/service": {"payments": [{"inbound": {"version": "*"}, "policy": 1}]}}}
	inbound.decision.dynamic_metadata.reason == "no-policy" with input as no_version
		with data.kuma.compiled as with_selects(any_version)
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as orders_check
		with data.kuma.compiled as with_selects(any_version)
}

test_any_value_on_the_client_side_is_literal if {
	from := payments_bucket([fx.entry_requiring(4, "Allow", 2, {}, {"env": "*"})], {})
	inbound.decision.dynamic_metadata.reason == "no-matching-rule"
		with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as with_from(from)
}

# --- legacy TrafficPermission (spec A6) -----------------------------------------------------------

# Mesh "default" with no MeshTrafficPermission; policies 0 (tp-web, for payments) and 1 (tp-all).
with_permissions := fx.compiled(object.union(
	fx.mesh_doc("strict", {"any": [], "by_pair": {}}, {"any": fx.bucket([], {}), "by_pair": {}}),
	{
		"policies": [
			{"kind": "TrafficPermission", "mesh": "default", "name": "tp-web"},
			{"kind": "TrafficPermission", "mesh": "default", "name": "tp-all"},
		],
		"selection": {
			"from_policies": {"any": [], "by_pair": {}},
			"from": {"any": fx.bucket([], {}), "by_pair": {}},
		},
		"inbound": {
			"traffic_permissions": {
				"select": {
					"any": [{"priority": 0, "policy": 1, "inbound": {"kuma.io/service": "*"}}],
					"by_pair": {"kuma.io/service": {"payments": [{"priority": 1, "policy": 0, "inbound": {"version": "v2"}}]}},
				},
				"sources": {"0": [{"kuma.io/service": "web"}, {"env": "prod"}], "1": [{}]},
			},
		},
	},
))

test_traffic_permission_with_the_best_selector_governs if {
	d := inbound.decision with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as with_permissions
	d.allowed == true
	d.dynamic_metadata.reason == "allowed-by-policy"
	d.dynamic_metadata.policy == {"kind": "TrafficPermission", "mesh": "default", "name": "tp-web"}
	d.headers["x-kuma-authz-policy"] == "TrafficPermission/default/tp-web"
}

test_traffic_permission_in_force_refuses_a_client_not_in_its_sources if {
	d := inbound.decision with input as fx.http_check(fx.payments, {"principal": fx.orders})
		with data.kuma.compiled as with_permissions
	d.allowed == false
	d.dynamic_metadata.reason == "no-matching-rule"
	d.dynamic_metadata.policy.name == "tp-web"
}

test_traffic_permission_selector_needs_its_remaining_tags if {
	# version v1: the payments selector does not apply, the "*" one (any service) does
	check := fx.http_check(object.union(fx.payments, {"version": "v1"}), {"principal": fx.orders})
	d := inbound.decision with input as check with data.kuma.compiled as with_permissions
	d.allowed == true
	d.dynamic_metadata.policy.name == "tp-all"
}

test_traffic_permission_source_with_no_tags_admits_every_mesh_client if {
	check := fx.http_check({"kuma.io/mesh": "default", "kuma.io/service": "ledger"}, {"principal": fx.orders})
	d := inbound.decision with input as check with data.kuma.compiled as with_permissions
	d.allowed == true
}

test_meshtrafficpermission_replaces_traffic_permission if {
	# allow_orders selects payments with an MTP: its no-matching-rule stands, the TP is not consulted
	compiled := json.patch(fx.allow_orders, [{
		"op": "add", "path": "/meshes/default/inbound/traffic_permissions",
		"value": with_permissions.meshes["default"].inbound.traffic_permissions,
	}])
	d := inbound.decision with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as compiled
	d.allowed == false
	d.dynamic_metadata.reason == "no-matching-rule"
}

test_traffic_permission_with_an_unresolvable_policy_still_decides if {
	compiled := json.patch(with_permissions, [{"op": "replace", "path": "/meshes/default/policies", "value": []}])
	d := inbound.decision with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as compiled
	d.allowed == true
	not d.dynamic_metadata.policy
}
