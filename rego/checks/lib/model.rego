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

kind_model(r) := {
	"mtls": mtls_mode(r.spec),
	"passthrough": mesh_passthrough(r.spec),
	# MeshIdentity becomes Ready only in a mesh with meshServices.mode Exclusive (status/updater.go)
	"mesh_services_exclusive": object.get(as_object(r.spec), ["meshServices", "mode"], null) == "Exclusive",
} if {
	r.kind == "Mesh"
}

kind_model(r) := identity_model(r) if r.kind == "MeshIdentity"

kind_model(r) := {"trust_domain": r.spec.trustDomain} if r.kind == "MeshTrust"

kind_model(r) := object.union(placement(r), {
	"kri": kri("mtp", r),
	"target_ref": model_target_ref(object.get(as_object(r.spec), "targetRef", null), kri_namespace(r)),
	"from": [{"target_ref": model_target_ref(entry.targetRef, kri_namespace(r)), "action": entry.default.action} |
		some entry in as_array(object.get(r.spec, "from", null))
	],
	"rules": [model_rule(rule) | some rule in as_array(object.get(r.spec, "rules", null))],
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
	"target_ref": model_target_ref(object.get(as_object(r.spec), "targetRef", null), kri_namespace(r)),
	"mode": object.get(as_object(r.spec), ["default", "passthroughMode"], null),
	"matches": [normalise_match(m) | some m in as_array(object.get(as_object(r.spec), ["default", "appendMatch"], null))],
}) if {
	r.kind == "MeshPassthrough"
}

# A rules[] entry: its lists of matches; an empty match {} is kept (Kuma builds no matcher for it).
model_rule(rule) := {list: [model_match(m) | some m in as_array(object.get(rule, ["default", list], null))] |
	some list in rule_lists
}

model_match(m) := {
	"spiffe_id": model_spiffe(object.get(m, "spiffeID", null)),
	"sni": object.get(m, ["sni", "value"], null),
}

model_spiffe(null) := null

model_spiffe(matcher) := {"type": matcher.type, "value": matcher.value} if matcher != null

# Kuma's resource identifier (pkg/core/kri/kri.go Identifier.String, FromResourceMeta): how Envoy's
# RBAC names the matchers of a policy's rules, so decision logs line up with Envoy's stats.
kri(short_name, r) := sprintf("kri_%s_%s_%s_%s_%s_", [
	short_name,
	r.mesh,
	object.get(r.labels, "kuma.io/zone", ""),
	kri_namespace(r),
	display_name(r),
])

kri_namespace(r) := r.namespace if non_empty_string(r.namespace)

else := object.get(r.labels, "k8s.kuma.io/namespace", "")

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
	# the zone of Kuma's resource identifier: a Dataplane ref by name matches only there
	"zone_label": object.get(r.labels, "kuma.io/zone", ""),
	# the namespace Kuma scopes a consumer or workload-owner policy to (its k8s.kuma.io/namespace)
	"scope_namespace": kri_namespace(r),
	"inactive": inactive(r),
}

# kuma.io/policy-role as a control plane labels it (a resource exported from Kuma, or synced by
# KDS, carries it), else computed as Kuma computes it (ComputePolicyRole).
role(r) := r.labels["kuma.io/policy-role"] if {
	r.labels["kuma.io/policy-role"] in {"system", "producer", "consumer", "workload-owner"}
} else := "workload-owner" if {
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
} else := "no-dataplane" if {
	# Dataplane{namespace} without a name or labels resolves to no Dataplane (matchers/dataplane.go)
	ref := object.get(as_object(r.spec), "targetRef", null)
	ref.kind == "Dataplane"
	non_empty_string(object.get(ref, "namespace", null))
	not non_empty_string(object.get(ref, "name", null))
	not is_object(object.get(ref, "labels", null))
} else := null

models_of[kind] := [m | some m in models; m.kind == kind] if some kind in compiled_kinds

# Whether an ExternalService is reached by IP address or by name, decided here with the same parser
# that validated the address (compilation matches an IP by address and port, a name by host).
host_kind(host) := "ip" if is_ip(host)

else := "name"
