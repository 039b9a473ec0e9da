# What gen-bundle asks for (generator/checks/engine.py): every finding with its position in the
# input, the models of the valid resources and the summaries the cross-document checks read.
# The shape is the contract between the two sides: rego/checks/report.schema.json.
package checks.lib

report := {
	"format": 1,
	"findings": [report_finding(f) | some f in all_findings],
	"titles": {id: catalogue[id].title | some id in {f.problem.id | some f in all_findings}},
	"models": models,
	"summaries": report_summaries,
	"semantics": semantics,
}

default report_summaries := []

report_summaries := summaries if count(documents) > 0

report_finding(f) := {
	"id": f.problem.id,
	"severity": catalogue[f.problem.id].severity,
	"file": f.file,
	"document": f.document,
	"item": f.item,
	"path": document_path(f.base, f.problem.at),
	"field": finding_field(f),
	"resource": f.ref,
	"message": f.problem.message,
}
