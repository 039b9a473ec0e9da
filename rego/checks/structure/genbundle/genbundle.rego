# Not supported by gen-bundle yet: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.genbundle

import data.checks.lib

# METADATA
# title: Not supported by gen-bundle yet
# description: "GB003-GB004: accepted by Kuma, refused by gen-bundle until it compiles them (spec A1)."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.genbundle", "error")
}
