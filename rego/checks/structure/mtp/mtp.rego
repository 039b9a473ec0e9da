# MeshTrafficPermission: Kuma's validation of from and rules (MTP001-MTP007).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.mtp

import data.checks.lib

# METADATA
# title: MeshTrafficPermission validation
# description: "MTP001-MTP007: Kuma's validation of from and rules."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "MTP")
}
