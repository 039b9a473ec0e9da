package kuma.authz.request_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.request

# --- mesh ---------------------------------------------------------------------------------------

test_mesh_from_context_extensions if {
	request.mesh == "default" with input as fx.http_check(fx.payments, {})
	request.mesh == "shop" with input as fx.http_check({"kuma.io/mesh": "shop", "kuma.io/service": "a"}, {})
}

test_mesh_from_labels if {
	request.mesh == "shop" with input as fx.tcp_check({}, "spiffe://default/payments")
		with opa.runtime as {"config": {"labels": {"kuma.io/mesh": "shop"}}}
}

test_mesh_context_extensions_before_labels if {
	request.mesh == "default" with input as fx.http_check(fx.payments, {})
		with opa.runtime as {"config": {"labels": {"kuma.io/mesh": "shop"}}}
}

test_mesh_from_local_principal if {
	request.mesh == "shop" with input as fx.tcp_check({}, "spiffe://shop/payments")
}

test_mesh_default if {
	request.mesh == "default" with input as {}
	request.mesh == "default" with input as fx.tcp_check({}, "not-a-spiffe-id")
	request.mesh == "default" with input as "garbage"
}

# --- direction ----------------------------------------------------------------------------------

test_direction_default_inbound if {
	request.direction == "inbound" with input as fx.http_check(fx.payments, {})
	request.direction == "inbound" with input as 42
}

test_direction_from_context_extensions if {
	request.direction == "outbound" with input as fx.http_check({"kuma.io/direction": "outbound"}, {})
	request.direction == "inbound" with input as fx.http_check({"kuma.io/direction": "inbound"}, {})
}

test_direction_from_labels if {
	request.direction == "outbound" with input as fx.tcp_check({}, "")
		with opa.runtime as {"config": {"labels": {"kuma.io/direction": "outbound"}}}
}

test_bad_direction_is_not_well_formed if {
	not request.well_formed with input as fx.http_check(object.union(fx.payments, {"kuma.io/direction": "up"}), {})
	request.direction == "inbound" with input as fx.http_check({"kuma.io/direction": "up"}, {})
	not request.well_formed with input as fx.http_check(object.union(fx.payments, {"kuma.io/direction": 1}), {})
}

# --- local tags ---------------------------------------------------------------------------------

test_local_tags_from_context_extensions if {
	tags := request.local_tags with input as fx.http_check(fx.payments, {})
	tags == {"kuma.io/service": "payments", "app": "payments", "version": "v2"}
}

test_local_tags_from_labels if {
	labels := {
		"id": "8c4b-opa-instance", "kuma.io/mesh": "default", "kuma.io/service": "payments",
		"k8s.kuma.io/namespace": "shop",
	}
	tags := request.local_tags with input as fx.tcp_check({}, "") with request.runtime_labels as labels
	tags == {"kuma.io/service": "payments", "k8s.kuma.io/namespace": "shop"}
}

test_labels_through_opa_runtime if {
	# non-string label values are ignored, `id` is OPA's own label
	runtime := {"config": {"labels": {"id": "x", "kuma.io/service": "payments", "weight": 3}}}
	request.local_tags == {"kuma.io/service": "payments"} with input as fx.tcp_check({}, "")
		with opa.runtime as runtime
}

test_runtime_without_labels if {
	request.runtime_labels == {} with opa.runtime as {"config": {}}
	request.runtime_labels == {} with opa.runtime as {"config": {"labels": "nope"}}
}

test_context_extension_tags_win_over_labels if {
	request.local_tags == {"kuma.io/service": "web"} with input as fx.http_check({"kuma.io/service": "web"}, {})
		with request.runtime_labels as {"kuma.io/service": "payments"}
}

test_context_extensions_without_tags_fall_back_to_labels if {
	tags := request.local_tags with input as fx.http_check({"kuma.io/mesh": "default"}, {})
		with request.runtime_labels as {"kuma.io/service": "payments"}
	tags == {"kuma.io/service": "payments"}
}

test_local_tags_from_local_principal if {
	request.local_tags == {"kuma.io/service": "payments"} with input as fx.tcp_check({}, "spiffe://default/payments")
	request.local_service == "payments" with input as fx.tcp_check({}, "spiffe://default/payments")
}

test_local_principal_fallback_is_inbound_only if {
	request.local_tags == {} with input as fx.tcp_check({}, "spiffe://default/payments")
		with request.runtime_labels as {"kuma.io/direction": "outbound"}
}

test_local_principal_fallback_needs_same_mesh if {
	request.local_tags == {} with input as fx.tcp_check({}, "spiffe://default/payments")
		with request.runtime_labels as {"kuma.io/mesh": "shop"}
}

test_local_principal_fallback_needs_service_id if {
	request.local_tags == {} with input as fx.tcp_check({}, "spiffe://default.zone-1.mesh.local/ns/shop/sa/web")
	request.local_tags == {} with input as fx.tcp_check({}, "")
	not request.local_service with input as {}
}

# --- well-formedness ----------------------------------------------------------------------------

