package checks.structure.targetref_test

import data.checks.structure.targetref

test_deny_reports_target_ref_problems_only if {
	found := targetref.deny with input as {
		"type": "MeshPassthrough",
		"name": "e",
		"spec": {"targetRef": {"kind": "MeshSubset", "name": "x"}, "default": {"passthroughMode": "Al"}},
	}
	{[f.id, f.msg] | some f in found} == {
		["TREF002", "MeshPassthrough default/e: spec.targetRef.name: must not be set with kind MeshSubset"],
	}
}
