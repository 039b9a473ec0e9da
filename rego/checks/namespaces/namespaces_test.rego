# Each conftest namespace reports exactly the findings the catalogue files under it, by severity.
package checks.namespaces_test

import data.checks.combined
import data.checks.deprecated
import data.checks.risk
import data.checks.structure.es
import data.checks.structure.genbundle
import data.checks.structure.identity
import data.checks.structure.mesh
import data.checks.structure.mtp
import data.checks.structure.passthrough
import data.checks.structure.resource
import data.checks.structure.targetref
import data.checks.structure.tp
import data.checks.structure.versions

ids(results) := {r.id | some r in results}

test_structure_namespaces_pick_their_ids if {
	ids(resource.deny) == {"RES001"} with input as {"type": "Mesh", "name": "BAD"}
	ids(resource.warn) == {"RES010"} with input as {"apiVersion": "x.io/v1", "kind": "Mesh", "metadata": {"name": "m"}}
	ids(mesh.deny) == {"MESH007"} with input as {"type": "Mesh", "name": "m", "other": 1}
	ids(mtp.deny) == {"MTP001"} with input as {"type": "MeshTrafficPermission", "name": "p"}
	ids(targetref.deny) == {"TREF001"} with input as {"type": "MeshPassthrough", "name": "p", "spec": {"targetRef": {}}}
	ids(tp.deny) == {"TP001"} with input as {"type": "TrafficPermission", "name": "t", "destinations": [{"match": {"a": "b"}}]}
	ids(es.deny) == {"ES001"} with input as {"type": "ExternalService", "name": "e", "tags": {"kuma.io/service": "e"}}
	ids(passthrough.deny) == {"MPT009"} with input as {"type": "MeshPassthrough", "name": "p", "spec": []}
	ids(genbundle.deny) == {"GB004"} with input as {"type": "MeshTLS", "name": "t"}
	ids(identity.deny) == {"MTR002", "MTR003"} with input as {"type": "MeshTrust", "name": "t", "spec": {}}
	ids(versions.deny) == {"VER001"} with input as {"type": "MeshTrafficPermission", "name": "p", "spec": {"rules": [{"default": {"allow": [{"sni": {"type": "Exact", "value": "a.b"}}]}}]}}
		with data.checks_settings as {"kuma_version": "2.13.0"}
}

test_warning_namespaces if {
	policy := {"type": "MeshPassthrough", "name": "p", "spec": {"default": {"passthroughMode": "All"}}}
	ids(risk.warn) == {"RISK002"} with input as policy
	shadow := {"type": "MeshTrafficPermission", "name": "p", "spec": {
		"targetRef": {"kind": "MeshService", "name": "web"},
		"from": [{"targetRef": {"kind": "MeshSubset", "tags": {"a": "b"}}, "default": {"action": "Deny"}}],
	}}
	ids(deprecated.warn) == {"DEP002"} with input as shadow
}

test_combined_namespace_only_with_the_whole_input if {
	twice := [{"path": "a.yaml", "contents": {"type": "Mesh", "name": "m"}}, {"path": "b.yaml", "contents": {"type": "Mesh", "name": "m"}}]
	ids(combined.deny) == {"CMB004"} with input as twice
	ids(combined.warn) == set() with input as twice
	ids(combined.deny) == set() with input as {"type": "Mesh", "name": "m"}
}
