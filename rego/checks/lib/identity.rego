# MeshIdentity and MeshTrust (Kuma 2.12+): Kuma's validation (v2.14.3,
# pkg/core/resources/apis/meshidentity/api/v1alpha1/validator.go, .../meshtrust/api/v1alpha1/validator.go)
# and what gen-bundle needs of them: which Dataplanes a MeshIdentity gives a workload identity
# (`selector.dataplane.matchLabels`), and the SPIFFE ID templates it renders.
#
# MID001 types and unknown fields, MID002 a template that does not parse or that Kuma cannot render,
# MID003 provider settings. MTR001 types and unknown fields, MTR002 caBundles, MTR003 trustDomain.
package checks.lib

identities := suspects_of.MeshIdentity

trusts := suspects_of.MeshTrust

# --- the shape: [path under spec, type, known fields (objects)] ------------------------------------

identity_schema := [
	[[], "object", {"selector", "spiffeID", "provider"}],
	[["selector"], "object", {"dataplane"}],
	[["selector", "dataplane"], "object", {"matchLabels"}],
	[["selector", "dataplane", "matchLabels"], "string map", set()],
	[["spiffeID"], "object", {"trustDomain", "path"}],
	[["spiffeID", "trustDomain"], "string", set()],
	[["spiffeID", "path"], "string", set()],
	[["provider"], "object", {"type", "bundled", "spire", "extension"}],
	[["provider", "type"], "string", set()],
	[
		["provider", "bundled"], "object",
		{"meshTrustCreation", "insecureAllowSelfSigned", "autogenerate", "ca", "certificateParameters"},
	],
	[["provider", "bundled", "meshTrustCreation"], "string", set()],
	[["provider", "bundled", "insecureAllowSelfSigned"], "boolean", set()],
	[["provider", "bundled", "autogenerate"], "object", {"enabled"}],
	[["provider", "bundled", "autogenerate", "enabled"], "boolean", set()],
	[["provider", "bundled", "ca"], "object", {"certificate", "privateKey"}],
	[["provider", "bundled", "ca", "certificate"], "object", null],
	[["provider", "bundled", "ca", "privateKey"], "object", null],
	[["provider", "bundled", "certificateParameters"], "object", {"expiry"}],
	[["provider", "bundled", "certificateParameters", "expiry"], "string", set()],
	[["provider", "spire"], "object", {"agent"}],
	[["provider", "spire", "agent"], "object", {"timeout"}],
	[["provider", "spire", "agent", "timeout"], "string", set()],
	[["provider", "extension"], "object", {"name", "config"}],
	[["provider", "extension", "name"], "string", set()],
]

trust_schema := [
	[[], "object", {"origin", "trustDomain", "caBundles"}],
	[["origin"], "object", {"kri"}],
	[["origin", "kri"], "string", set()],
	[["trustDomain"], "string", set()],
	[["caBundles"], "array", set()],
]

# Every typed value of a resource, with where it stands: [resource, path, value, type, fields].
schema_values(rs, schema) := [[r, array.concat(r.spec_at, at), value, type, fields] |
	some r in rs
	some [at, type, fields] in schema
	value := spec_value(r.spec, at)
	not is_null(value)
]

spec_value(spec, []) := spec

spec_value(spec, at) := object.get(as_object(spec), at, null) if count(at) > 0

identity_values := schema_values(identities, identity_schema)

trust_values := schema_values(trusts, trust_schema)

shape_problems(id, values) := {resource_finding(r, p) |
	some [r, at, value, type, fields] in values
	some p in value_shape_problems(id, at, value, type, fields)
}

value_shape_problems(id, at, value, type, fields) := string_map_type_problems(id, at, value) if {
	type == "string map"
} else := {type_problem(id, at, value, type)} if {
	not has_type(value, type)
} else := {problem(id, array.concat(at, [name]), "unknown field") |
	fields != null
	is_object(value)
	some name, _ in value
	not name in fields
}

identity_problems contains f if some f in shape_problems("MID001", identity_values)

identity_problems contains f if some f in shape_problems("MTR001", trust_values)

# --- MeshIdentity: templates -------------------------------------------------------------------------

# The data each template is rendered with (helpers.go GetTrustDomain, GetSpiffeID); `label "k"`
# reads a label of the Dataplane.
template_fields := {
	"trustDomain": {"Mesh", "Zone"},
	"path": {"TrustDomain", "Namespace", "ServiceAccount", "Workload"},
}

