# Mesh validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.mesh

import data.checks.lib

# METADATA
# title: Mesh validation
# description: "MESH001-MESH007: Kuma's validation of the Mesh fields that decide access."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.mesh", "error")
}
