package checks.lib_test

test_mesh_backends if {
	found([`type: Mesh
name: m
mtls:
  enabledBackend: ca-3
  backends:
    - {name: ca-1, type: builtin}
    - {name: ca-1, type: "", mode: LENIENT, dpCert: {rotation: {expiration: "one day"}}, extra: 1}
    - {type: 5, mode: 1, dpCert: {rotation: {expiration: 5}}}
    - x
    - {name: ca-2, type: builtin, dpCert: x}
    - {name: ca-4, type: builtin, dpCert: {rotation: x}}
  skip: true`]) == {
		["MESH003", "mtls.enabledBackend"],
		["MESH001", "mtls.backends"],
		["MESH002", "mtls.backends[1].name"],
		["MESH004", "mtls.backends[1].type"],
		["MESH006", "mtls.backends[1].mode"],
		["MESH005", "mtls.backends[1].dpCert.rotation.expiration"],
		["MESH007", "mtls.backends[1].extra"],
		["MESH004", "mtls.backends[2].name"],
		["MESH006", "mtls.backends[2].type"],
		["MESH004", "mtls.backends[2].type"],
		["MESH006", "mtls.backends[2].mode"],
		["MESH006", "mtls.backends[2].dpCert.rotation.expiration"],
		["MESH006", "mtls.backends[3]"],
		["MESH004", "mtls.backends[3].name"],
		["MESH004", "mtls.backends[3].type"],
		["MESH006", "mtls.backends[4].dpCert"],
		["MESH006", "mtls.backends[5].dpCert.rotation"],
		["MESH007", "mtls.skip"],
	}
}

test_mesh_types_and_fields if {
	found([`{type: Mesh, name: m, mtls: [x], networking: {outbound: {passthrough: "no"}}, tracing: {}, other: 1}`]) == {
		["MESH006", "mtls"],
		["MESH006", "networking.outbound.passthrough"],
		["MESH007", "other"],
	}
	found([`{apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: {name: m}, spec: x}`]) == {["MESH006", "spec"]}
	found([`{type: Mesh, name: m, mtls: {backends: {name: a}, enabledBackend: 3}}`]) == {["MESH006", "mtls.backends"], ["MESH006", "mtls.enabledBackend"]}
}

test_the_model_of_a_mesh if {
	[m] := models([`{type: Mesh, name: m, mtls: {enabledBackend: ca, backends: [{name: ca, type: builtin, mode: PERMISSIVE}]}, networking: {outbound: {passthrough: false}}}`])
	[m.mtls, m.passthrough] == ["permissive", false]
	[d] := models([`{type: Mesh, name: m, mtls: {enabledBackend: "", backends: [{name: ca, type: builtin}]}}`])
	[d.mtls, d.passthrough] == ["disabled", true]
	[s] := models([mesh])
	s.mtls == "strict"
}
