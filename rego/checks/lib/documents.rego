# The documents the checks see, whoever runs them:
#
# * conftest, per document (the default): input is one document; conftest splits multi-document
#   files (and files whose top level is a list) itself;
# * conftest --combine: input is [{"path": <file>, "contents": <document>}], a file's documents one
#   after the other;
# * gen-bundle: input is {"gen_bundle": {"documents": [{"file", "document", "value"}], "combined":
#   <bool>, "settings": {...}}}; it numbers the documents of each file itself.
#
# A kubectl `kind: List` is expanded into its items: each item is an object of its own.
package checks.lib

gen_bundle := input.gen_bundle if is_object(input)

# True when the cross-document checks have the whole picture: under --combine, or when gen-bundle
# says its input is complete.
combined if conftest_combined

combined if gen_bundle.combined == true

# conftest --combine hands over [{"path", "contents"}]; a document that is a list is not that.
conftest_combined if {
	is_array(input)
	count(input) > 0
	every entry in input {
		is_object(entry)
		object.keys(entry) == {"path", "contents"}
	}
}

documents := gen_bundle.documents if is_array(gen_bundle.documents)

else := [{
	"file": entry.path,
	"file_index": first_position[entry.path],
	"document": (i - first_position[entry.path]) + 1,
	"value": entry.contents,
} |
	some i, entry in input
] if {
	conftest_combined
} else := [{"file": "", "file_index": 0, "document": 1, "value": input}]

# The position of each file's first document in conftest's combined input. conftest puts a file's
# documents one after the other, so that is where a run of its path starts; grouping the run starts by
# path (one pass) rather than scanning the input for each entry keeps --combine linear in the documents.
# A complete rule on purpose: OPA computes it once, where an object rule is evaluated again for each
# path looked up, each time over the whole input (quadratic: 5,000 documents outran 550 s).
# regal ignore:prefer-set-or-object-rule
first_position := {path: min(starts) | some path, starts in run_starts}

run_starts[path] contains i if {
	conftest_combined
	some i, entry in input
	not same_path_before(i, entry.path)
	path := entry.path
}

same_path_before(i, path) if input[i - 1].path == path

# Every object to classify: a document, or an item of a kubectl List (item >= 0, base ["items", i]).
objects := [o | some d in documents; some o in document_objects(d)]

# gen-bundle may hand a long List over in pieces, each saying where its items start.
document_objects(d) := [{
	"file": d.file,
	"file_index": d.file_index,
	"document": d.document,
	"item": i + offset,
	"base": ["items", i + offset],
	"value": item,
	"class": class_of(item, registry),
} |
	offset := object.get(d, "item_offset", 0)
	some i, item in d.value.items
] if {
	kubectl_list(d.value)
	is_array(d.value.items)
} else := [] if {
	kubectl_list(d.value)
} else := [{
	"file": d.file,
	"file_index": d.file_index,
	"document": d.document,
	"item": -1,
	"base": [],
	"value": d.value,
	"class": class_of(d.value, registry),
}]

kubectl_list(value) if {
	value.kind == "List"
	has_field(value, "items")
}

# A List whose items are not a list.
classification_problems contains {
	"file": d.file,
	"document": d.document,
	"item": -1,
	"base": [],
	"resource": null,
	"kind": null,
	"ref": null,
	"problem": problem("RES008", ["items"], sprintf("must be of type array, got %s", [json_type(d.value.items)])),
} if {
	some d in documents
	kubectl_list(d.value)
	not is_array(d.value.items)
}
