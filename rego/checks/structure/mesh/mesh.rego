# Mesh: Kuma's validation of mTLS backends and outbound passthrough (MESH001-MESH007).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.mesh

import data.checks.lib

# METADATA
# title: Mesh validation
# description: "MESH001-MESH007: Kuma's validation of mTLS backends and outbound passthrough."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "MESH")
}
