package checks.structure.resource_test

import data.checks.structure.resource

test_deny_reports_envelope_problems_only if {
	found := resource.deny with input as {"type": "Mesh", "name": 1, "mtls": {"backends": [{"name": "a"}]}}
	{[f.id, f.msg] | some f in found} == {["RES001", "Mesh (unnamed): name: must be a non-empty string"]}
}
