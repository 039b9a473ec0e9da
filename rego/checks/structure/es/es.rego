# ExternalService: Kuma's validation of networking and tags (ES001-ES007).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.es

import data.checks.lib

# METADATA
# title: ExternalService validation
# description: "ES001-ES007: Kuma's validation of networking and tags."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "ES")
}
