# ExternalService validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.es

import data.checks.lib

# METADATA
# title: ExternalService validation
# description: "ES001-ES007: Kuma's validation of ExternalService."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.es", "error")
}
