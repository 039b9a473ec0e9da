# Resource envelope: the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.resource

import data.checks.lib

# METADATA
# title: Resource envelope
# description: "RES001-RES010: names, mesh, namespace, labels, top-level fields, kinds and API versions."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.resource", "error")
}

# METADATA
# title: Resource envelope (warnings)
# description: "RES001-RES010: names, mesh, namespace, labels, top-level fields, kinds and API versions."
# entrypoint: true
warn contains finding if {
	some finding in lib.namespace_findings("checks.structure.resource", "warning")
}
