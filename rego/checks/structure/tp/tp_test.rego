package checks.structure.tp_test

import data.checks.structure.tp

test_deny_reports_traffic_permission_problems_only if {
	found := tp.deny with input as {
		"apiVersion": "kuma.io/v1alpha1",
		"kind": "TrafficPermission",
		"metadata": {"name": "t", "labels": {"a": 1}},
		"spec": {"sources": [{"match": {"kuma.io/service": "web"}}]},
	}
	{[f.id, f.msg] | some f in found} == {
		["TP001", "TrafficPermission default/t: destinations: must have at least one element"],
	}
}
