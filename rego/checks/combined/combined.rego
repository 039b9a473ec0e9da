# Cross-document checks: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.combined

import data.checks.lib

# METADATA
# title: Cross-document checks
# description: "CMB001-CMB005, under conftest test --combine only."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.combined", "error")
}

# METADATA
# title: Cross-document checks (warnings)
# description: "CMB001-CMB005, under conftest test --combine only."
# entrypoint: true
warn contains finding if {
	some finding in lib.namespace_findings("checks.combined", "warning")
}
