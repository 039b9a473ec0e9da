package checks.structure.mesh_test

import data.checks.structure.mesh

test_deny_reports_mesh_problems_only if {
	found := mesh.deny with input as {"type": "Mesh", "name": 1, "mtls": {"backends": [{"name": "a"}]}}
	{[f.id, f.msg] | some f in found} == {["MESH004", "Mesh (unnamed): mtls.backends[0].type: has to be defined"]}
}
