# What Kuma accepts but gen-bundle cannot compile yet (spec A1): refused by gen-bundle, so flagged here (GB001-GB003).
# Checks: see docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.genbundle

import data.checks.lib

# METADATA
# title: Not supported by gen-bundle yet
# description: "GB001-GB003: accepted by Kuma, refused by gen-bundle until it compiles them (spec A1)."
# entrypoint: true
deny contains finding if {
	some finding in lib.findings
	startswith(finding.id, "GB")
}
