package checks.lib_test

test_valid_mesh if {
	ids(`
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends: [{name: ca-1, type: builtin, mode: PERMISSIVE, dpCert: {rotation: {expiration: 1h30m}}}]
networking: {outbound: {passthrough: true}}
`) == set()
}

test_mesh_backends if {
	messages(`
type: Mesh
name: m
mtls:
  enabledBackend: ca-3
  backends:
    - {name: ca-1, type: builtin}
    - {name: ca-1, type: provided, mode: LENIENT, dpCert: {rotation: {expiration: one day}}}
    - {type: ""}
    - not a backend
`) == {
		"Mesh m: mtls.backends: cannot have more than 1 backends",
		`Mesh m: mtls.backends[1].name: "ca-1" name is already used for another backend`,
		`Mesh m: mtls.backends[1].mode: unsupported value "LENIENT": supported values: "STRICT", "PERMISSIVE"`,
		"Mesh m: mtls.backends[1].dpCert.rotation.expiration: has to be a valid format",
		"Mesh m: mtls.backends[2].name: has to be defined",
		"Mesh m: mtls.backends[2].type: has to be defined",
		"Mesh m: mtls.backends[3]: must be of type object, got string",
		"Mesh m: mtls.backends[3].name: has to be defined",
		"Mesh m: mtls.backends[3].type: has to be defined",
		"Mesh m: mtls.enabledBackend: has to be set to one of the backends in the mesh",
	}
}

test_mesh_types_and_unknown_fields if {
	messages(`
type: Mesh
name: m
routingg: {}
mtls:
  enabledBackend: 7
  skipValidation: true
  backends: [{name: 1, type: builtin, extra: x, dpCert: {rotation: {expiration: 5}}}]
networking: {outbound: []}
`) == {
		"Mesh m: routingg: unknown field",
		"Mesh m: mtls.enabledBackend: must be of type string, got integer",
		"Mesh m: mtls.backends[0].name: must be of type string, got integer",
		"Mesh m: mtls.backends[0].name: has to be defined",
		"Mesh m: mtls.backends[0].extra: unknown field",
		"Mesh m: mtls.backends[0].dpCert.rotation.expiration: must be of type string, got integer",
		"Mesh m: networking.outbound: must be of type object, got array",
	}
}

test_mesh_kubernetes_spec if {
	messages(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: m}, spec: {mtls: {backends: {}}, x: 1}}`) == {
		"Mesh m: spec.x: unknown field",
		"Mesh m: mtls.backends: must be of type array, got object",
	}
	messages(`{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: m}, spec: []}`) == {
		"Mesh m: spec: must be of type object, got array",
	}
}
