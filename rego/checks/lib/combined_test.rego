package checks.lib_test

import data.checks.lib

test_cross_document_checks if {
	found([
		`{type: Mesh, name: plain}`,
		`{type: TrafficPermission, name: t, mesh: plain, sources: [{match: {a: b}}], destinations: [{match: {a: b}}]}`,
		`{type: MeshTrafficPermission, name: p, mesh: plain, spec: {from: [{targetRef: {kind: MeshSubset, tags: {a: b}}, default: {action: Deny}}]}}`,
		`{type: MeshTrafficPermission, name: p, mesh: plain, spec: {from: [{targetRef: {kind: MeshSubset, tags: {a: b}}, default: {action: Deny}}]}}`,
		`{type: MeshPassthrough, name: q, mesh: nowhere, spec: {default: {passthroughMode: None}}}`,
	]) == {["CMB001", ""], ["CMB002", ""], ["CMB003", ""], ["CMB004", ""]}
	messages([mesh, mesh]) == {"defined twice: also at t.yaml, document 1"}
}

test_nothing_that_decides_access if {
	found([`{type: MeshTimeout, name: t, mesh: default, spec: {}}`]) == {["CMB005", ""], ["RES009", ""]}
	allowed := lib.report with input as {"gen_bundle": {"documents": documents([`{type: MeshTimeout, name: t, mesh: default, spec: {}}`]), "combined": true, "settings": {"allow_empty": true}}}
	[f.id | some f in allowed.findings] == ["RES009"]
	empty := lib.report with input as {"gen_bundle": {"documents": [], "combined": true, "first_document": {"file": "policies/", "document": 0}}}
	[[f.id, f.file] | some f in empty.findings] == [["CMB005", "policies/"]]

	# An input with errors has nothing to add.
	found([`{type: Mesh, name: 1}`]) == {["RES001", "name"]}
}

test_parts_hand_their_summaries_to_the_final_check if {
	part := lib.report with input as {"gen_bundle": {"documents": documents([mesh, mesh]), "combined": false}}
	[f.id | some f in part.findings] == []
	final := lib.report with input as {"gen_bundle": {"documents": [], "summaries": part.summaries, "combined": true}}
	[f.id | some f in final.findings] == ["CMB004"]
}

test_conftest_results_per_document_and_combined if {
	results := lib.findings with input as yaml.unmarshal(`{type: Mesh, name: BAD}`)
	results == {{
		"msg": "Mesh BAD: name: invalid characters. A lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
		"id": "RES001",
		"resource": "Mesh BAD",
		"field": "name",
		"path": ["name"],
	}}
	combined := lib.findings with input as [{"path": "a.yaml", "contents": {"type": "Mesh", "name": "m"}}, {"path": "a.yaml", "contents": {"type": "Mesh", "name": "m"}}]
	[r.msg | some r in combined] == ["a.yaml, document 2: Mesh m: defined twice: also at a.yaml, document 1"]
	listed := lib.findings with input as [{"path": "l.yaml", "contents": {"kind": "List", "items": [{"type": "Mesh", "name": "m"}, {"type": "Mesh", "name": "m"}]}}]
	[r.file | some r in listed] == ["l.yaml, document 1, item 2"]
}
