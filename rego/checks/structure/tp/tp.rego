# TrafficPermission: Kuma's validation of sources and destinations (TP001-TP004).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.tp

import data.checks.lib

# METADATA
# title: TrafficPermission validation
# description: "TP001-TP004: Kuma's validation of sources and destinations."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "TP")
}
