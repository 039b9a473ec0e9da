# Problems and the paths they point at.
#
# A problem is {"id": <check ID>, "at": <path>, "message": <text>}. A path is a list of steps from the
# object's root (a document, or an item of a kubectl List): a field name (string), a list index
# (number) or a map key ({"key": <name>}, printed `["name"]` as Kuma prints tag names). gen-bundle
# turns the path into a file position; both print it the way Kuma names fields.
package checks.lib

problem(id, at, message) := {"id": id, "at": at, "message": message}

# A map key as a path step.
key(name) := {"key": name}

# The path as Kuma prints it: spec.from[0].targetRef.tags["env"]. Kuma's paths of the legacy kinds
# (Mesh, TrafficPermission, ExternalService) start below `spec`, in both forms.
field(r, at) := render(array.slice(at, 1, count(at))) if {
	r.kind in legacy_kinds
	count(at) > 1
	at[0] == "spec"
} else := render(at)

render(at) := concat("", [step_text(i, step) | some i, step in at])

step_text(i, step) := concat("", [".", step]) if {
	is_string(step)
	i > 0
} else := step if {
	is_string(step)
} else := sprintf("[%d]", [step]) if {
	is_number(step)
} else := sprintf(`["%s"]`, [step.key])

# The path as the document's own keys and indices (what gen-bundle locates).
document_path(base, at) := array.concat(base, [plain_step(step) | some step in at])

plain_step(step) := step.key if is_object(step)

else := step
