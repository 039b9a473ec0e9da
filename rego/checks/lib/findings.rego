# Every finding, and the two ways it is reported: as conftest results (msg plus metadata) and in
# gen-bundle's report (report.rego).
#
# A finding is {"file", "document", "item", "base", "resource", "kind", "ref", "problem"}: where the
# object stands, which resource it is about (if any) and the problem (paths.rego).
package checks.lib

structure_findings := union({
	classification_problems,
	envelope_problems,
	target_ref_problems,
	mtp_problems,
	tp_problems,
	es_problems,
	mesh_problems,
	passthrough_problems,
	version_problems,
	identity_problems,
})

document_findings := union({structure_findings, warning_findings, note_findings})

all_findings := document_findings | combined_findings if combined

else := document_findings

# The path as Kuma prints it.
finding_field(f) := field({"kind": f.kind}, f.problem.at)

# "<resource>: <field>: <message>", leaving out what a finding does not have.
finding_message(f) := concat(": ", [part |
	some part in [f.ref, finding_field(f), f.problem.message]
	non_empty_string(part)
])

# Where a finding stands, as messages under --combine name it.
finding_location(f) := location(f)

# conftest results: `msg` plus metadata (the check ID, the resource, the field, the document path).
# Under --combine conftest reports every result under "Combined", so the location leads the
# message, as it leads gen-bundle's lines, and is in the metadata too.
findings contains result(f) if {
	some f in all_findings
	catalogue[f.problem.id].namespace != ""
}

result(f) := {
	"msg": finding_message(f),
	"id": f.problem.id,
	"resource": f.ref,
	"field": finding_field(f),
	"path": document_path(f.base, f.problem.at),
} if {
	not combined
} else := {
	"msg": concat(": ", [finding_location(f), finding_message(f)]),
	"id": f.problem.id,
	"resource": f.ref,
	"field": finding_field(f),
	"path": document_path(f.base, f.problem.at),
	"file": finding_location(f),
}
