# Deprecated targetRef kinds: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.deprecated

import data.checks.lib

# METADATA
# title: Deprecated targetRef kinds (warnings)
# description: "DEP001-DEP002, warnings Kuma returns with the accepted resource."
# entrypoint: true
warn contains finding if {
	some finding in lib.namespace_findings("checks.deprecated", "warning")
}
