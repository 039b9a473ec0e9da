package checks.structure.mtp_test

import data.checks.structure.mtp

test_deny_reports_mtp_problems_only if {
	found := mtp.deny with input as {
		"type": "MeshTrafficPermission",
		"name": "p",
		"mesh": 5,
		"spec": {"from": [{"targetRef": {"kind": "Mesh", "name": "x"}}]},
	}
	{[f.id, f.msg] | some f in found} == {
		["MTP003", "MeshTrafficPermission default/p: spec.from[0].default.action: must be defined"],
	}
}
