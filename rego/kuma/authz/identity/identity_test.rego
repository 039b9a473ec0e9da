package kuma.authz.identity_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.identity
import data.kuma.authz.request

# --- client identity ----------------------------------------------------------------------------

test_no_principal_is_no_identity if {
	identity.client == {"status": "none", "tags": {}} with input as fx.http_check(fx.payments, {})
	identity.client.status == "none" with input as {}
	identity.client.status == "none" with input as fx.http_check(fx.payments, {"principal": ""})
}

test_source_principal_extra_is_not_identity if {
	# OPA-Envoy's `source_principal` copy is not read: only attributes.source.principal counts
	check := object.union(fx.http_check(fx.payments, {}), {"source_principal": fx.orders})
	identity.client.status == "none" with input as check
}

test_principal_only if {
	identity.client == {
		"status": "verified",
		"principal": fx.orders,
		"tags": {"kuma.io/service": ["orders"]},
	} with input as fx.http_check(fx.payments, {"principal": fx.orders})
}

test_foreign_identities if {
	every principal in [
		"spiffe://other/orders", # another mesh
		"spiffe://default/", # no service
		"spiffe://default/ns/shop/sa/web", # MeshIdentity path
		"spiffe://default", # no path
		"web.example", # DNS SAN
		"CN=web", # subject
	] {
		client := identity.client with input as fx.http_check(fx.payments, {"principal": principal})
		client == {"status": "foreign", "principal": principal, "tags": {}}
	}
}

test_certificate_tags if {
	tags := identity.tags with input as fx.http_check(fx.payments, fx.orders_with_cert)
	tags == {
		"kuma.io/service": ["orders"],
		"kuma.io/zone": ["us-east"],
		"env": ["prod"],
	}
}

test_plain_pem_certificate if {
	src := {"principal": fx.orders, "certificate": fx.cert_orders_pem}
	client := identity.client with input as fx.http_check(fx.payments, src)
	client.status == "verified"
	client.tags == {"kuma.io/service": ["orders"], "kuma.io/zone": ["us-east"], "env": ["prod"]}
}

test_multi_valued_certificate if {
	client := identity.client with input as fx.http_check(fx.payments, fx.orders_with_multi_cert)
	client.status == "verified"

	# spiffe://other/evil, the MeshIdentity path, kuma://novalue and https:// add nothing
	client.tags == {
		"kuma.io/service": ["billing", "orders"],
		"kuma.io/zone": ["us-east"],
		"env": ["prod"],
		"version": ["v1", "v2"],
	}
}

test_spiffe_sans_count_only_in_their_mesh if {
	# the request claims mesh "other": principal spiffe://other/evil is in the certificate
	extensions := {"kuma.io/mesh": "other", "kuma.io/service": "payments"}
	src := {"principal": "spiffe://other/evil", "certificate": fx.cert_multi}
	tags := identity.tags with input as fx.http_check(extensions, src)

	# evil from its spiffe SAN (same trust domain now); orders and billing from kuma:// SANs;
	# spiffe://default/... SANs add nothing in mesh "other"
	tags["kuma.io/service"] == ["billing", "evil", "orders"]
}

test_principal_must_be_in_certificate if {
	src := {"principal": "spiffe://default/billing", "certificate": fx.cert_orders}
	identity.client.status == "invalid-certificate" with input as fx.http_check(fx.payments, src)
}

test_certificate_without_uri_san if {
	src := {"principal": fx.orders, "certificate": fx.cert_dns}
	client := identity.client with input as fx.http_check(fx.payments, src)
	client == {"status": "invalid-certificate", "principal": fx.orders, "tags": {}}
}

test_garbage_certificates if {
	every certificate in [
		"garbage",
		"-----BEGIN%20CERTIFICATE-----%0AAAAA%0A-----END%20CERTIFICATE-----%0A",
		"%zz", # bad escape
		"%20", # decodes to nothing parsable
	] {
		src := {"principal": fx.orders, "certificate": certificate}
		identity.client.status == "invalid-certificate" with input as fx.http_check(fx.payments, src)
	}
}

test_empty_certificate_is_absent if {
	src := {"principal": fx.orders, "certificate": ""}
	identity.client.status == "verified" with input as fx.http_check(fx.payments, src)
}

test_forged_headers_are_ignored if {
	check := json.patch(fx.http_check(fx.payments, {"principal": fx.orders}), [{
		"op": "add",
		"path": "/attributes/request/http/headers",
		"value": {
			"x-kuma-tags": "&env=prod&&kuma.io/service=admin&",
			"x-forwarded-client-cert": "By=spiffe://default/payments;URI=spiffe://default/admin",
		},
	}])
	identity.client.tags == {"kuma.io/service": ["orders"]} with input as check
}

test_kuma_tag if {
	identity.kuma_tag("kuma://kuma.io/zone/us-east") == ["kuma.io/zone", "us-east"]
	identity.kuma_tag("kuma://env/prod") == ["env", "prod"]
	not identity.kuma_tag("kuma://novalue")
	not identity.kuma_tag("kuma:///x")
	not identity.kuma_tag("kuma://x/")
	not identity.kuma_tag("spiffe://default/orders")
}

# --- identity from the TLS session ------------------------------------------------------------------

test_session_uris_give_the_certificate_tags if {
	every uri_sans in [fx.orders_session_uris, split(fx.orders_session_uris, ",")] {
		client := identity.client with input as fx.session_check(fx.payments, {"principal": fx.orders}, uri_sans)
		client == {
			"status": "verified",
			"principal": fx.orders,
			"tags": {"kuma.io/service": ["orders"], "kuma.io/zone": ["us-east"], "env": ["prod"]},
		}
	}
}

test_session_uris_are_the_uri_san_input if {
	check := fx.session_check(fx.payments, {"principal": fx.orders}, fx.orders_session_uris)
	identity.uri_san == fx.orders_session_uris with input as check
}

test_session_uris_must_carry_the_principal if {
	every uri_sans in ["kuma://env/prod", "", []] {
		check := fx.session_check(fx.payments, {"principal": fx.orders}, uri_sans)
		identity.client.status == "invalid-certificate" with input as check
	}
}

test_session_uris_take_the_place_of_the_certificate if {
	# Envoy gives both from one TLS session; the list is read and the certificate is not parsed
	source := {"principal": fx.orders, "certificate": "garbage"}
	client := identity.client with input as fx.session_check(fx.payments, source, fx.orders_session_uris)
	client.status == "verified"
}

test_session_uris_of_another_type_are_not_well_formed if {
	every uri_sans in [42, false, null, {"a": 1}, ["spiffe://default/orders", 7]] {
		check := fx.session_check(fx.payments, {"principal": fx.orders}, uri_sans)
		not request.well_formed with input as check
		count(request.problems) > 0 with input as check
	}
}

test_plaintext_with_empty_session_uris_has_no_identity if {
	identity.client.status == "none" with input as fx.session_check(fx.payments, {}, "")
}
