package checks.lib_test

es(networking, tags) := concat("", ["type: ExternalService\nname: es\nmesh: default\ntags: ", tags, "\nnetworking: ", networking, "\n"])

test_addresses if {
	messages([mesh, es(`{address: "example.com"}`, `{kuma.io/service: s}`)]) == {
		"networking.address: unable to parse address",
		"networking.address: address has to be a valid IP address or a domain name",
		"networking.address: unable to parse port in address",
		"networking.address: port must be in the range [1, 65535]",
	}
	messages([mesh, es(`{address: "example.com:99999"}`, `{kuma.io/service: s}`)]) == {"networking.address: port must be in the range [1, 65535]"}
	messages([mesh, es(`{address: "example.com:4294967296"}`, `{kuma.io/service: s}`)]) == {
		"networking.address: unable to parse port in address",
		"networking.address: port must be in the range [1, 65535]",
	}
	messages([mesh, es(`{address: ""}`, `{kuma.io/service: s}`)]) == {"networking.address: address can't be empty"}
	found([mesh, es(`{address: "[::1]:80"}`, `{kuma.io/service: s}`)]) == set()
	found([mesh, es(`{address: "[fe80::1%eth0]:80"}`, `{kuma.io/service: s}`)]) == {["ES002", "networking.address"]}
	found([mesh, es(`{address: "exa_mple.com.:80"}`, `{kuma.io/service: s}`)]) == set()
}

test_tags_and_protocol if {
	found([mesh, es(`{address: "a.com:80"}`, `{kuma.io/protocol: udp, "": x, v: "a/b", n: 1}`)]) == {
		["ES003", "tags"],
		["ES004", `tags["kuma.io/protocol"]`],
		["ES003", `tags["v"]`],
		["ES007", `tags["n"]`],
	}
	found([mesh, es(`{address: "a.com:80"}`, `{kuma.io/service: a.com}`)]) == {["ES005", `tags["kuma.io/service"]`]}
	found([mesh, es(`{address: "a.com:80"}`, `{kuma.io/service: s, kuma.io/protocol: TLS}`)]) == set()
	found([mesh, es(`{address: "a.com:80"}`, `[x]`)]) == {["ES007", "tags"], ["ES003", "tags"]}
}

test_networking_and_tls if {
	found([mesh, `{type: ExternalService, name: es, mesh: default, tags: {kuma.io/service: s}}`]) == {["ES001", "networking"]}
	found([mesh, es(`{address: 80, disableHostDNSEntry: "no", dns: 1, tls: {enabled: "yes", serverName: "", caCert: {}, clientCert: x, clientKey: {inline: x, extra: 1}, sni: 1}}`, `{kuma.io/service: s}`)]) == {
		["ES007", "networking.address"],
		["ES002", "networking.address"],
		["ES007", "networking.disableHostDNSEntry"],
		["ES007", "networking.dns"],
		["ES007", "networking.tls.enabled"],
		["ES006", "networking.tls.serverName"],
		["ES006", "networking.tls.caCert"],
		["ES007", "networking.tls.clientCert"],
		["ES006", "networking.tls.clientCert"],
		["ES007", "networking.tls.clientKey.extra"],
		["ES007", "networking.tls.sni"],
	}
	found([mesh, es(`{address: "a.com:80", tls: x}`, `{kuma.io/service: s}`)]) == {["ES007", "networking.tls"]}
	found([mesh, es(`{address: "a.com:80", tls: {serverName: 3}}`, `{kuma.io/service: s}`)]) == {["ES007", "networking.tls.serverName"]}
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: ExternalService, mesh: default, metadata: {name: es}, spec: x}`]) == {
		["ES007", "spec"],
		["ES001", "networking"],
		["ES003", "tags"],
	}
	found([mesh, `{type: ExternalService, name: es, mesh: default, tags: {kuma.io/service: s}, networking: {address: "a:1"}, other: 1}`]) == {["ES007", "other"]}
}

test_the_model_of_an_external_service if {
	[m] := [m | some m in models([mesh, es(`{address: "HTTPbin.org:443"}`, `{kuma.io/service: httpbin}`)]); m.kind == "ExternalService"]
	[m.host, m.port, m.tags] == ["httpbin.org", 443, {"kuma.io/service": "httpbin"}]
}