identity_problems contains resource_finding(r, problem("MID002", at, message)) if {
	some r in identities
	some part, fields in template_fields
	text := object.get(r.spec, ["spiffeID", part], null)
	non_empty_string(text)
	message := template_problem(text, fields)
	at := array.concat(r.spec_at, ["spiffeID", part])
}

# Go's text/template grammar is larger than what Kuma's templates use. Kuma only parses a template
# when the resource is applied (validateSPIFFEID): gen-bundle says what Go's parser says of the
# first action it refuses (parse_errors), and then, of a template that parses, what Kuma's renderer
# would fail on: it accepts the actions Kuma documents, `{{ .Field }}` and `{{ label "key" }}` (with
# optional `-` trim markers).
template_problem(text, fields) := sprintf("couldn't parse template: template: :1: %s", [errors[0]]) if {
	errors := parse_errors(text)
	count(errors) > 0
} else := sprintf(`can't evaluate field %s: the template is rendered with %s and label "key"`, [
	unknown[0],
	listed_fields(fields),
]) if {
	unknown := [field |
		some action in template_actions(text)
		field := regex.find_all_string_submatch_n(`^\.([A-Za-z_][A-Za-z0-9_]*)$`, action, 1)[0][1]
		not field in fields
	]
	count(unknown) > 0
} else := sprintf("unsupported action {{ %s }}: use {{ .Field }} or {{ label \"key\" }}", [unsupported[0]]) if {
	unsupported := [action |
		some action in template_actions(text)
		not regex.match(`^(\.[A-Za-z_][A-Za-z0-9_]*|label\s+"[^"]*")$`, action)
	]
	count(unsupported) > 0
}

# The actions of a template, trimmed of spaces and of the `-` trim markers.
template_actions(text) := [trim_space(trim_suffix(trim_prefix(trim_space(match[1]), "-"), "-")) |
	some match in regex.find_all_string_submatch_n(`\{\{(.*?)\}\}`, text, -1)
]

listed_fields(fields) := concat(", ", [sprintf(".%s", [name]) | some name in sort(fields)])

# What Go's parser says of a template, action by action in order (text/template/parse): a function
# it does not know (Kuma defines `label` beside Go's builtins), a pipeline stage after the first that
# starts with a constant, an action left open. Actions that start with a keyword (if, range, with,
# ...) or are otherwise beyond this are left to the rendering check above.
parse_errors(text) := array.concat(
	[error |
		some action in template_actions(text)
		some error in action_parse_errors(regex.find_n(template_token, action, -1))
	],
	[error | strings.count(text, "{{") > strings.count(text, "}}"); error := "unclosed action"],
)

# Go's lexer, as far as these messages need it: strings, raw strings, characters, `|`, parentheses,
# variables, numbers, fields (`.Name.Name`), `.`, identifiers.
template_token := concat("|", [
	`"(?:[^"\\]|\\.)*"`, "`[^`]*`", `'(?:[^'\\]|\\.)*'`, `\|`, `\(`, `\)`, `\$[A-Za-z0-9_]*`,
	`[-+]?(?:[0-9]|\.[0-9])[0-9A-Za-z_.+-]*`, `(?:\.[A-Za-z_][A-Za-z0-9_]*)+`, `\.`, `[A-Za-z_][A-Za-z0-9_]*`,
])

template_keyword(token) if token in {
	"block", "break", "continue", "define", "else", "end", "if", "range", "template", "with",
}

template_constant(token) if token in {"true", "false", "nil"}

# Go's builtins and the one function Kuma adds.
template_function(token) if token in {
	"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println",
	"urlquery", "eq", "ge", "gt", "le", "lt", "ne", "label",
}

action_parse_errors(tokens) := [] if {
	count(tokens) > 0
	template_keyword(tokens[0])
} else := [sort(errors)[0][2]] if {
	# Go stops at the first: a function when it reads it, a pipeline once it is parsed (a
	# parenthesized one at its `)`, before the pipeline around it), at its first constant stage.
	errors := array.concat(
		[[i, 0, sprintf("function %q not defined", [token])] |
			some i, token in tokens
			regex.match(`^[A-Za-z_]`, token)
			not template_keyword(token)
			not template_constant(token)
			not template_function(token)
		],
		[[pipe.end, pipe.stage, sprintf("non executable command in pipeline stage %d", [pipe.stage])] |
			some pipe in pipes(tokens)
			constant_operand(tokens[pipe.at + 1])
		],
	)
	count(errors) > 0
} else := []

