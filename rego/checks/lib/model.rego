# The valid resources in the terms gen-bundle compiles: every value parsed and defaulted once, here.
#
# A resource is valid when no check reports an error about it. gen-bundle builds its typed model
# from `models` (generator/checks/model.py); nothing downstream parses the input again.
package checks.lib

default_settings := {
	"system_namespaces": ["kuma-system", "kong-mesh-system"],
	"allow_empty": false,
	"exhaustive": false,
}

# gen-bundle passes its command-line settings in its input; conftest users may pass a data file
# (`conftest test --data settings.yaml` with `checks_settings: {system_namespaces: [...]}`).
settings := object.union(default_settings, gen_bundle.settings) if {
	is_object(gen_bundle.settings)
} else := object.union(default_settings, data.checks_settings) if {
	is_object(data.checks_settings)
} else := default_settings

system_namespaces := {ns | some ns in settings.system_namespaces}

# The resources with an error.
invalid_resources contains f.resource if {
	some f in structure_findings
	f.resource != null
	catalogue[f.problem.id].severity == "error"
}

valid_resources := [r | some r in resources; not r.key in invalid_resources]

models := [model(r) | some r in valid_resources]

model(r) := object.union(
	{
		"key": r.key,
		"file": r.file,
		"document": r.document,
		"item": r.item,
		"base": r.base,
		"kind": r.kind,
		"form": r.form,
		"name": r.name,
		"display_name": display_name(r),
		"mesh": r.mesh,
		"namespace": r.namespace,
		"labels": r.labels,
	},
	kind_model(r),
)

kind_model(r) := {"mtls": mtls_mode(r.spec), "passthrough": mesh_passthrough(r.spec)} if r.kind == "Mesh"

kind_model(r) := object.union(placement(r), {
	"target_ref": model_target_ref(object.get(as_object(r.spec), "targetRef", null)),
	"from": [{"target_ref": model_target_ref(entry.targetRef), "action": entry.default.action} |
		some entry in r.spec.from
	],
}) if {
	r.kind == "MeshTrafficPermission"
}

kind_model(r) := {
	"sources": [string_items(selector.match) | some selector in r.spec.sources],
	"destinations": [string_items(selector.match) | some selector in r.spec.destinations],
	"creation_time_ns": creation_time_ns(r),
} if {
	r.kind == "TrafficPermission"
}

kind_model(r) := {
	"tags": string_items(r.spec.tags),
	"host": lower(host),
	"port": to_number(port),
	"host_kind": host_kind(host),
} if {
	r.kind == "ExternalService"
	[host, port] := split_host_port(r.spec.networking.address)
}

kind_model(r) := object.union(placement(r), {
	"target_ref": model_target_ref(object.get(as_object(r.spec), "targetRef", null)),
	"mode": object.get(as_object(r.spec), ["default", "passthroughMode"], null),
	"matches": [normalise_match(m) | some m in as_array(object.get(as_object(r.spec), ["default", "appendMatch"], null))],
}) if {
	r.kind == "MeshPassthrough"
}

mtls_mode(spec) := lower(backend_mode(backend)) if {
	enabled := spec.mtls.enabledBackend
	non_empty_string(enabled)
	some backend in spec.mtls.backends
	backend.name == enabled
} else := "disabled"

# A backend's mode; STRICT (= 0) when it names none.
backend_mode(backend) := backend.mode if is_string(backend.mode)

else := "STRICT"

# networking.outbound.passthrough; unset means true (Mesh.IsPassthrough).
mesh_passthrough(spec) := spec.networking.outbound.passthrough if is_boolean(spec.networking.outbound.passthrough)

else := true

creation_time_ns(r) := time.parse_rfc3339_ns(value) if {
	some at in timestamp_fields(r.form)
	at[count(at) - 1] in {"creationTime", "creationTimestamp"}
	value := object.get(r.raw, at, null)
	rfc3339(value)
} else := null

# Where a policy sits in precedence and scope (spec B §4.1, §4.3, A10): a Kubernetes policy outside
# the system namespaces has role workload-owner and applies only to its own namespace; origin zone
# outranks global and applies only in its kuma.io/zone. And whether it takes part in decisions.
placement(r) := {
	"role": role(r),
	"origin": origin(r),
	"zone": zone(r),
	"inactive": inactive(r),
}

role(r) := "workload-owner" if {
	r.form == "kubernetes"
	r.namespace != null
	not r.namespace in system_namespaces
} else := "system"

origin(r) := r.labels["kuma.io/origin"] if r.labels["kuma.io/origin"] in {"global", "zone"}

else := "unset"

zone(r) := r.labels["kuma.io/zone"] if {
	origin(r) == "zone"
	non_empty_string(r.labels["kuma.io/zone"])
} else := null

# Why a valid policy takes no part in decisions, or null.
inactive(r) := "shadow" if r.labels["kuma.io/effect"] == "shadow"

else := "no-sidecar" if {
	proxy_types := object.get(as_object(r.spec), ["targetRef", "proxyTypes"], null)
	is_array(proxy_types)
	not "Sidecar" in proxy_types
} else := null

models_of[kind] := [m | some m in models; m.kind == kind] if some kind in compiled_kinds

# Whether an ExternalService is reached by IP address or by name, decided here with the same parser
# that validated the address (compilation matches an IP by address and port, a name by host).
host_kind(host) := "ip" if is_ip(host)

else := "name"
