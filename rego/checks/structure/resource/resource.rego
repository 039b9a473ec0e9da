# The resource envelope as gen-bundle reads it: names, mesh, namespace, labels, top-level fields (RES001-RES005).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.resource

import data.checks.lib

# METADATA
# title: Resource envelope
# description: "RES001-RES005: names, mesh, namespace, labels and top-level fields as gen-bundle reads them."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "RES")
}
