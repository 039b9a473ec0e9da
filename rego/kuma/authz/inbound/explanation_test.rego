package kuma.authz.inbound_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound

# payments: from orders Allow (rank 4, allow-orders), from env=staging Deny (rank 5, deny-all: the
# client has no env), any client Allow (rank 1, allow-all)
explained_index := {
	"any": fx.bucket([fx.entry(1, "Allow", 2, 0)], {"kuma.io/service": {"orders": [fx.entry(4, "Allow", 0, 0)]}}),
	"by_pair": {"app": {"payments": fx.bucket([], {"env": {"staging": [fx.entry(5, "Deny", 1, 0)]}})}},
}

explained_data := fx.compiled(fx.mesh_doc("strict", fx.selects_payments, explained_index))

status_of(explanation, name) := [entry.status | some entry in explanation.entries; entry.policy.name == name]

test_the_explanation_carries_the_decision if {
	explanation := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as explained_data
	d := inbound.decision with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as explained_data
	explanation.decision == d
	explanation.step == "from"
}

test_every_selecting_entry_is_explained_once if {
	explanation := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as explained_data
	count(explanation.entries) == 3
	status_of(explanation, "allow-orders") == ["decided"]
	status_of(explanation, "allow-all") == ["lower-precedence"]
	status_of(explanation, "deny-all") == ["client-mismatch"]
}

test_a_client_mismatch_names_the_missing_pair if {
	explanation := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as explained_data
	some entry in explanation.entries
	entry.policy.name == "deny-all"
	entry.client == {"env": "staging"}
	entry.why == "the client does not have env=staging"
}

test_with_mtls_disabled_no_entry_is_reached if {
	e := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as fx.compiled(fx.mesh_doc("disabled", fx.selects_payments, explained_index))
	e.step == "mtls"
	every entry in e.entries {
		entry.status == "not-reached"
	}
}

test_entries_of_another_mesh_are_named if {
	other := object.union(fx.mesh_doc("strict", fx.selects_payments, explained_index), {"policies": [
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-0"},
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-1"},
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-2"},
	]})
	data_two := object.union(explained_data, {"meshes": {"other": other}})
	e := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as data_two
	statuses := {entry.policy.name: entry.status | some entry in e.entries; entry.policy.mesh == "other"}
	statuses == {"elsewhere-0": "other-mesh", "elsewhere-1": "other-mesh", "elsewhere-2": "other-mesh"}
}

test_any_input_gives_an_explanation if {
	every bad in [{}, "a string", 42, null, [1], {"attributes": 7}] {
		e := inbound.explanation with input as bad with data.kuma.compiled as explained_data
		e.decision.dynamic_metadata.reason == "invalid-input"
		e.step == "input"
	}
}

# --- TrafficPermission (inbound_test.rego's with_permissions) ------------------------------------

permission_verdicts(e) := {entry.policy.name: [entry.status, entry.why] |
	some entry in e.entries
	entry.kind == "traffic-permission"
}

test_the_traffic_permission_in_force_decides_and_the_other_is_lower if {
	e := inbound.explanation with input as fx.http_check(fx.payments, {"principal": fx.orders})
		with data.kuma.compiled as with_permissions
	e.step == "traffic-permission"
	verdicts := permission_verdicts(e)
	verdicts["tp-web"] == ["decided", "the TrafficPermission in force; none of its sources matches the client"]
	verdicts["tp-all"][0] == "lower-precedence"
	sources := [entry.sources | some entry in e.entries; entry.policy.name == "tp-web"]
	sources == [[{"kuma.io/service": "web"}, {"env": "prod"}]]
}

test_a_traffic_permission_whose_sources_admit_the_client if {
	e := inbound.explanation with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as with_permissions
	verdicts := permission_verdicts(e)
	verdicts["tp-web"] == ["decided", "its sources admit the client"]
}

test_a_meshtrafficpermission_drops_the_traffic_permissions if {
	replaced := json.patch(fx.allow_orders, [{
		"op": "add", "path": "/meshes/default/inbound/traffic_permissions",
		"value": with_permissions.meshes["default"].inbound.traffic_permissions,
	}])
	e := inbound.explanation with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as replaced
	verdicts := permission_verdicts(e)
	{verdict[0] | some verdict in verdicts} == {"dropped"}
}

test_with_mtls_disabled_traffic_permissions_are_not_reached if {
	off := json.patch(with_permissions, [{"op": "replace", "path": "/meshes/default/mtls", "value": "disabled"}])
	e := inbound.explanation with input as fx.http_check(fx.payments, {"principal": "spiffe://default/web"})
		with data.kuma.compiled as off
	verdicts := permission_verdicts(e)
	{verdict[0] | some verdict in verdicts} == {"not-reached"}
}

# --- selection: the explanation's local entries without the client's verdicts --------------------

local_entries(e) := [object.remove(entry, {"status", "why"}) | some entry in e.entries; entry.status != "other-mesh"]

test_the_selection_is_the_explanation_without_verdicts if {
	other := object.union(fx.mesh_doc("strict", fx.selects_payments, explained_index), {"policies": [
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-0"},
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-1"},
		{"kind": "MeshTrafficPermission", "mesh": "other", "name": "elsewhere-2"},
	]})
	data_two := object.union(explained_data, {"meshes": {"other": other}})
	e := inbound.explanation with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as data_two
	s := inbound.selection with input as fx.http_check(fx.payments, fx.orders_with_cert)
		with data.kuma.compiled as data_two
	s.step == e.step
	count(s.entries) > 0
	s.entries == local_entries(e)
}

test_the_selection_of_traffic_permissions_is_the_explanation_without_verdicts if {
	e := inbound.explanation with input as fx.http_check(fx.payments, {"principal": fx.orders})
		with data.kuma.compiled as with_permissions
	s := inbound.selection with input as fx.http_check(fx.payments, {"principal": fx.orders})
		with data.kuma.compiled as with_permissions
	s.step == "traffic-permission"
	s.entries == local_entries(e)

	# a client that meets none of its sources is denied naming the TrafficPermission in force
	s.no_match_policy == {"kind": "TrafficPermission", "mesh": "default", "name": "tp-web"}
}

# The selection says which policy a client no entry applies to is denied by, as the decision names it.
test_the_selection_names_the_policy_of_a_denial_no_entry_decides if {
	selected := with_selects(fx.selects_payments) # no entries: every client meets none
	s := inbound.selection with input as orders_check with data.kuma.compiled as selected
	d := inbound.decision.dynamic_metadata with input as orders_check with data.kuma.compiled as selected
	d.reason == "no-matching-rule"
	s.step == "from"
	s.no_match_policy.name == "allow-orders"
	s.no_match_policy == d.policy
}

test_any_input_gives_a_selection if {
	every bad in [{}, "a string", 42, null, [1], {"attributes": 7}] {
		s := inbound.selection with input as bad with data.kuma.compiled as explained_data
		s.step == "input"
	}
}
