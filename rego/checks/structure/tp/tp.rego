# TrafficPermission validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.tp

import data.checks.lib

# METADATA
# title: TrafficPermission validation
# description: "TP001-TP004: Kuma's validation of TrafficPermission."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.tp", "error")
}
