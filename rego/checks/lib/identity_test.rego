package checks.lib_test

identity(trust_domain, path) := concat("", [
	"type: MeshIdentity\nname: i\nmesh: default\nspec:\n",
	"  selector: {dataplane: {matchLabels: {}}}\n",
	"  spiffeID: {trustDomain: '", trust_domain, "', path: '", path, "'}\n",
	"  provider: {type: Bundled, bundled: {autogenerate: {enabled: true}}}\n",
])

# A mesh in which a MeshIdentity becomes Ready (CMB007).
identity_mesh := `type: Mesh
name: default
mtls: {enabledBackend: ca, backends: [{name: ca, type: builtin}]}
meshServices: {mode: Exclusive}`

parse_error(part, error) := sprintf("spec.spiffeID.%s: couldn't parse template: template: :1: %s", [part, error])

# What Go's text/template parser says (Kuma v2.14.3 testdata/spec/full-invalid, invalid-path; the
# others checked against Go 1.25's parser with Kuma's `label` function).
test_templates_fail_to_parse_as_go_says if {
	messages([identity_mesh, identity(`{{ .Mesh|1 }}.{ .Zone|2 }.mesh.local`, `/ns/{{ .Namespace|invalid }}/sa/{{ .ServiceAccount }}`)]) == {
		parse_error("trustDomain", "non executable command in pipeline stage 2"),
		parse_error("path", `function "invalid" not defined`),
	}
	messages([identity_mesh, identity(`{{ .Mesh | label "x" | nil }}`, `{{ .Workload | printf }}{{ label (.Namespace | 1) }}`)]) == {
		parse_error("trustDomain", "non executable command in pipeline stage 3"),
		parse_error("path", "non executable command in pipeline stage 2"),
	}

	# the first error Go meets: a parenthesized pipeline is checked at its `)`, a function where it
	# stands, the whole action's pipeline at its end, an unclosed action after the actions before it
	messages([identity_mesh, identity(`{{ .Mesh | label (.Zone | .) | foo }}`, `{{ .Workload | 2 | bar }}`)]) == {
		parse_error("trustDomain", "non executable command in pipeline stage 2"),
		parse_error("path", `function "bar" not defined`),
	}
	messages([identity_mesh, identity(`{{ .Mesh }}.{{ .Zone | "x" }}{{ .Mesh`, `{{ .Workload }}{{ .Workload`)]) == {
		parse_error("trustDomain", "non executable command in pipeline stage 2"),
		parse_error("path", "unclosed action"),
	}
}

# Two actions with different problems give one message, the first action's.
test_each_template_gets_the_first_problem if {
	messages([identity_mesh, identity(`{{ .Foo }}.{{ .Bar }}`, `/{{ lower .A }}/{{ upper .B }}`)]) == {
		`spec.spiffeID.trustDomain: can't evaluate field Foo: the template is rendered with .Mesh, .Zone and label "key"`,
		parse_error("path", `function "lower" not defined`),
	}
}

# Go's builtins parse (Kuma accepts them); the rendering check refuses what Kuma does not document.
test_builtins_parse_but_are_not_rendered_by_gen_bundle if {
	messages([identity_mesh, identity(`{{ printf "%s" .Mesh }}`, `{{ if .Workload }}w{{ end }}`)]) == {
		`spec.spiffeID.trustDomain: unsupported action {{ printf "%s" .Mesh }}: use {{ .Field }} or {{ label "key" }}`,
		`spec.spiffeID.path: unsupported action {{ if .Workload }}: use {{ .Field }} or {{ label "key" }}`,
	}
	messages([identity_mesh, identity(`{{ .Mesh }}.{{ label "kuma.io/zone" }}.mesh.local`, `/ns/{{- .Namespace -}}/sa/{{ .ServiceAccount }}`)]) == set()
}

bundled_ca(certificate, private_key) := concat("", [
	"type: MeshIdentity\nname: i\nmesh: default\nspec:\n",
	"  selector: {dataplane: {matchLabels: {}}}\n",
	"  provider: {type: Bundled, bundled: {ca: {certificate: ", certificate, ", privateKey: ", private_key, "}}}\n",
])

ca_messages(certificate, private_key) := {message |
	some message in messages([identity_mesh, bundled_ca(certificate, private_key)])
	startswith(message, "spec.provider.bundled.ca.")
}

# Kuma's ValidateSecureDataSource (api/common/v1alpha1/datasource/datasource.go).
test_a_secure_data_source_needs_its_type_field if {
	ca_messages(`{type: File}`, `{type: EnvVar, envVar: {name: ""}}`) == {
		"spec.provider.bundled.ca.certificate.file: must be defined",
		"spec.provider.bundled.ca.privateKey.envVar.name: must be defined",
	}
	ca_messages(`{type: InsecureInline, insecureInline: {}}`, `{type: Secret, secretRef: {kind: Config}}`) == {
		"spec.provider.bundled.ca.certificate.insecureInline.value: must be defined",
		"spec.provider.bundled.ca.privateKey.secretRef.kind: Config must be one of: Secret",
		"spec.provider.bundled.ca.privateKey.secretRef.name: must be defined",
	}
	ca_messages(`{type: File, file: {path: /etc/ca.pem}}`, `{type: Secret, secretRef: {kind: Secret, name: ca}}`) == set()
}

test_a_file_data_source_is_an_absolute_path_without_dot_dot if {
	ca_messages(`{type: File, file: {path: ca.pem}}`, `{type: File, file: {path: /etc/../ca.key}}`) == {
		"spec.provider.bundled.ca.certificate.file.path: file path must be absolute: ca.pem",
		"spec.provider.bundled.ca.privateKey.file.path: file path contains directory traversal sequence: /etc/../ca.key",
	}
}

test_a_data_source_type_is_an_enum_of_the_schema if {
	ca_messages(`{type: Vault}`, `{file: {path: /k}}`) == {
		`spec.provider.bundled.ca.certificate.type: unsupported value "Vault": supported values: "File", "Secret", "EnvVar", "InsecureInline"`,
		"spec.provider.bundled.ca.privateKey.type: must be defined",
	}
}
