# Deprecations Kuma reports as warnings with the accepted resource (spec B §5.1), worded as
# generator/validation/mesh_traffic_permission.py prints them.
#
# DEP001 MeshService in from[].targetRef (since Kuma 2.7), DEP002 MeshSubset / MeshService /
# MeshServiceSubset as the top-level targetRef (since Kuma 2.9 / 2.10).
package checks.deprecated

import data.checks.lib

# METADATA
# title: Deprecated targetRef kinds
# description: Warnings DEP001-DEP002, as Kuma returns them with the accepted resource.
# entrypoint: true
warn contains lib.result(r, lib.problem("DEP001", lib.at_field(at, "targetRef.kind"), message)) if {
	message := "MeshService value for 'from[].targetRef.kind' is deprecated, use MeshSubset with 'kuma.io/service' instead"
	some r in lib.resources
	r.kind == "MeshTrafficPermission"
	some i, item in lib.as_array(object.get(lib.as_object(r.spec), "from", null))
	ref := object.get(lib.as_object(item), "targetRef", null)
	ref.kind == "MeshService"
	at := lib.at_index("spec.from", i)
	lib.valid_target_ref(lib.at_field(at, "targetRef"), ref, lib.mtp_from_opts)
}

warn contains lib.result(r, lib.problem("DEP002", "spec.targetRef.kind", message)) if {
	some r in lib.resources
	r.kind == "MeshTrafficPermission"
	spec := lib.as_object(r.spec)
	ref := object.get(spec, "targetRef", null)
	ref.kind in {"MeshSubset", "MeshService", "MeshServiceSubset"}
	lib.valid_target_ref("spec.targetRef", ref, lib.mtp_top_opts(spec))
	message := sprintf("%s value for 'targetRef.kind' is deprecated, use Dataplane with labels instead", [ref.kind])
}
