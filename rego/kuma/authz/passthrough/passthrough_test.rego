package kuma.authz.passthrough_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.outbound

# Compiled by gen-bundle from: web may reach secure.example.com and *.example.com (TLS, 443),
# 198.51.100.7:443 (TCP), 10.1.0.0/16 (TCP, any port), 10.1.2.0/24:80 (HTTP), api.example.org:80
# (HTTP), [2001:db8::5]:443 (TLS); team batch: All; team ops: None; the mesh flag is off. Written
# before data format 2: fx.mesh adds the keys format 2 added, empty.
compiled := {
	"format": 2,
	"semantics": fx.semantics,
	"meshes": {
		"default": fx.mesh({
			"defined": true,
			"inbound": {
				"traffic_permissions": {
					"select": {
						"any": [],
						"by_pair": {}
					},
					"sources": {}
				}
			},
			"mtls": "disabled",
			"outbound": {
				"by_address": {},
				"by_host": {},
				"external_services": [],
				"mesh_passthrough": {
					"domains": {
						"api.example.org": [
							{
								"policy": 1,
								"port": 80,
								"protocol": "http",
								"rank": 1,
								"type": "Domain",
								"value": "api.example.org"
							}
						],
						"secure.example.com": [
							{
								"policy": 1,
								"port": 443,
								"protocol": "tls",
								"rank": 1,
								"type": "Domain",
								"value": "secure.example.com"
							}
						]
					},
					"layer7_domain_ports": {
						"80": [
							1
						]
					},
					"prefix_lengths": {
						"v4": [
							32,
							24,
							16
						],
						"v6": [
							128
						]
					},
					"prefixes": {
						"v4": {
							"16": {
								"0000101000000001": [
									{
										"policy": 1,
										"protocol": "tcp",
										"rank": 1,
										"type": "CIDR",
										"value": "10.1.0.0/16"
									}
								]
							},
							"24": {
								"000010100000000100000010": [
									{
										"policy": 1,
										"port": 80,
										"protocol": "http",
										"rank": 1,
										"type": "CIDR",
										"value": "10.1.2.0/24"
									}
								]
							},
							"32": {
								"11000110001100110110010000000111": [
									{
										"policy": 1,
										"port": 443,
										"protocol": "tcp",
										"rank": 1,
										"type": "IP",
										"value": "198.51.100.7"
									}
								]
							}
						},
						"v6": {
							"128": {
								# regal ignore:line-length
								"00100000000000010000110110111000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000101": [
									{
										"policy": 1,
										"port": 443,
										"protocol": "tls",
										"rank": 1,
										"type": "IP",
										"value": "2001:db8::5"
									}
								]
							}
						}
					},
					"selectors": {
						"0": {
							"inbound": {
								"team": "ops"
							}
						},
						"1": {
							"inbound": {
								"kuma.io/service": "web"
							}
						},
						"2": {
							"inbound": {
								"team": "batch"
							}
						}
					},
					"wildcards": {
						"example.com": [
							{
								"policy": 1,
								"port": 443,
								"protocol": "tls",
								"rank": 1,
								"type": "Domain",
								"value": "*.example.com"
							}
						]
					}
				}
			},
			"passthrough": false,
			"policies": [
				{
					"kind": "MeshPassthrough",
					"mesh": "default",
					"name": "ops-none"
				},
				{
					"kind": "MeshPassthrough",
					"mesh": "default",
					"name": "egress"
				},
				{
					"kind": "MeshPassthrough",
					"mesh": "default",
					"name": "batch-all"
				}
			],
			"selection": {
				"from": {
					"any": {
						"any": [],
						"by_pair": {}
					},
					"by_pair": {}
				},
				"from_policies": {
					"any": [],
					"by_pair": {}
				},
				"passthrough_modes": {
					"any": [],
					"by_pair": {
						"kuma.io/service": {
							"web": [
								{
									"inbound": {},
									"mode": "Matched",
									"policy": 1,
									"rank": 1
								}
							]
						},
						"team": {
							"batch": [
								{
									"inbound": {},
									"mode": "All",
									"policy": 2,
									"rank": 2
								}
							],
							"ops": [
								{
									"inbound": {},
									"mode": "None",
									"policy": 0,
									"rank": 0
								}
							]
						}
					}
				},
				"passthrough_policies": {
					"any": [],
					"by_pair": {
						"kuma.io/service": {
							"web": [
								{
									"inbound": {}
								}
							]
						},
						"team": {
							"batch": [
								{
									"inbound": {}
								}
							],
							"ops": [
								{
									"inbound": {}
								}
							]
						}
					}
				}
			}
		}),
	}
}

check(local, destination) := {"attributes": object.union(
	{"contextExtensions": object.union({"kuma.io/mesh": "default", "kuma.io/direction": "outbound"}, local)},
	destination,
)}

web := {"kuma.io/service": "web"}

to(address, port) := {"destination": {"address": {"socketAddress": {"address": address, "portValue": port}}}}

tls_to(address, port, sni) := object.union(to(address, port), {"tlsSession": {"sni": sni}})

