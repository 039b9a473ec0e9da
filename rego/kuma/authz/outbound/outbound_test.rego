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
		# data-shape: malformed: the compiler writes a boolean
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

# --- ExternalService (spec A7) ---------------------------------------------------------------------

# httpbin (httpbin.org:443) governed by policy 0, which admits web, and any proxy with an env tag;
# ipv6-api at [2001:db8::7]:443 without a permission.
with_external_services := fx.compiled(object.union(fx.mesh_doc("strict", fx.selects_payments, {}), {
	"passthrough": false,
	"policies": [{"kind": "TrafficPermission", "mesh": "default", "name": "to-httpbin"}],
	"outbound": {
		"external_services": [
			{
				"name": "httpbin", "service": "httpbin", "address": "httpbin.org:443", "policy": 0,
				"sources": [{"kuma.io/service": "web"}, {"env": "*"}],
			},
			{"name": "ipv6-api", "service": "ipv6-api", "address": "[2001:db8::7]:443"},
		],
		# regal ignore:line-length
		"by_address": {"00100000000000010000110110111000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000111:443": [1]},
		"by_host": {"httpbin.org": [0], "httpbin.mesh": [0], "ipv6-api.mesh": [1]},
	},
}))

to_host(local, host) := json.patch(fx.http_check(object.union(outbound_extensions, local), {}), [{
	"op": "replace", "path": "/attributes/request/http/host", "value": host,
}])

test_external_service_admits_a_listed_source if {
	d := outbound.decision with input as to_host({"kuma.io/service": "web"}, "HTTPBIN.org:443")
		with data.kuma.compiled as with_external_services
	d.allowed == true
	d.dynamic_metadata.reason == "external-service-allowed"
	d.dynamic_metadata.policy == {"kind": "TrafficPermission", "mesh": "default", "name": "to-httpbin"}
}

test_external_service_wildcard_source_needs_the_tag if {
	allowed := outbound.allow with input as to_host({"env": "dev"}, "httpbin.mesh")
		with data.kuma.compiled as with_external_services
	allowed == true
	d := outbound.decision with input as to_host({}, "httpbin.mesh")
		with data.kuma.compiled as with_external_services
	d.allowed == false
	d.dynamic_metadata.reason == "external-service-denied"
	d.dynamic_metadata.policy.name == "to-httpbin"
}

test_external_service_by_server_name if {
	check := {"attributes": {
		"contextExtensions": object.union(outbound_extensions, {"kuma.io/service": "web"}),
		"tlsSession": {"sni": "httpbin.org"},
	}}
	d := outbound.decision with input as check
		with data.kuma.compiled as with_external_services
	d.allowed == true
}

test_external_service_by_ipv6_address_without_permission if {
	check := {"attributes": {
		"contextExtensions": outbound_extensions,
		"destination": {"address": {"socketAddress": {"address": "2001:db8::7", "portValue": 443}}},
	}}
	d := outbound.decision with input as check
		with data.kuma.compiled as with_external_services
	d.allowed == false
	d.dynamic_metadata.reason == "external-service-denied"
	not d.dynamic_metadata.policy
}

test_a_destination_naming_two_services_needs_both_to_admit if {
	check := {"attributes": {
		"contextExtensions": object.union(outbound_extensions, {"kuma.io/service": "web"}),
		"destination": {"address": {"socketAddress": {"address": "2001:db8::7", "portValue": 443}}},
		"tlsSession": {"sni": "httpbin.org"},
	}}
	d := outbound.decision with input as check
		with data.kuma.compiled as with_external_services
	d.dynamic_metadata.reason == "external-service-denied"
}

test_other_destinations_fall_to_the_passthrough_flag if {
	d := outbound.decision with input as to_host({"kuma.io/service": "web"}, "example.com")
		with data.kuma.compiled as with_external_services
	d.dynamic_metadata.reason == "passthrough-blocked"
}

test_the_explanation_names_the_external_service_and_its_permission if {
	allowed := outbound.explanation with input as to_host({"kuma.io/service": "web"}, "httpbin.org")
		with data.kuma.compiled as with_external_services
	allowed.step == "external-service"
	allowed.destination.host == "httpbin.org"
	[entry] := allowed.entries
	entry.kind == "external-service"
	entry.service == {"name": "httpbin", "service": "httpbin", "address": "httpbin.org:443"}
	entry.policy.name == "to-httpbin"
	entry.status == "decided"

	refused := outbound.explanation with input as to_host({"kuma.io/service": "billing"}, "httpbin.org")
		with data.kuma.compiled as with_external_services
	refused.entries[0].why == "no source of the TrafficPermission that governs it matches the proxy's tags"

	ungoverned := outbound.explanation with input as to_host({"kuma.io/service": "web"}, "ipv6-api.mesh")
		with data.kuma.compiled as with_external_services
	ungoverned.entries[0].policy == {}
	ungoverned.entries[0].why == "no TrafficPermission governs it, so no proxy may reach it"

	bad := outbound.explanation with input as 7 with data.kuma.compiled as with_external_services
	bad.step == "input"
	bad.entries == []
}
