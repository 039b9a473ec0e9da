package checks.risk_test

import data.checks.risk

mtp(spec) := {"type": "MeshTrafficPermission", "name": "p", "spec": spec}

mpt(conf) := {"type": "MeshPassthrough", "name": "e", "spec": {"default": conf}}

entry(ref, action) := {"targetRef": ref, "default": {"action": action}}

mesh := {"kind": "Mesh"}

web := {"kind": "MeshSubset", "tags": {"kuma.io/service": "web"}}

domain := {"type": "Domain", "value": "a.com"}

test_allow_all if {
	warnings := {[f.id, f.field] | some f in risk.warn} with input as mtp({"from": [entry(mesh, "Allow")]})
	warnings == {["RISK001", "spec.from[0]"]}
}

k8s(namespace) := {
	"apiVersion": "kuma.io/v1alpha1",
	"kind": "MeshTrafficPermission",
	"metadata": {"name": "p", "namespace": namespace},
	"spec": {"from": [entry(mesh, "Allow")]},
}

test_allow_all_in_a_workload_namespace_is_not_mesh_wide if {
	system := {f.id | some f in risk.warn} with input as k8s("kuma-system")
	system == {"RISK001"}
	workload := {f.id | some f in risk.warn} with input as k8s("payments")
	workload == set()
}

test_allow_all_needs_the_whole_mesh if {
	for_web := {f.id | some f in risk.warn} with input as mtp({"targetRef": web, "from": [entry(mesh, "Allow")]})
	for_web == set()
	for_gateways := {f.id | some f in risk.warn} with input as mtp({
		"targetRef": {"kind": "Mesh", "proxyTypes": ["Gateway"]},
		"from": [entry(mesh, "Allow")],
	})
	for_gateways == set()
	for_sidecars := {f.id | some f in risk.warn} with input as mtp({
		"targetRef": {"kind": "MeshSubset", "proxyTypes": ["Sidecar"]},
		"from": [entry({"kind": "MeshSubset", "tags": {}}, "AllowWithShadowDeny")],
	})
	for_sidecars == {"RISK001", "RISK004"}
}

test_allow_all_overridden if {
	policy := mtp({"from": [entry(mesh, "Allow"), entry(mesh, "Deny")]})
	warnings := {[f.id, f.field] | some f in risk.warn} with input as policy
	warnings == {["RISK005", "spec.from[0]"]}
}

test_allow_all_traffic_permission if {
	tp := {
		"type": "TrafficPermission",
		"name": "allow-all-default",
		"sources": [{"match": {"kuma.io/service": "web"}}, {"match": {"kuma.io/service": "*", "zone": "*"}}],
		"destinations": [{"match": {"kuma.io/service": "*"}}],
	}
	warnings := {f.msg | some f in risk.warn} with input as tp
	warnings == {concat("", [
		"TrafficPermission default/allow-all-default: mesh-wide allow-all: ",
		`sources[1] matches every client and destinations[0] every service of mesh "default"`,
	])}
	narrower_tp := object.union(tp, {"destinations": [{"match": {"kuma.io/service": "*", "v": "*"}}]})
	narrower := {f.msg | some f in risk.warn} with input as narrower_tp
	narrower == set()
}

test_passthrough if {
	all_mode := {f.id | some f in risk.warn} with input as mpt({"passthroughMode": "All", "appendMatch": [domain]})
	all_mode == {"RISK002"}
	domains := {f.msg | some f in risk.warn} with input as mpt({"appendMatch": [
		{"type": "Domain", "value": "b.com"},
		{"type": "IP", "value": "10.0.0.1"},
		domain,
	]})
	[message] := [m | some m in domains]
	contains(message, `allows egress by Domain ("a.com", "b.com")`)
	none_mode := {f.id | some f in risk.warn} with input as mpt({"passthroughMode": "None", "appendMatch": [domain]})
	none_mode == set()
}

test_shadow_deny if {
	shadow_rule := {"default": {"allowWithShadowDeny": [{"spiffeID": {"type": "Exact", "value": "spiffe://a/b"}}]}}
	warnings := {[f.id, f.field] | some f in risk.warn} with input as mtp({
		"from": [entry(web, "AllowWithShadowDeny")],
		"rules": [shadow_rule, {"default": {}}],
	})
	warnings == {["RISK004", "spec.from[0].default.action"], ["RISK004", "spec.rules[0].default.allowWithShadowDeny"]}
}

test_never_decides if {
	narrow := {"kind": "MeshServiceSubset", "name": "web", "tags": {"v": "1"}}
	api := {"kind": "MeshService", "name": "api"}
	policy := mtp({"from": [entry(narrow, "Deny"), entry(web, "Allow"), entry(api, "Allow")]})
	warnings := {f.msg | some f in risk.warn} with input as policy
	warnings == {concat("", [
		"MeshTrafficPermission default/p: spec.from[0]: never decides: spec.from[1] comes later ",
		"and applies to every client this entry applies to, so its action (Allow) wins",
	])}
	fine := {f.id | some f in risk.warn} with input as mtp({"from": [entry(web, "Deny"), entry(narrow, "Allow")]})
	fine == set()
}

test_shadow_label if {
	shadowed := object.union(mtp({"from": [entry(mesh, "Allow")]}), {"labels": {"kuma.io/effect": "shadow"}})
	warnings := {[f.id, f.msg] | some f in risk.warn} with input as shadowed
	warnings == {[
		"RISK006",
		"MeshTrafficPermission default/p: labelled kuma.io/effect: shadow, so it takes no part in decisions",
	]}
}
