package checks.lib_test

import data.checks.lib

test_paths if {
	lib.at_field("", "spec") == "spec"
	lib.at_field("spec", "from") == "spec.from"
	lib.at_index("spec.from", 2) == "spec.from[2]"
	lib.at_key("tags", "kuma.io/service") == `tags["kuma.io/service"]`
}

test_json_types if {
	[lib.json_type(v) | some v in [null, {}, [], "", true, 1, 1.5]] == [
		"null", "object", "array", "string",
		"boolean", "integer", "number",
	]
}

test_as_helpers if {
	lib.as_object(1) == {}
	lib.as_object({"a": 1}) == {"a": 1}
	lib.as_array("x") == []
	lib.as_string(1) == ""
}

test_truthy if {
	every value in [[1], {"a": 1}, "x", 2, true] {
		lib.truthy(value)
	}
	every value in [[], {}, "", 0, false, null] {
		not lib.truthy(value)
	}
}

test_type_problems if {
	lib.object_problems("X", "a", "s") == {lib.problem("X", "a", "must be of type object, got string")}
	lib.object_problems("X", "a", null) == set()
	lib.array_problems("X", "a", {}) == {lib.problem("X", "a", "must be of type array, got object")}
	lib.string_problems("X", "a", 1) == {lib.problem("X", "a", "must be of type string, got integer")}
	lib.boolean_problems("X", "a", "no") == {lib.problem("X", "a", "must be of type boolean, got string")}
	lib.integer_problems("X", "a", 1.5) == {lib.problem("X", "a", "must be of type integer, got number")}
	lib.integer_problems("X", "a", 80) == set()
}

test_unknown_and_enum if {
	lib.unknown_problems("X", "spec", {"a": 1, "b": 2}, {"a"}) == {lib.problem("X", "spec.b", "unknown field")}
	lib.enum_problems("T", "V", "m", "x", ["A", "B"]) == {
		lib.problem("V", "m", `unsupported value "x": supported values: "A", "B"`),
	}
	lib.enum_problems("T", "V", "m", 3, ["A"]) == {lib.problem("T", "m", "must be of type string, got integer")}
	lib.enum_problems("T", "V", "m", "A", ["A"]) == set()
}

test_string_maps if {
	lib.string_map_problems("X", "tags", {"a": "b", "c": 1}) == {
		lib.problem("X", `tags["c"]`, "must be of type string, got integer"),
	}
	lib.string_items({"a": "b", "c": 1}) == {"a": "b"}
}
