# MeshPassthrough: Kuma's validation of appendMatch, plus the wildcards spec A8 refuses (MPT001-MPT009).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.passthrough

import data.checks.lib

# METADATA
# title: MeshPassthrough validation
# description: "MPT001-MPT009: Kuma's validation of appendMatch, plus the wildcards spec A8 refuses."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "MPT")
}
