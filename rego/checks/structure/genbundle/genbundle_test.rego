package checks.structure.genbundle_test

import data.checks.structure.genbundle

test_deny_reports_what_gen_bundle_cannot_compile if {
	found := genbundle.deny with input as {
		"type": "MeshPassthrough",
		"name": "e",
		"spec": {"targetRef": {"kind": "Dataplane"}, "default": {"appendMatch": [{"type": "IP", "value": "x"}]}},
	}
	{[f.id, f.field, f.resource] | some f in found} == {["GB002", "spec.targetRef.kind", "MeshPassthrough default/e"]}
}
