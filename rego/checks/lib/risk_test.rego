package checks.lib_test

test_mesh_wide_allow_all if {
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {targetRef: {kind: MeshSubset, tags: {}}, from: [{targetRef: {kind: Mesh}, default: {action: Deny}}, {targetRef: {kind: MeshSubset}, default: {action: AllowWithShadowDeny}}]}}`]) == {
		["DEP002", "spec.targetRef.kind"],
		["RISK001", "spec.from[1]"],
		["RISK004", "spec.from[1].default.action"],
		["RISK005", "spec.from[0]"],
	}
	found([mesh, `{type: TrafficPermission, name: t, sources: [{match: {kuma.io/service: "*"}}], destinations: [{match: {kuma.io/service: "*"}}]}`]) == {["RISK001", ""]}

	# A namespaced policy applies to its namespace only.
	found([mesh, `{apiVersion: kuma.io/v1alpha1, kind: MeshTrafficPermission, metadata: {name: p, namespace: shop}, spec: {from: [{targetRef: {kind: Mesh}, default: {action: Allow}}]}}`]) == set()
}

test_passthrough_risks if {
	found([mesh, `{type: MeshPassthrough, name: p, spec: {default: {passthroughMode: All}}}`]) == {["RISK002", "spec.default.passthroughMode"]}
	messages([mesh, `{type: MeshPassthrough, name: p, spec: {default: {passthroughMode: Matched, appendMatch: [{type: Domain, value: b.com, protocol: tls}, {type: Domain, value: a.com, protocol: tls}]}}}`]) == {
		`spec.default.appendMatch: allows egress by Domain ("a.com", "b.com"): the client sets the TLS SNI / HTTP Host that is matched, so it can reach any address under that name; prefer IP or CIDR matches where the destinations are known`,
	}
}

test_skipped_policies_and_labels if {
	found([mesh, `{type: MeshTrafficPermission, name: p, labels: {kuma.io/effect: shadow}, spec: {from: [{targetRef: {kind: MeshSubset, tags: {a: b}}, default: {action: Deny}}]}}`]) == {["RISK006", ""]}
	found([mesh, `{type: MeshPassthrough, name: p, spec: {targetRef: {kind: Mesh, proxyTypes: [Gateway]}, default: {passthroughMode: None}}}`]) == {["RISK007", "spec.targetRef.proxyTypes"]}
	found([mesh, `{type: MeshTrafficPermission, name: p, labels: {kuma.io/origin: zones}, spec: {from: [{targetRef: {kind: MeshSubset, tags: {a: b}}, default: {action: Deny}}]}}`]) == {["RISK008", `labels["kuma.io/origin"]`]}
}

test_deprecations if {
	found([mesh, `{type: MeshTrafficPermission, name: p, spec: {targetRef: {kind: MeshService, name: web}, from: [{targetRef: {kind: MeshService, name: orders}, default: {action: Deny}}]}}`]) == {
		["DEP001", "spec.from[0].targetRef.kind"],
		["DEP002", "spec.targetRef.kind"],
	}
}