http_to(address, port, host, headers) := object.union(to(address, port), {"request": {"http": {
	"host": host,
	"protocol": "HTTP/1.1",
	"headers": headers,
}}})

test_modes_all_and_none_come_from_the_selecting_policy if {
	d1 := outbound.decision with input as check({"team": "batch"}, to("192.0.2.1", 5432))
		with data.kuma.compiled as compiled
	d1.allowed == true
	d1.dynamic_metadata.policy.name == "batch-all"
	d2 := outbound.decision with input as check({"team": "ops"}, to("198.51.100.7", 443))
		with data.kuma.compiled as compiled
	d2.dynamic_metadata.reason == "passthrough-blocked"
	d2.dynamic_metadata.policy.name == "ops-none"
}

test_no_selecting_policy_falls_to_the_mesh_flag if {
	d := outbound.decision with input as check({"kuma.io/service": "orders"}, to("198.51.100.7", 443))
		with data.kuma.compiled as compiled
	d.dynamic_metadata.reason == "passthrough-blocked"
	not d.dynamic_metadata.policy
}

test_exact_server_name_and_wildcard if {
	exact := outbound.decision with input as check(web, tls_to("203.0.113.1", 443, "secure.example.com"))
		with data.kuma.compiled as compiled
	exact.dynamic_metadata.match == {"type": "Domain", "value": "secure.example.com", "port": 443, "protocol": "tls"}
	deep := outbound.decision with input as check(web, tls_to("203.0.113.1", 443, "a.b.example.com"))
		with data.kuma.compiled as compiled
	deep.dynamic_metadata.match.value == "*.example.com"
	parent := outbound.decision with input as check(web, tls_to("203.0.113.1", 443, "example.com"))
		with data.kuma.compiled as compiled
	parent.allowed == false
	single := outbound.decision with input as check(web, tls_to("203.0.113.1", 443, "localhost"))
		with data.kuma.compiled as compiled
	single.allowed == false
}

test_a_tcp_ip_match_shadows_a_tls_domain if {
	d := outbound.decision with input as check(web, tls_to("198.51.100.7", 443, "secure.example.com"))
		with data.kuma.compiled as compiled
	d.allowed == false
	d.dynamic_metadata.match.value == "198.51.100.7"
	plain := outbound.decision with input as check(web, to("198.51.100.7", 443)) with data.kuma.compiled as compiled
	plain.allowed == true
}

test_longest_prefix_then_application_protocol if {
	# port 80 inside the /24: the HTTP chain wins for HTTP, any host
	as_http := outbound.decision with input as check(web, http_to("10.1.2.9", 80, "whatever", {}))
		with data.kuma.compiled as compiled
	as_http.dynamic_metadata.match.value == "10.1.2.0/24"

	# plain TCP there: the /24 has no TCP chain, and the /16 is shut out
	tcp := outbound.decision with input as check(web, to("10.1.2.9", 80)) with data.kuma.compiled as compiled
	tcp.allowed == false

	# another port: the /24 does not serve it, the port-less /16 does
	other := outbound.decision with input as check(web, to("10.1.2.9", 22)) with data.kuma.compiled as compiled
	other.dynamic_metadata.match.value == "10.1.0.0/16"
}

test_http_virtual_hosts if {
	ok := outbound.decision with input as check(web, http_to("203.0.113.1", 80, "API.example.org:80", {}))
		with data.kuma.compiled as compiled
	ok.allowed == true
	wrong_port := outbound.decision with input as check(web, http_to("203.0.113.1", 80, "api.example.org:8080", {}))
		with data.kuma.compiled as compiled
	wrong_port.allowed == false
	unknown := outbound.decision with input as check(web, http_to("203.0.113.1", 80, "evil.example.org", {}))
		with data.kuma.compiled as compiled
	unknown.allowed == false
	no_host := outbound.decision with input as check(web, to("203.0.113.1", 80)) with data.kuma.compiled as compiled
	no_host.allowed == false
}

test_ipv6_prefix if {
	d := outbound.decision with input as check(web, tls_to("2001:db8:0:0::5", 443, "v6.example"))
		with data.kuma.compiled as compiled
	d.allowed == true
	d.dynamic_metadata.match.value == "2001:db8::5"
}

test_the_explanation_names_the_mode_setter_and_the_match_that_decided if {
	none := outbound.explanation with input as check({"team": "ops"}, to("198.51.100.7", 443))
		with data.kuma.compiled as compiled
	none.step == "mesh-passthrough"
	decided := [entry | some entry in none.entries; entry.status == "decided"]
	[entry.policy.name | some entry in decided] == ["ops-none"]
	decided[0].why == "passthroughMode None"

	matched := outbound.explanation with input as check(web, tls_to("203.0.113.9", 443, "secure.example.com"))
		with data.kuma.compiled as compiled
	matched.decision.allowed == true
	whys := [entry.why | some entry in matched.entries; entry.status == "decided"]
	startswith(whys[0], "passthroughMode Matched: match Domain")

	flag := outbound.explanation with input as check({"kuma.io/service": "orders"}, to("198.51.100.7", 443))
		with data.kuma.compiled as compiled
	flag.step == "passthrough-flag"
	flag.entries == []
}
