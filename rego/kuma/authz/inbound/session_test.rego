# Inbound decisions whose client URI SANs come from the TLS session (dynamic metadata), not a
# certificate; the helpers are inbound_test.rego's (one package).
package kuma.authz.inbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound

test_client_tags_from_the_tls_session if {
	# the env tag is only among the URI SANs Envoy hands over from the session: no certificate
	from := payments_bucket([], fx.from_orders([fx.entry_requiring(4, "Allow", 0, {}, {"env": "prod"})]))
	session := fx.session_check(fx.payments, {"principal": fx.orders}, fx.orders_session_uris)
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as session
		with data.kuma.compiled as with_from(from)
	without_env := fx.session_check(fx.payments, {"principal": fx.orders}, "spiffe://default/orders")
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as without_env
		with data.kuma.compiled as with_from(from)
	claims_another := fx.session_check(fx.payments, {"principal": fx.orders}, "spiffe://default/billing,kuma://env/prod")
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as claims_another
		with data.kuma.compiled as with_from(from)
}