# Each `|` of an action: where it stands, the stage it starts (2 for the first of its pipeline) and
# where its pipeline ends (its closing parenthesis, or the end of the action).
pipes(tokens) := [{"at": i, "stage": stage, "end": end} |
	depths := [depth |
		some k, _ in tokens
		before := array.slice(tokens, 0, k)
		depth := count([t | some t in before; t == "("]) - count([t | some t in before; t == ")"])
	]
	some i, token in tokens
	token == "|"
	opened := max(array.concat([-1], [j | some j, t in tokens; j < i; t == "("; depths[j] == depths[i] - 1]))
	end := min(array.concat([count(tokens)], [k | some k, t in tokens; k > i; t == ")"; depths[k] == depths[i]]))
	stage := count([p | some p, t in tokens; t == "|"; opened < p; p < i; depths[p] == depths[i]]) + 2
]

constant_operand(token) if template_constant(token)

constant_operand(".")

constant_operand(token) if regex.match(`^["'0-9+-]|^\.[0-9]`, token)

constant_operand(token) if startswith(token, "`")

# --- MeshIdentity: provider (validateProvider) ---------------------------------------------------------

identity_providers := ["Bundled", "Spire", "Extension"]

identity_problems contains resource_finding(r, problem("MID003", at, message)) if {
	some r in identities
	provider := object.get(r.spec, "provider", null)
	is_object(provider)
	some [at, message] in provider_problems(r.spec_at, provider)
}

provider_problems(spec_at, provider) := {[array.concat(spec_at, ["provider", "type"]), message]} if {
	not provider.type in identity_providers
	message := provider_type_message(object.get(provider, "type", null))
} else := {[array.concat(spec_at, ["provider", key]), "configuration needs to be defined"]} if {
	key := lower(provider.type)
	not is_object(object.get(provider, key, null))
} else := bundled_problems(array.concat(spec_at, ["provider", "bundled"]), provider.bundled) if {
	provider.type == "Bundled"
} else := {[array.concat(spec_at, ["provider", "extension", "name"]), "extension name needs to be defined"]} if {
	provider.type == "Extension"
	not non_empty_string(object.get(provider.extension, "name", null))
} else := set()

provider_type_message(null) := "must be defined"

provider_type_message(type) := unsupported_value(type, identity_providers) if is_string(type)

bundled_problems(at, bundled) := {[array.concat(at, [field]), message] |
	some [field, message] in bundled_findings(bundled)
}

bundled_findings(bundled) := (((({["ca", "shouldn't be defined once using autogenerated"] |
	bundled.autogenerate.enabled == true
	not is_null(object.get(bundled, "ca", null))
} | {["ca", "must be defined"] |
	object.get(bundled, ["autogenerate", "enabled"], false) != true
	is_null(object.get(bundled, "ca", null))
}) | {[sprintf("ca.%s", [key]), "must be defined"] |
	object.get(bundled, ["autogenerate", "enabled"], false) != true
	is_object(bundled.ca)
	some key in ["certificate", "privateKey"]
	is_null(object.get(bundled.ca, key, null))
}) | {[sprintf("ca.%s.%s", [key, field]), message] |
	object.get(bundled, ["autogenerate", "enabled"], false) != true
	some key in ["certificate", "privateKey"]
	source := bundled.ca[key]
	is_object(source)
	some [field, message] in secure_source_findings(source)
}) | {["meshTrustCreation", unsupported_value(mode, ["Enabled", "Disabled"])] |
	mode := bundled.meshTrustCreation
	is_string(mode)
	not mode in {"Enabled", "Disabled"}
}) | {["certificateParameters.expiry", "must not be negative when defined"] |
	startswith(object.get(bundled, ["certificateParameters", "expiry"], ""), "-")
}

# A SecureDataSource (api/common/v1alpha1/datasource ValidateSecureDataSource): its type's own
# field, defined and not empty; a file path absolute and without "..". The type itself is an enum
# of the schema, reported as the schema reports it (docs/semantics.md, Input validation).
secure_source_findings(source) := [["type", "must be defined"]] if {
	is_null(object.get(source, "type", null))
} else := [["type", unsupported_value(source.type, ["File", "Secret", "EnvVar", "InsecureInline"])]] if {
	not source.type in {"File", "Secret", "EnvVar", "InsecureInline"}
} else := [[field, "must be defined"]] if {
	field := {"File": "file", "Secret": "secretRef", "EnvVar": "envVar", "InsecureInline": "insecureInline"}[source.type]
	not is_object(object.get(source, field, null))
} else := [[concat(".", [field, inner]), "must be defined"]] if {
	values := {"File": ["file", "path"], "EnvVar": ["envVar", "name"], "InsecureInline": ["insecureInline", "value"]}
	[field, inner] := values[source.type]
	object.get(source[field], inner, "") == ""
} else := file_path_findings(source.file.path) if {
	source.type == "File"
} else := secret_ref_findings(source.secretRef) if {
	source.type == "Secret"
}

