# Risky but valid configurations: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.risk

import data.checks.lib

# METADATA
# title: Risky but valid configurations (warnings)
# description: "RISK001-RISK008, warnings; see docs/checks/."
# entrypoint: true
warn contains finding if {
	some finding in lib.namespace_findings("checks.risk", "warning")
}
