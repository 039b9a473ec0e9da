package checks.lib_test

import data.checks.lib

top := {"kinds": lib.mtp_top_kinds, "default_mesh": true, "inbound": true}

from := lib.mtp_from_opts

passthrough := {"kinds": lib.passthrough_kinds, "default_mesh": true, "inbound": false}

problems(ref, opts) := {[p.id, p.field, p.message] | some p in lib.target_ref_problems("t", ref, opts)}

test_absent_ref if {
	problems(null, top) == set()
	problems(null, from) == {["TREF001", "t", "must be defined"]}
	problems("Mesh", from) == {["TREF006", "t", "must be of type object, got string"]}
}

test_kind if {
	problems({}, from) == {["TREF001", "t.kind", "must be defined"]}
	problems({"kind": ""}, from) == {["TREF001", "t.kind", "must be defined"]}
	problems({"kind": 1}, from) == {["TREF006", "t.kind", "must be of type string, got integer"]}
	problems({"kind": "MeshHTTPRoute"}, from) == {["TREF001", "t.kind", "value 'MeshHTTPRoute' is not supported"]}
	problems({"kind": "Dataplane"}, from) == {["TREF001", "t.kind", "value 'Dataplane' is not supported"]}
	problems({"kind": "Dataplane"}, top) == {
		["GB002", "t.kind", "value 'Dataplane' is not supported yet by gen-bundle"],
	}
}

test_forbidden_fields if {
	problems({"kind": "Mesh", "name": "x", "mesh": "m", "sectionName": "s"}, top) == {
		["TREF002", "t.name", "using name with kind Mesh is not yet supported"],
		["TREF002", "t.mesh", "must not be set with kind Mesh"],
		["TREF002", "t.sectionName", "must not be set with kind Mesh"],
	}
	problems({"kind": "MeshService", "name": "a", "tags": {}, "proxyTypes": ["Sidecar"]}, top) == {
		["TREF002", "t.tags", "must not be set with kind MeshService"],
		["TREF002", "t.proxyTypes", "must not be set with kind MeshService"],
	}
	problems({"kind": "MeshSubset", "labels": {}, "bogus": 1}, top) == {
		["TREF002", "t.labels", "must not be set with kind MeshSubset"],
		["TREF006", "t.bogus", "unknown field"],
	}
}

test_tags if {
	problems({"kind": "MeshSubset", "tags": {"": "x", "a b": "x", "e": "", "f": "a/b", "g": 1, "ok": "v"}}, top) == {
		["TREF003", "t.tags", "tag name must be non-empty"],
		["TREF003", `t.tags["a b"]`, lib.messages.tag_name],
		["TREF003", `t.tags["e"]`, "tag value must be non-empty"],
		["TREF003", `t.tags["f"]`, lib.messages.tag_value],
		["TREF006", `t.tags["g"]`, "must be of type string, got integer"],
	}
	problems({"kind": "MeshServiceSubset", "name": "s", "tags": {"f": "a/b", "v": "*", "w": "a b"}}, top) == {
		["TREF003", `t.tags["w"]`, lib.messages.selector_value],
	}
	problems({"kind": "MeshSubset", "tags": []}, top) == {["TREF006", "t.tags", "must be of type object, got array"]}
}

test_names if {
	problems({"kind": "MeshService"}, top) == {["TREF004", "t", "name or labels must be set when kind is MeshService"]}
	problems({"kind": "MeshService", "name": 5}, top) == {
		["TREF006", "t.name", "must be of type string, got integer"],
		["TREF004", "t", "name or labels must be set when kind is MeshService"],
	}
	problems({"kind": "MeshService", "name": "Web"}, top) == {["TREF004", "t.name", lib.messages.service_name]}
	problems({"kind": "MeshService", "labels": {"a": "b"}, "namespace": "n"}, top) == {
		["TREF002", "t.labels", "either labels or name and namespace must be specified"],
	}
	problems({"kind": "MeshService", "name": "web", "sectionName": "http"}, top) == {
		["GB003", "t.sectionName", "sectionName with kind MeshService is not supported yet by gen-bundle"],
	}
	problems({"kind": "MeshServiceSubset", "tags": {}}, top) == {
		["TREF004", "t.name", "must be set when kind is MeshServiceSubset"],
	}
}

test_proxy_types if {
	problems({"kind": "Mesh", "proxyTypes": []}, top) == {
		["TREF005", "t.proxyTypes", "must be undefined or have at least one element"],
	}
	problems({"kind": "MeshSubset", "proxyTypes": "Sidecar"}, top) == {
		["TREF006", "t.proxyTypes", "must be of type array, got string"],
	}
	problems({"kind": "Mesh", "proxyTypes": ["Sidecar", "Gatewy", 1, null]}, top) == {
		["TREF005", "t.proxyTypes[1]", `unsupported value "Gatewy": supported values: "Sidecar", "Gateway"`],
		["TREF006", "t.proxyTypes[2]", "must be of type string, got integer"],
	}
}

test_dataplane if {
	problems({"kind": "Dataplane", "labels": {"a": "b"}, "name": "dp", "tags": {}}, top) == {
		["GB002", "t.kind", "value 'Dataplane' is not supported yet by gen-bundle"],
		["TREF002", "t.labels", "either labels or name and namespace must be specified"],
		["TREF002", "t.tags", "must not be set with kind Dataplane"],
	}
	problems({"kind": "Dataplane", "sectionName": "http"}, passthrough) == {
		["GB002", "t.kind", "value 'Dataplane' is not supported yet by gen-bundle"],
		["TREF002", "t.sectionName", "can only be used with inbound policies"],
	}
	problems({"kind": "MeshSubset"}, passthrough) == set()
	problems({"kind": "MeshService", "name": "a"}, passthrough) == {
		["TREF001", "t.kind", "value 'MeshService' is not supported"],
	}
}

test_required_tags if {
	lib.required_tags({"kind": "Mesh"}) == {}
	lib.required_tags({"kind": "MeshSubset"}) == {}
	lib.required_tags({"kind": "MeshSubset", "tags": {"a": "b"}}) == {"a": "b"}
	lib.required_tags({"kind": "MeshService", "name": "web"}) == {"kuma.io/service": "web"}
	lib.required_tags({"kind": "MeshServiceSubset", "name": "web", "tags": {"v": "1"}}) == {
		"kuma.io/service": "web", "v": "1",
	}
}

test_valid_target_ref if {
	lib.valid_target_ref("t", {"kind": "Mesh"}, top)
	not lib.valid_target_ref("t", {"kind": "Mesh", "tags": {}}, top)
}
