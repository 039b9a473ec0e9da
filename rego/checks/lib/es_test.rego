package checks.lib_test

import data.checks.lib

test_valid_external_service if {
	ids(`
type: ExternalService
name: e
tags: {kuma.io/service: e, kuma.io/protocol: TLS}
networking:
  address: "10.0.0.1:80"
  disableHostDNSEntry: true
  tls: {enabled: true, caCert: {secret: ca}}
`) == set()
}

test_networking if {
	texts(`{type: ExternalService, name: e, tags: {kuma.io/service: e}}`) == {
		"Mesh -: networking: should have networking",
	}
	texts(`
type: ExternalService
name: e
tags: {kuma.io/service: e}
networking: {address: 5, other: 1, disableHostDNSEntry: x}
`) == {
		"Mesh -: networking.address: must be of type string, got integer",
		"Mesh -: networking.address: address can't be empty",
		"Mesh -: networking.other: unknown field",
		"Mesh -: networking.disableHostDNSEntry: must be of type boolean, got string",
	}
	texts(`{type: ExternalService, name: e, tags: {kuma.io/service: e}, networking: []}`) == {
		"Mesh -: networking: must be of type object, got array",
		"Mesh -: networking.address: address can't be empty",
	}
}

test_addresses if {
	lib.split_host_port("a:1") == ["a", "1"]
	lib.split_host_port("[::1]:80") == ["::1", "80"]
	lib.split_host_port("a:") == ["a", ""]
	not lib.split_host_port("a")
	not lib.split_host_port("a:b:c")
	not lib.split_host_port("[a]b:1")
	lib.address_problems("x", "a.b:8080") == set()
	lib.address_problems("x", "a") == {
		lib.problem("ES002", "x", "unable to parse address"),
		lib.problem("ES002", "x", "address has to be a valid IP address or a domain name"),
		lib.problem("ES002", "x", "unable to parse port in address"),
		lib.problem("ES002", "x", "port must be in the range [1, 65535]"),
	}
	lib.address_problems("x", "a.b:99999999999") == {
		lib.problem("ES002", "x", "unable to parse port in address"),
		lib.problem("ES002", "x", "port must be in the range [1, 65535]"),
	}
	lib.address_problems("x", "a.b:0") == {lib.problem("ES002", "x", "port must be in the range [1, 65535]")}
	lib.address_problems("x", "a..b:1") == {
		lib.problem("ES002", "x", "address has to be a valid IP address or a domain name"),
	}
}

test_ip_and_dns_names if {
	lib.is_ip("10.0.0.1")
	lib.is_ip("2001:db8::1")
	not lib.is_ip("10.0.0.256")
	not lib.is_ip("10.0.0.0/8")
	lib.is_dns_name("api.example.com")
	lib.is_dns_name("under_score.example.com.")
	not lib.is_dns_name("")
	not lib.is_dns_name("10.0.0.1")
	not lib.is_dns_name("-lead.example.com")
	not lib.is_dns_name("hello@world")
}

test_tags_and_protocol if {
	texts(`
type: ExternalService
name: e
tags: {kuma.io/protocol: udp, "": x, "a b": y, v: "", w: a/b, n: 1}
networking: {address: "a.b:1"}
`) == {
		`Mesh -: tags: mandatory tag "kuma.io/service" is missing`,
		concat("", [
			`Mesh -: tags["kuma.io/protocol"]: tag "kuma.io/protocol" has an invalid value "udp". `,
			"Allowed values: grpc, http, http2, kafka, tcp",
		]),
		"Mesh -: tags: tag name must be non-empty",
		concat("", [`Mesh -: tags["a b"]: `, lib.messages.tag_name]),
		`Mesh -: tags["v"]: tag value must be non-empty`,
		concat("", [`Mesh -: tags["w"]: `, lib.messages.tag_value]),
		`Mesh -: tags["n"]: must be of type string, got integer`,
	}
}

test_service_equal_to_host if {
	texts(`{type: ExternalService, name: e, tags: {kuma.io/service: a.b}, networking: {address: "a.b:1"}}`) == {
		`Mesh -: tags["kuma.io/service"]: cannot be the same as networking.address`,
	}
}

test_tls if {
	texts(`
type: ExternalService
name: e
tags: {kuma.io/service: e}
networking:
  address: "a.b:1"
  tls:
    serverName: ""
    caCert: {inline: ""}
    clientCert: 1
    clientKey: {path: x}
    allowRenegotiation: 1
    x: 1
`) == {
		"Mesh -: networking.tls.serverName: cannot be empty",
		"Mesh -: networking.tls.caCert: data source cannot be empty",
		"Mesh -: networking.tls.clientCert: must be of type object, got integer",
		"Mesh -: networking.tls.clientCert: data source cannot be empty",
		"Mesh -: networking.tls.clientKey.path: unknown field",
		"Mesh -: networking.tls.clientKey: data source cannot be empty",
		"Mesh -: networking.tls.allowRenegotiation: must be of type boolean, got integer",
		"Mesh -: networking.tls.x: unknown field",
	}
}
