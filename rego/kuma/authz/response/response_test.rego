package kuma.authz.response_test

import data.kuma.authz.response

allow_orders_ref := {
	"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-orders",
	"namespace": "kuma-system", "entry": 0,
}

deny_all_ref := {"kind": "MeshTrafficPermission", "mesh": "default", "name": "deny-all", "entry": 2}

test_allow_by_namespaced_policy if {
	outcome := {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": false, "policy": allow_orders_ref}
	headers := {
		"x-kuma-authz-decision": "allow",
		"x-kuma-authz-reason": "allowed-by-policy",
		"x-kuma-authz-policy": "MeshTrafficPermission/default/kuma-system/allow-orders",
	}
	response.decision("inbound", "default", outcome) == {
		"allowed": true,
		"headers": headers,
		"response_headers_to_add": headers,
		"dynamic_metadata": {
			"reason": "allowed-by-policy",
			"direction": "inbound",
			"mesh": "default",
			"shadow_deny": false,
			"policy": allow_orders_ref,
		},
	}
}

test_deny_by_policy if {
	outcome := {"allowed": false, "reason": "denied-by-policy", "shadow_deny": false, "policy": deny_all_ref}
	response.decision("inbound", "default", outcome) == {
		"allowed": false,
		"http_status": 403,
		"body": "kuma: denied (denied-by-policy) by MeshTrafficPermission default/deny-all",
		"headers": {
			"x-kuma-authz-decision": "deny",
			"x-kuma-authz-reason": "denied-by-policy",
			"x-kuma-authz-policy": "MeshTrafficPermission/default/deny-all",
		},
		"dynamic_metadata": {
			"reason": "denied-by-policy",
			"direction": "inbound",
			"mesh": "default",
			"shadow_deny": false,
			"policy": deny_all_ref,
		},
	}
}

test_deny_without_policy if {
	response.decision("outbound", "shop", {"allowed": false, "reason": "passthrough-blocked"}) == {
		"allowed": false,
		"http_status": 403,
		"body": "kuma: denied (passthrough-blocked)",
		"headers": {"x-kuma-authz-decision": "deny", "x-kuma-authz-reason": "passthrough-blocked"},
		"dynamic_metadata": {
			"reason": "passthrough-blocked",
			"direction": "outbound",
			"mesh": "shop",
			"shadow_deny": false,
		},
	}
}

test_allow_without_policy if {
	d := response.decision("inbound", "default", {"allowed": true, "reason": "mtls-disabled"})
	d.allowed == true
	d.response_headers_to_add == {"x-kuma-authz-decision": "allow", "x-kuma-authz-reason": "mtls-disabled"}
	not d.body
	not d.http_status
	not d.dynamic_metadata.policy
}

test_shadow_deny if {
	outcome := {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true, "policy": deny_all_ref}
	d := response.decision("inbound", "default", outcome)
	d.allowed == true
	d.dynamic_metadata.shadow_deny == true
}

test_empty_namespace_is_no_namespace if {
	ref := object.union(deny_all_ref, {"namespace": ""})
	d := response.decision("inbound", "default", {"allowed": false, "reason": "denied-by-policy", "policy": ref})
	d.headers["x-kuma-authz-policy"] == "MeshTrafficPermission/default/deny-all"
}

test_only_literal_true_allows if {
	d := response.decision("inbound", "default", {"allowed": "yes", "reason": "x"})
	d.allowed == false
	d.http_status == 403
}

test_header_values_are_strings if {
	outcome := {"allowed": true, "reason": "allowed-by-policy", "shadow_deny": true, "policy": allow_orders_ref}
	d := response.decision("inbound", "default", outcome)
	every value in d.headers {
		is_string(value)
	}
}
