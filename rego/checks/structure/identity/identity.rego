# MeshIdentity and MeshTrust (Kuma 2.12+): the findings of data.checks.lib whose ID the catalogue
# (lib/catalogue.rego) files under this namespace. Checks: docs/checks/README.md; each result carries
# its ID in `id`.
package checks.structure.identity

import data.checks.lib

# METADATA
# title: MeshIdentity and MeshTrust
# description: "MID001-MID003, MTR001-MTR003: Kuma's validation of MeshIdentity and MeshTrust."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.identity", "error")
}
