# Not in the Kuma release the input is checked for (`checks_settings.kuma_version`, gen-bundle's
# --kuma-version): the findings of data.checks.lib whose ID the catalogue (lib/catalogue.rego) files
# under this namespace. Checks: docs/checks/README.md; each result carries its ID in `id`.
package checks.structure.versions

import data.checks.lib

# METADATA
# title: Not in the chosen Kuma release
# description: "VER001: what the chosen Kuma release does not have, or has removed (docs/semantics.md)."
# entrypoint: true
deny contains finding if {
	some finding in lib.namespace_findings("checks.structure.versions", "error")
}