not_well_formed := [
	"a string",
	42,
	null,
	[1, 2],
	{},
	{"parsed_path": [""]},
	{"attributes": "x"},
	{"attributes": {"source": []}},
	{"attributes": {"destination": 1}},
	{"attributes": {"contextExtensions": ["kuma.io/service"]}},
	{"attributes": {"contextExtensions": {"kuma.io/service": 7}}},
	{"attributes": {"contextExtensions": {"kuma.io/mesh": false}}},
	{"attributes": {"contextExtensions": {"kuma.io/direction": "sideways"}}},
	{"attributes": {"source": {"principal": 1}}},
	{"attributes": {"source": {"principal": "spiffe://default/orders", "certificate": {}}}},
	{"attributes": {"destination": {"principal": ["spiffe://default/payments"]}}},
]

test_not_well_formed if {
	every bad in not_well_formed {
		not request.well_formed with input as bad
		count(request.problems) > 0 with input as bad
	}
}

test_problems_agree_with_well_formed if {
	every good in [
		{"attributes": {}},
		fx.http_check(fx.payments, fx.orders_with_cert),
		fx.tcp_check({}, "spiffe://default/payments"),
	] {
		request.well_formed with input as good
		count(request.problems) == 0 with input as good
	}
}

test_problems_are_named if {
	bad_principal := {"attributes": {"source": {"principal": 1}}}
	request.problems == {"attributes.source.principal is not a string"} with input as bad_principal
	request.problems == {"input is not an object"} with input as "x"
	request.problems == {`context extension "version" is not a string`} with input as fx.http_check({"version": 2}, {})
}

# --- helpers ------------------------------------------------------------------------------------

test_kuma_spiffe_id if {
	request.kuma_spiffe_id("spiffe://default/orders") == ["default", "orders"]
	not request.kuma_spiffe_id("spiffe:///orders")
	not request.kuma_spiffe_id("kuma://default/orders")
	request.trust_domain("spiffe://default.zone-1.mesh.local/ns/a/sa/b") == "default.zone-1.mesh.local"
	not request.trust_domain("spiffe:///x")
}

test_no_input_at_all_is_not_well_formed if {
	not request.well_formed
	request.problems == {"input is not an object"}
}

# --- outbound destination --------------------------------------------------------------------------

# Address bits, so every spelling of one IPv6 address (case, zeros, "::") gives one key.
test_destination_key_ipv4_and_ipv6 if {
	v4 := {"attributes": {"destination": {"address": {"socketAddress": {"address": "10.1.2.3", "portValue": 8443}}}}}
	request.destination_key == "00001010000000010000001000000011:8443" with input as v4
	long_form := {"attributes": {"destination": {"address": {"socketAddress": {
		"address": "2001:DB8:0:0::1",
		"portValue": 443,
	}}}}}
	short_form := json.patch(long_form, [{
		"op": "replace", "path": "/attributes/destination/address/socketAddress/address",
		"value": "2001:db8::1",
	}])
	key := request.destination_key with input as long_form
	key == request.destination_key with input as short_form
	endswith(key, "0001:443")
	not request.destination_key with input as {"attributes": {"destination": {
		"address": {"socketAddress": {"address": "10.1.2.3", "portValue": "443"}},
	}}}
}

http_host_check(host) := {"attributes": {"request": {"http": {"host": host}}}}

test_http_host_is_lower_case_without_port if {
	request.http_host == "api.example.com" with input as http_host_check("API.example.com:8080")
	request.http_host == "2001:db8::1" with input as http_host_check("[2001:db8::1]:80")
	authority := {"attributes": {"request": {"http": {"headers": {":authority": "svc.mesh"}}}}}
	request.http_host == "svc.mesh" with input as authority
	not request.http_host with input as {"attributes": {"request": {"http": {"host": 7}}}}
}

test_sni_is_lower_case if {
	request.sni == "httpbin.org" with input as {"attributes": {"tlsSession": {"sni": "HttpBin.org"}}}
}

test_protocol_classification if {
	grpc := {"attributes": {"request": {"http": {"headers": {"content-type": "application/grpc+proto"}}}}}
	request.protocol == "grpc" with input as grpc
	request.protocol == "http2" with input as {"attributes": {"request": {"http": {"protocol": "HTTP/2", "headers": {}}}}}
	request.protocol == "http" with input as {"attributes": {"request": {"http": {"protocol": "HTTP/1.1", "headers": {}}}}}
	request.protocol == "tls" with input as {"attributes": {"tlsSession": {"sni": "a.example"}}}
	request.protocol == "tcp" with input as {"attributes": {}}
}

destination_at(address) := {"attributes": {"destination": {"address": {"socketAddress": {"address": address}}}}}

test_destination_ip_bits if {
	request.destination_ip_bits == "00001010000000010000001000000011" with input as destination_at("10.1.2.3")
	request.destination_ip_family == "v4" with input as destination_at("10.1.2.3")
	v6 := request.destination_ip_bits with input as destination_at("2001:DB8::1")
	count(v6) == 128
	startswith(v6, "0010000000000001000011011011100000000000")
	endswith(v6, "0001")
	request.destination_ip_family == "v6" with input as destination_at("::1")
	not request.destination_ip_bits with input as destination_at("10.1.2.300")
	not request.destination_ip_bits with input as destination_at("1:2:3")
	not request.destination_ip_bits with input as destination_at("example.com")
}

test_http_host_port if {
	request.http_host_port == 8080 with input as http_host_check("api.example.com:8080")
	not request.http_host_port with input as http_host_check("api.example.com")
}
