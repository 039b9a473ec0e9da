# Decision tables (decision_table.rego): a table decides as the chain, and only where it may. The
# helpers are inbound_test.rego's (one package).
package kuma.authz.inbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound

# the payments inbound's settings as deploy/ writes them: every fact of the local side
deployed := object.union(fx.payments, {
	"kuma.io/direction": "inbound",
	"kuma.io/dataplane-name": "payments-1",
	"kuma.io/dataplane-namespace": "",
	"kuma.io/dataplane-labels": "{}",
})

at_port(check) := json.patch(check, [{
	"op": "add",
	"path": "/attributes/destination/address",
	"value": {"socketAddress": {"address": "10.0.0.9", "portValue": 8080}},
}])

# orders with env=prod: Allow (rank 5); any client: Deny (rank 4)
table_mesh := with_from(payments_bucket(
	[fx.entry(4, "Deny", 1, 0)],
	fx.from_orders([fx.entry_requiring(5, "Allow", 0, {}, {"env": "prod"})]),
))

local_side := at_port({"attributes": {"contextExtensions": deployed, "destination": {}}})

with_table(compiled, table) := json.patch(compiled, [{
	"op": "add",
	"path": "/meshes/default/inbound/decision_tables",
	"value": {"payments": {"8080": table}},
}])

session(uris) := at_port(fx.session_check(deployed, {"principal": fx.orders}, uris))

test_a_decision_table_decides_as_the_chain_for_a_client_with_one_service if {
	table := inbound.decision_table with input as local_side with data.kuma.compiled as table_mesh
	tabled := with_table(table_mesh, table)
	every uris in [
		fx.orders_session_uris,
		"spiffe://default/orders",
		"spiffe://default/orders,kuma://env/dev",
	] {
		check := session(uris)
		answer := inbound.table_decision with input as check with data.kuma.compiled as tabled
		answer == inbound.decision with input as check with data.kuma.compiled as table_mesh
	}
	inbound.decision.dynamic_metadata.reason == "allowed-by-policy" with input as session(fx.orders_session_uris)
		with data.kuma.compiled as tabled
	inbound.decision.dynamic_metadata.reason == "denied-by-policy" with input as session("spiffe://default/orders")
		with data.kuma.compiled as tabled
	by_certificate := at_port(fx.http_check(deployed, fx.orders_with_cert))
	answer := inbound.table_decision with input as by_certificate with data.kuma.compiled as tabled
	answer == inbound.decision with input as by_certificate with data.kuma.compiled as table_mesh
}

test_a_decision_table_leaves_a_client_with_another_service_to_the_chain if {
	table := inbound.decision_table with input as local_side with data.kuma.compiled as table_mesh
	tabled := with_table(table_mesh, table)
	every uris in [
		"spiffe://default/orders,spiffe://default/billing,kuma://env/prod",
		"spiffe://default/orders,kuma://kuma.io/service/billing",
		"spiffe://default/orders,kuma://kuma.io/service/orders/x",
		"spiffe://other/orders",
		"",
	] {
		check := session(uris)
		not inbound.table_decision with input as check with data.kuma.compiled as tabled
		answer := inbound.decision with input as check with data.kuma.compiled as tabled
		answer == inbound.decision with input as check with data.kuma.compiled as table_mesh
	}
}

test_a_check_that_is_not_the_tables_goes_the_whole_way if {
	table := inbound.decision_table with input as local_side with data.kuma.compiled as table_mesh
	tabled := with_table(table_mesh, table)
	elsewhere := json.patch(session(fx.orders_session_uris), [{
		"op": "replace",
		"path": "/attributes/destination/address/socketAddress/portValue",
		"value": 9090,
	}])
	more := json.patch(session(fx.orders_session_uris), [{
		"op": "add",
		"path": "/attributes/contextExtensions/team",
		"value": "shop",
	}])
	malformed := json.patch(session(fx.orders_session_uris), [{
		"op": "add",
		"path": "/attributes/source/certificate",
		"value": 7,
	}])
	every check in [elsewhere, more, malformed] {
		not inbound.table_decision with input as check with data.kuma.compiled as tabled
	}
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as malformed
		with data.kuma.compiled as tabled
}

test_no_table_where_a_setting_is_left_to_the_labels_or_rules_decide if {
	inbound.decision_table with input as local_side with data.kuma.compiled as table_mesh
	labels_tell := at_port({"attributes": {"contextExtensions": fx.payments, "destination": {}}})
	not inbound.decision_table with input as labels_tell with data.kuma.compiled as table_mesh
	rules_decide := fx.patched(table_mesh, "selection/rules_policies/any", [{"inbound": {}, "policy": 0}])
	not inbound.decision_table with input as local_side with data.kuma.compiled as rules_decide
}
