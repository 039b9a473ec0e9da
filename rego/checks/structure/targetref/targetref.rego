# targetRef validation: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.targetref

import data.checks.lib

# METADATA
# title: targetRef validation
# description: "TREF001-TREF006: Kuma's ValidateTargetRef."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.targetref", "error")
}