file_path_findings(path) := [["file.path", sprintf("file path contains directory traversal sequence: %s", [path])]] if {
	contains(path, "..")
} else := [["file.path", sprintf("file path must be absolute: %s", [path])]] if {
	not startswith(path, "/")
} else := []

secret_ref_findings(ref) := [[field, message] |
	some [field, message] in [
		["secretRef.kind", sprintf("%s must be one of: Secret", [object.get(ref, "kind", "")])],
		["secretRef.name", "must be defined"],
	]
	secret_ref_wrong(ref, field)
]

secret_ref_wrong(ref, "secretRef.kind") if object.get(ref, "kind", "") != "Secret"

secret_ref_wrong(ref, "secretRef.name") if object.get(ref, "name", "") == ""

# --- MeshTrust (validateCABundles, validateTrustDomain) ---------------------------------------------

identity_problems contains resource_finding(r, problem("MTR003", at, message)) if {
	some r in trusts
	is_object(r.spec)
	domain := as_string(object.get(r.spec, "trustDomain", null))
	some message in trust_domain_messages(domain)
	at := array.concat(r.spec_at, ["trustDomain"])
}

trust_domain_messages("") := {"trustDomain needs to be defined"}

trust_domain_messages(domain) := {"must not be longer than 253 characters"} if count(domain) > 253

trust_domain_messages(domain) := set() if {
	domain != ""
	count(domain) <= 253
}

identity_problems contains resource_finding(r, problem("MTR002", at, "must not be empty")) if {
	some r in trusts
	is_object(r.spec)
	object.get(r.spec, "caBundles", null) in {null, []}
	at := array.concat(r.spec_at, ["caBundles"])
}

ca_bundles := [[r, array.concat(r.spec_at, ["caBundles", i]), bundle] |
	some r in trusts
	some i, bundle in as_array(object.get(as_object(r.spec), "caBundles", null))
]

identity_problems contains resource_finding(r, type_problem("MTR001", at, bundle, "object")) if {
	some [r, at, bundle] in ca_bundles
	not is_object(bundle)
}

identity_problems contains resource_finding(r, problem("MTR001", array.concat(at, [name]), "unknown field")) if {
	some [r, at, bundle] in ca_bundles
	is_object(bundle)
	some name, _ in bundle
	not name in {"type", "pem"}
}

identity_problems contains resource_finding(r, problem("MTR002", field_at, message)) if {
	some [r, at, bundle] in ca_bundles
	is_object(bundle)
	[field, message] := ca_bundle_problem(bundle)
	field_at := array.concat(at, field)
}

ca_bundle_problem(bundle) := [["type"], sprintf("%s must be one of: Pem", [type])] if {
	type := as_string(object.get(bundle, "type", null))
	object.get(bundle, "type", null) != "Pem"
} else := [["pem"], "must be defined"] if {
	not is_object(object.get(bundle, "pem", null))
} else := [["pem", "value"], "provided certificate has incorrect format"] if {
	not pem_certificate(object.get(bundle.pem, "value", null))
}

# Kuma's isPEMCertificate: a PEM block that is not a private key.
pem_certificate(text) if {
	is_string(text)
	block := regex.find_all_string_submatch_n(`-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END ([A-Z0-9 ]+)-----`, text, 1)[0]
	block[1] == block[2]
	not block[1] in {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
}

# --- the model ---------------------------------------------------------------------------------------

default_trust_domain := "{{ .Mesh }}.{{ .Zone }}.mesh.local"

default_path := {
	"kubernetes": "/ns/{{ .Namespace }}/sa/{{ .ServiceAccount }}",
	"universal": "/workload/{{ .Workload }}",
}

identity_model(r) := {
	# AllMatched: no selector (or no dataplane selector) selects no Dataplane; {} selects all
	"match_labels": identity_match_labels(r.spec),
	"trust_domain": object.get(r.spec, ["spiffeID", "trustDomain"], default_trust_domain),
	"path": object.get(r.spec, ["spiffeID", "path"], default_path[r.form]),
	"provider": object.get(r.spec, ["provider", "type"], null),
}

identity_match_labels(spec) := string_items(object.get(spec, ["selector", "dataplane", "matchLabels"], {})) if {
	is_object(object.get(spec, ["selector", "dataplane"], null))
} else := null
