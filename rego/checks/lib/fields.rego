# Shared machinery of the structural checks: Kuma-style field paths, type names and the
# "expect" helpers that turn a wrongly typed or unknown field into a problem, mirroring
# generator/validation/fields.py so that both print the same text.
#
# A problem is {"id": <check ID>, "field": <Kuma field path or "">, "message": <text>}.
package checks.lib

problem(id, at, message) := {"id": id, "field": at, "message": message}

# Field paths as Kuma prints them: spec.from[0].targetRef.tags["env"].
at_field("", name) := name

at_field(at, name) := concat(".", [at, name]) if at != ""

at_index(at, i) := sprintf("%s[%d]", [at, i])

at_key(at, key) := sprintf(`%s["%s"]`, [at, key])

# JSON type names as the Python validators print them (an integral number is an "integer").
json_type(value) := "null" if is_null(value)

json_type(value) := "object" if is_object(value)

json_type(value) := "array" if is_array(value)

json_type(value) := "string" if is_string(value)

json_type(value) := "boolean" if is_boolean(value)

json_type(value) := "integer" if {
	is_number(value)
	value == floor(value)
}

json_type(value) := "number" if {
	is_number(value)
	value != floor(value)
}

# Values of another type count as absent once their type error is reported.
as_object(value) := value if is_object(value)

else := {}

as_array(value) := value if is_array(value)

else := []

as_string(value) := value if is_string(value)

else := ""

# Python's truthiness, used where the validators test `bool(spec.get("from"))`.
truthy(value) if {
	is_collection(value)
	count(value) > 0
}

truthy(value) if {
	is_string(value)
	value != ""
}

truthy(value) if {
	is_number(value)
	value != 0
}

truthy(true)

is_collection(value) if is_array(value)

is_collection(value) if is_object(value)

has_key(obj, key) if key in object.keys(obj)

type_problem(id, at, value, expected) := problem(
	id, at,
	sprintf("must be of type %s, got %s", [expected, json_type(value)]),
)

# A value that is present (not null) and not an object.
object_problems(id, at, value) := {type_problem(id, at, value, "object")} if {
	not is_null(value)
	not is_object(value)
} else := set()

array_problems(id, at, value) := {type_problem(id, at, value, "array")} if {
	not is_null(value)
	not is_array(value)
} else := set()

string_problems(id, at, value) := {type_problem(id, at, value, "string")} if {
	not is_null(value)
	not is_string(value)
} else := set()

boolean_problems(id, at, value) := {type_problem(id, at, value, "boolean")} if {
	not is_null(value)
	not is_boolean(value)
} else := set()

integer_problems(id, at, value) := {type_problem(id, at, value, "integer")} if {
	not is_null(value)
	json_type(value) != "integer"
} else := set()

unknown_problems(id, at, value, known) := {problem(id, at_field(at, key), "unknown field") |
	some key in object.keys(as_object(value))
	not key in known
}

# The wording of the OpenAPI validation Kuma runs before its own validators.
enum_problems(type_id, value_id, at, value, allowed) := string_problems(type_id, at, value) if {
	not is_string(value)
} else := {problem(value_id, at, unsupported_value(value, allowed))} if {
	not value in allowed
} else := set()

unsupported_value(value, allowed) := sprintf(`unsupported value "%s": supported values: %s`, [value, quoted(allowed)])

quoted(values) := concat(", ", [sprintf(`"%s"`, [value]) | some value in values])

# Items of a string -> string mapping that are not strings.
string_map_problems(id, at, value) := object_problems(id, at, value) | {p |
	some key, item in as_object(value)
	not is_string(item)
	p := type_problem(id, at_key(at, key), item, "string")
}

string_items(value) := {key: item |
	some key, item in as_object(value)
	is_string(item)
}
