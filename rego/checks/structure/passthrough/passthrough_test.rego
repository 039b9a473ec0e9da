package checks.structure.passthrough_test

import data.checks.structure.passthrough

test_deny_reports_passthrough_problems_only if {
	found := passthrough.deny with input as {
		"type": "MeshPassthrough",
		"name": "e",
		"spec": {"targetRef": {"kind": "Dataplane"}, "default": {"appendMatch": [{"type": "IP", "value": "x"}]}},
	}
	{[f.id, f.msg] | some f in found} == {
		["MPT005", "MeshPassthrough default/e: spec.default.appendMatch[0].value: provided IP has incorrect value"],
	}
}
