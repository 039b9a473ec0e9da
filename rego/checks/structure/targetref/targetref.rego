# targetRef of MeshTrafficPermission and MeshPassthrough: Kuma's ValidateTargetRef (TREF001-TREF006).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.targetref

import data.checks.lib

# METADATA
# title: targetRef validation
# description: "TREF001-TREF006: Kuma's ValidateTargetRef for MeshTrafficPermission and MeshPassthrough."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "TREF")
}
