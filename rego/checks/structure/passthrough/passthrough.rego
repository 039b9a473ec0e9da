# MeshPassthrough validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.passthrough

import data.checks.lib

# METADATA
# title: MeshPassthrough validation
# description: "MPT001-MPT009: Kuma's validation of MeshPassthrough, and spec A8."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.passthrough", "error")
}
