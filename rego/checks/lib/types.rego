# JSON types as the messages name them, and the checks of a field's type.
package checks.lib

# An integral number is an "integer", as Kuma's schema says.
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

non_empty_string(value) if {
	is_string(value)
	value != ""
}

is_integer(value) if {
	is_number(value)
	value == floor(value)
}

# Whether a present value (not null) has the expected type.
has_type(value, "object") if is_object(value)

has_type(value, "array") if is_array(value)

has_type(value, "string") if is_string(value)

has_type(value, "boolean") if is_boolean(value)

has_type(value, "integer") if is_integer(value)

type_problem(id, at, value, expected) := problem(
	id, at,
	sprintf("must be of type %s, got %s", [expected, json_type(value)]),
)

# Values of another type count as absent once their type error is reported.
as_object(value) := value if is_object(value)

else := {}

as_array(value) := value if is_array(value)

else := []

as_string(value) := value if is_string(value)

else := ""

# The string items of a string map.
string_items(value) := {k: item |
	some k, item in as_object(value)
	is_string(item)
}

# Truthiness as Kuma's validators test presence: a non-empty list, object or string.
truthy(value) if {
	is_array(value)
	count(value) > 0
}

truthy(value) if {
	is_object(value)
	count(value) > 0
}

truthy(value) if non_empty_string(value)

truthy(value) if {
	is_number(value)
	value != 0
}

truthy(true)

# The wording of the OpenAPI validation Kuma runs before its own validators.
unsupported_value(value, allowed) := sprintf(`unsupported value "%s": supported values: %s`, [value, quoted(allowed)])

quoted(values) := concat(", ", [sprintf(`"%s"`, [value]) | some value in values])

# Whether an object has a field, whatever its value (null included).
has_field(value, name) if {
	_ := value[name]
}
