package checks.lib_test

import data.checks.lib

policy := `apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata:
  name: p
  namespace: shop
  labels: {kuma.io/mesh: default, kuma.io/origin: zone, kuma.io/zone: z1, kuma.io/display-name: shown}
spec:
  targetRef: {kind: MeshServiceSubset, name: web, tags: {v: "2"}}
  from: [{targetRef: {kind: MeshService, name: orders}, default: {action: Deny}}]`

test_placement_and_required_tags if {
	[m] := [m | some m in models([mesh, policy]); m.kind == "MeshTrafficPermission"]
	[m.role, m.origin, m.zone, m.display_name] == ["workload-owner", "zone", "z1", "shown"]
	m.target_ref.requires == {"kuma.io/service": "web", "v": "2"}
	m.from[0].target_ref.requires == {"kuma.io/service": "orders"}
	system := lib.report with input as {"gen_bundle": {"documents": documents([mesh, policy]), "combined": true, "settings": {"system_namespaces": ["shop"]}}}
	[n.role | some n in system.models; n.kind == "MeshTrafficPermission"] == ["system"]
}

test_creation_times if {
	[m] := [m | some m in models([mesh, `{type: TrafficPermission, name: t, creationTime: "2024-01-01T00:00:00Z", sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}`]); m.kind == "TrafficPermission"]
	m.creation_time_ns == 1704067200000000000
	[n] := [n | some n in models([mesh, `{type: TrafficPermission, name: t, sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}`]); n.kind == "TrafficPermission"]
	n.creation_time_ns == null
}

test_settings_from_a_conftest_data_file if {
	lib.system_namespaces == {"ns"} with data.checks_settings as {"system_namespaces": ["ns"]}
	lib.system_namespaces == {"kuma-system", "kong-mesh-system"}
}

test_paths_render_as_kuma_prints_them if {
	lib.field({"kind": "TrafficPermission"}, ["spec", "sources", 0, "match", {"key": "a"}]) == `sources[0].match["a"]`
	lib.field({"kind": "TrafficPermission"}, ["spec"]) == "spec"
	lib.field({"kind": "MeshPassthrough"}, ["spec", "default"]) == "spec.default"
	lib.document_path(["items", 2], ["spec", {"key": "x"}]) == ["items", 2, "spec", "x"]
}

test_values if {
	lib.is_ip("::1")
	not lib.is_ip("01.2.3.4")
	lib.is_cidr("10.0.0.1/8")
	not lib.is_dns_name("1.2.3.4")
	lib.valid_duration("1h30m")
	not lib.valid_duration("1 day")
	lib.dns1123_subdomain_errors(concat("", [x | some _ in numbers.range(1, 254); x := "a"])) == {"must be no more than 253 characters"}
	lib.namespace_error(concat("", [x | some _ in numbers.range(1, 64); x := "a"])) == "must be no more than 63 characters"
	lib.mesh_name_error(concat("", [x | some _ in numbers.range(1, 254); x := "a"])) == "value length must less or equal 253"
	lib.truthy(1)
	lib.truthy(true)
	lib.truthy({"a": 1})
	not lib.truthy(0)
	lib.json_type(1.5) == "number"
	lib.json_type(null) == "null"
	lib.as_string(3) == ""
	lib.has_type(true, "boolean")
}
