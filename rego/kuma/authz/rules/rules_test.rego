package kuma.authz.rules_test

import data.kuma.authz.fixtures_test as fx
import data.kuma.authz.inbound
import data.kuma.authz.rules

# --- a mesh with two rules policies (hand-written compiled data, docs/data-shape.md) ----------------

team_a := "spiffe://td/ns/team-a/sa/orders"

intruder := "spiffe://td/ns/team-a/sa/intruder"

policies := [
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "team-a", "kri": "kri_mtp_default___team-a_"},
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "no-intruder", "kri": "kri_mtp_default___no-intruder_"},
	{"kind": "MeshIdentity", "mesh": "default", "name": "workloads"},
]

# one compiled match record (docs/data-shape.md)
record(order, action, policy, extra) := object.union(
	{"order": order, "action": action, "policy": policy, "rule": 0, "match": 0},
	extra,
)

intruder_spiffe := {"spiffe": {"type": "Exact", "value": "spiffe://td/ns/team-a/sa/intruder"}}

team_a_spiffe := {"spiffe": {"type": "Prefix", "value": "spiffe://td/ns/team-a"}}

# Deny first (2.14): the deny is matcher 0. The per-rule order (2.13) is the same data with the
# deny renumbered after the mesh-wide rule's matches.
deny_first := {
	"format": 2,
	"semantics": {"kuma_version": "2.14.3", "identity_selects_rules": true},
	"meshes": {"default": fx.mesh({
		"defined": true,
		"mtls": "strict",
		"passthrough": true,
		"policies": policies,
		"selection": {
			"from_policies": {"any": [], "by_pair": {}},
			"from": {"any": {"any": [], "by_pair": {}}, "by_pair": {}},
			"rules_policies": {
				"any": [{"inbound": {}, "policy": 0}],
				"by_pair": {},
				"by_label": {"app": {"payments": [{"inbound": {}, "labels": {}, "policy": 1}]}},
				"by_name": {},
			},
		},
		"inbound": {
			"traffic_permissions": {"select": {"any": [], "by_pair": {}}, "sources": {}},
			"identities": {"selectors": [{"rank": 0, "policy": 2, "labels": {"app": "payments"}}]},
			"rules": {
				"exact": {intruder: [record(0, "Deny", 1, intruder_spiffe)]},
				"prefix": {
					"lengths": [21],
					"by_value": {"spiffe://td/ns/team-a": [record(1, "Allow", 0, team_a_spiffe)]},
				},
				"sni": {"api.shop": [record(2, "AllowWithShadowDeny", 0, {"sni": "api.shop"})]},
			},
		},
	})},
}

per_rule := json.patch(deny_first, [{
	"op": "replace",
	"path": "/meshes/default/inbound/rules/exact/spiffe:~1~1td~1ns~1team-a~1sa~1intruder/0/order",
	"value": 3,
}])

without_mtls := json.patch(deny_first, [{"op": "replace", "path": "/meshes/default/mtls", "value": "disabled"}])

check(source, labels) := fx.http_check(
	object.union(fx.payments, {"kuma.io/dataplane-labels": json.marshal(labels)}),
	source,
)

test_any_matching_deny_denies_on_2_14 if {
	d := inbound.decision.dynamic_metadata with input as check({"principal": intruder}, {"app": "payments"})
		with data.kuma.compiled as deny_first
	d.reason == "denied-by-policy"
	d.rule == "kri_mtp_default___no-intruder_"
	d.policy.name == "no-intruder"
	d.match.spiffe.value == intruder
}

test_the_first_matching_rule_decides_on_2_13 if {
	d := inbound.decision.dynamic_metadata with input as check({"principal": intruder}, {"app": "payments"})
		with data.kuma.compiled as per_rule
	d.reason == "allowed-by-policy"
	d.policy.name == "team-a"
}

test_a_prefix_is_a_raw_string_prefix if {
	longer := inbound.decision.dynamic_metadata with input as check({"principal": "spiffe://td/ns/team-ab/sa/x"}, {})
		with data.kuma.compiled as deny_first
	longer.reason == "allowed-by-policy"
	other := inbound.decision.dynamic_metadata with input as check({"principal": "spiffe://other/ns/team-a/sa/x"}, {})
		with data.kuma.compiled as deny_first
	other.reason == "no-matching-rule"
}

test_the_deny_does_not_select_a_dataplane_without_its_labels if {
	d := inbound.decision.dynamic_metadata with input as check({"principal": intruder}, {"app": "ledger"})
		with data.kuma.compiled as deny_first
	d.reason == "allowed-by-policy"
}

test_sni_matches_the_server_name_exactly if {
	source := {"principal": "spiffe://elsewhere/x"}
	session := [{"op": "add", "path": "/attributes/tlsSession", "value": {"sni": "api.shop"}}]
	with_sni := json.patch(check(source, {}), session)
	d := inbound.decision.dynamic_metadata with input as with_sni with data.kuma.compiled as deny_first
	d.reason == "allowed-by-policy"
	d.shadow_deny == true
	d.match == {"sni": "api.shop"}
	shouted := json.patch(with_sni, [{"op": "replace", "path": "/attributes/tlsSession/sni", "value": "API.shop"}])
	inbound.decision.dynamic_metadata.reason == "no-matching-rule" with input as shouted
		with data.kuma.compiled as deny_first
}

test_no_identity_and_bad_certificates if {
	no_identity := inbound.decision.dynamic_metadata with input as check({}, {"app": "payments"})
		with data.kuma.compiled as deny_first
	no_identity.reason == "no-identity"
	bad := inbound.decision.dynamic_metadata with input as check({"principal": team_a, "certificate": "garbage"}, {})
		with data.kuma.compiled as deny_first
	bad.reason == "invalid-input"
}

