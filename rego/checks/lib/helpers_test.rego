# Helpers of the library's unit tests: YAML text in, resources and problems out.
package checks.lib_test

import data.checks.lib

doc(text) := {"file": "", "document": 1, "value": yaml.unmarshal(text)}

resources_of(text) := lib.document_resources(doc(text))

the_resource(text) := r if {
	some r in resources_of(text)
}

ids(text) := {p.id |
	some r in resources_of(text)
	some p in lib.problems(r)
}

messages(text) := {lib.message(r, p.field, p.message) |
	some r in resources_of(text)
	some p in lib.problems(r)
}

# [id, field] of every problem: enough where the message is asserted elsewhere.
found(text) := {[p.id, p.field] |
	some r in resources_of(text)
	some p in lib.problems(r)
}

# field: message, without the resource.
texts(text) := {lib.message({"kind": "Mesh", "name": "-"}, p.field, p.message) |
	some r in resources_of(text)
	some p in lib.problems(r)
}
