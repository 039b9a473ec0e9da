package checks.structure.es_test

import data.checks.structure.es

test_deny_reports_external_service_problems_only if {
	found := es.deny with input as {
		"type": "ExternalService",
		"name": "e",
		"extra": 1,
		"tags": {"kuma.io/service": "e"},
	}
	{[f.id, f.msg] | some f in found} == {
		["ES001", "ExternalService default/e: networking: should have networking"],
		["ES007", "ExternalService default/e: extra: unknown field"],
	}
}
