# MeshTrafficPermission validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.mtp

import data.checks.lib

# METADATA
# title: MeshTrafficPermission validation
# description: "MTP001-MTP007: Kuma's validation of from and rules."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.mtp", "error")
}
