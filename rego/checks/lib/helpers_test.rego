# Helpers of the library's unit tests: YAML documents in, findings out, the way gen-bundle asks.
# Every helper runs the checks twice, with and without the fast path (clean.rego), and only
# answers when both agree, so each test also pins that the fast path hides nothing.
package checks.lib_test

import data.checks.lib

documents(texts) := [{"file": "t.yaml", "file_index": 0, "document": i + 1, "value": yaml.unmarshal(text)} |
	some i, text in texts
]

request(texts, settings) := {"gen_bundle": {"documents": documents(texts), "combined": true, "settings": settings}}

report(texts) := fast if {
	fast := lib.report with input as request(texts, {})
	exhaustive := lib.report with input as request(texts, {"exhaustive": true})
	fast.models == exhaustive.models
}

# The findings, as the same set with and without the fast path.
findings(texts) := fast if {
	fast := lib.all_findings with input as request(texts, {})
	exhaustive := lib.all_findings with input as request(texts, {"exhaustive": true})
	fast == exhaustive
}

# [id, field] of every finding of the documents.
found(texts) := {[f.problem.id, lib.finding_field(f)] | some f in findings(texts)}

# The IDs found.
ids(texts) := {f.problem.id | some f in findings(texts)}

# "<field>: <message>" of every finding, for the tests that pin the wording.
messages(texts) := {concat(": ", [part | some part in [lib.finding_field(f), f.problem.message]; part != ""]) |
	some f in findings(texts)
}

models(texts) := report(texts).models

mesh := `type: Mesh
name: default
mtls: {enabledBackend: ca, backends: [{name: ca, type: builtin}]}`

# [id, field] of every finding, with these settings (e.g. another kuma_version).
found_with(texts, settings) := {[f.problem.id, lib.finding_field(f)] | some f in reported} if {
	reported := lib.all_findings with input as request(texts, settings)
}