test_the_certificate_uri_sans_joined_with_commas if {
	# cert_multi carries spiffe://default/orders and kuma:// URIs: no Exact match, and a Prefix sees the first
	request := check({"principal": fx.orders, "certificate": fx.cert_multi}, {})
	uris := data.kuma.authz.identity.certificate_uris with input as request
	count(uris) > 1
	joined := data.kuma.authz.identity.uri_san with input as request
	joined == concat(",", uris)
	startswith(joined, "spiffe://default/orders,")
}

test_a_workload_identity_brings_rules_even_without_mtls if {
	# labels app=payments: the MeshIdentity selects the proxy, so mesh mTLS off does not allow all
	selected := inbound.decision.dynamic_metadata with input as check({"principal": team_a}, {"app": "payments"})
		with data.kuma.compiled as without_mtls
	selected.reason == "allowed-by-policy"
	other := inbound.decision.dynamic_metadata with input as check({"principal": team_a}, {"app": "ledger"})
		with data.kuma.compiled as without_mtls
	other.reason == "mtls-disabled"
	identity := rules.workload_identity with input as check({"principal": team_a}, {"app": "payments"})
		with data.kuma.compiled as deny_first
	identity.policy == 2
}

test_nothing_matching_is_the_default_deny_naming_the_selecting_policy if {
	d := inbound.decision with input as check({"principal": "spiffe://td/ns/other/sa/x"}, {})
		with data.kuma.compiled as deny_first
	d.dynamic_metadata.reason == "no-matching-rule"
	d.dynamic_metadata.rule == "default"
	d.dynamic_metadata.policy == policies[0]
	d.headers["x-kuma-authz-policy"] == "MeshTrafficPermission/default/team-a"
	d.body == "kuma: denied (no-matching-rule) by MeshTrafficPermission default/team-a"
}

# Both select app=payments; no-intruder (a Dataplane targetRef) has the higher precedence.
test_nothing_matching_names_the_selecting_policy_of_the_highest_precedence if {
	stranger := check({"principal": "spiffe://td/ns/other/sa/x"}, {"app": "payments"})
	d := inbound.decision.dynamic_metadata with input as stranger with data.kuma.compiled as deny_first
	d.reason == "no-matching-rule"
	d.policy.name == "no-intruder"
}

test_labels_that_are_not_a_json_object_are_invalid if {
	bad := fx.http_check(object.union(fx.payments, {"kuma.io/dataplane-labels": "[1]"}), {"principal": team_a})
	inbound.decision.dynamic_metadata.reason == "invalid-input" with input as bad
		with data.kuma.compiled as deny_first
	"kuma.io/dataplane-labels is not a JSON object of strings" in data.kuma.authz.request.problems with input as bad
}

test_an_allowed_request_with_a_shadow_match_is_shadow_denied_whichever_match_decided if {
	# Kuma's shadow matcher holds every allowWithShadowDeny list apart from the enforcing matcher: the
	# team-a prefix (an allow) decides, and the sni allowWithShadowDeny holds too
	session := [{"op": "add", "path": "/attributes/tlsSession", "value": {"sni": "api.shop"}}]
	with_sni := json.patch(check({"principal": team_a}, {}), session)
	d := inbound.decision.dynamic_metadata with input as with_sni with data.kuma.compiled as deny_first
	d.reason == "allowed-by-policy"
	d.match == team_a_spiffe
	d.shadow_deny == true
	without := inbound.decision.dynamic_metadata with input as check({"principal": team_a}, {})
		with data.kuma.compiled as deny_first
	without.shadow_deny == false
	intruder_with_sni := json.patch(check({"principal": intruder}, {"app": "payments"}), session)
	denied := inbound.decision.dynamic_metadata with input as intruder_with_sni with data.kuma.compiled as deny_first
	denied.reason == "denied-by-policy"
	denied.shadow_deny == false
}

test_the_explanation_of_rules if {
	e := inbound.explanation with input as check({"principal": intruder}, {"app": "payments"})
		with data.kuma.compiled as deny_first
	e.step == "rules"
	statuses := {[entry.policy.name, entry.order]: entry.status | some entry in e.entries}
	statuses == {["no-intruder", 0]: "decided", ["team-a", 1]: "lower-precedence", ["team-a", 2]: "client-mismatch"}
	[entry.why | some entry in e.entries; entry.order == 2] == [`sni "api.shop" is not the TLS server name ""`]

	other := inbound.explanation with input as check({"principal": "spiffe://other/x"}, {})
		with data.kuma.compiled as deny_first
	whys := [entry.why | some entry in other.entries; entry.order == 1]
	whys == [`spiffeID Prefix "spiffe://td/ns/team-a" does not hold for the client's URI SAN "spiffe://other/x"`]
}

test_a_workload_identity_without_rules_names_its_meshidentity if {
	no_rules := {"any": [], "by_pair": {}, "by_label": {}, "by_name": {}}
	path := "/meshes/default/selection/rules_policies"
	compiled := json.patch(deny_first, [{"op": "replace", "path": path, "value": no_rules}])
	request := check({"principal": team_a}, {"app": "payments"})
	e := inbound.explanation with input as request with data.kuma.compiled as compiled
	e.step == "rules"
	e.decision.dynamic_metadata.reason == "no-policy"
	cause := inbound.rules_cause with input as request with data.kuma.compiled as compiled
	cause == "the proxy has a workload identity from MeshIdentity default/workloads"
}
