# Kuma's resource types as of v2.14.3 (`pkg/core/resources/registry`, the `zz_generated.resource*.go`
# descriptors they register, and the CRDs of `deployments/charts/kuma/crds`; docs/checks/README.md):
# which kinds a document may name, and what gen-bundle does with each.
#
# * compiled: decides access and gen-bundle compiles it;
# * pending: decides access (or how it is decided) but gen-bundle does not compile it yet, so a
#   document of this kind is refused (GB004) rather than skipped: skipping it would change decisions;
# * skipped: decides nothing about access; reported as a note (RES009) and left out.
package checks.lib

kuma_api_group := "kuma.io"

kuma_api_version := "kuma.io/v1alpha1"

# MeshIdentity decides which proxies have a workload identity, and so whether rules[] or from[]
# decide (spec B §5.5); MeshTrust is checked and modelled (the trust domains Envoy accepts).
compiled_kinds := {
	"Mesh", "MeshTrafficPermission", "TrafficPermission", "ExternalService", "MeshPassthrough",
	"MeshIdentity", "MeshTrust",
}

# MeshTLS sets the mTLS mode per proxy (spec A4); a MeshExternalService takes outbound traffic away
# from passthrough (spec A7).
pending_kinds := {"MeshTLS", "MeshExternalService"}

# Fields under `spec` in Universal form (new-style kinds) rather than at the top level.
new_style_kinds := {"MeshTrafficPermission", "MeshPassthrough", "MeshIdentity", "MeshTrust"}

legacy_kinds := {"Mesh", "TrafficPermission", "ExternalService"}

# Every `type` the registry knows (Universal, kumactl and the REST API).
universal_kinds := {
	# legacy, proto-based (pkg/core/resources/apis/mesh)
	"CircuitBreaker", "Dataplane", "DataplaneInsight", "ExternalService", "FaultInjection", "HealthCheck",
	"Mesh", "MeshGateway", "MeshGatewayRoute", "MeshInsight", "ProxyTemplate", "RateLimit", "Retry",
	"ServiceInsight", "Timeout", "TrafficLog", "TrafficPermission", "TrafficRoute", "TrafficTrace",
	"VirtualOutbound", "ZoneEgress", "ZoneEgressInsight", "ZoneIngress", "ZoneIngressInsight",
	# system (pkg/core/resources/apis/system)
	"Config", "GlobalSecret", "Secret", "Zone", "ZoneInsight",
	# new-style resources (pkg/core/resources/apis/*)
	"HostnameGenerator", "MeshExternalService", "MeshIdentity", "MeshMultiZoneService",
	"MeshOpenTelemetryBackend", "MeshService", "MeshTrust", "MeshZoneAddress", "Workload",
	# targetRef policies (pkg/plugins/policies/*)
	"MeshAccessLog", "MeshCircuitBreaker", "MeshFaultInjection", "MeshHealthCheck", "MeshHTTPRoute",
	"MeshLoadBalancingStrategy", "MeshMetric", "MeshPassthrough", "MeshProxyPatch", "MeshRateLimit",
	"MeshRetry", "MeshTCPRoute", "MeshTimeout", "MeshTLS", "MeshTrace", "MeshTrafficPermission",
}

# Every kind of the `kuma.io` API group on Kubernetes: the registry's, but Secret, GlobalSecret and
# Config (native Secrets and ConfigMaps there), plus three CRDs that exist on Kubernetes only.
kubernetes_kinds := (universal_kinds - {"Config", "GlobalSecret", "Secret"}) | {
	"ContainerPatch",
	"MeshGatewayConfig",
	"MeshGatewayInstance",
}

all_kinds := universal_kinds | kubernetes_kinds

# What gen-bundle does with a kind Kuma knows.
kind_treatment(kind) := "compiled" if kind in compiled_kinds

else := "pending" if kind in pending_kinds

else := "skipped"

# The known kind nearest to a mistyped one, for "did you mean": the same letters in another case,
# else the most similar by shared letter pairs (Dice's coefficient over character bigrams), if that
# is similar enough to be a likely typo.
nearest_kind(kinds, written) := exact[0] if {
	exact := sort([kind | some kind in kinds; lower(kind) == lower(written)])
	count(exact) > 0
} else := best if {
	scored := {[0 - score, kind] |
		some kind in kinds
		score := similarity(lower(kind), lower(written))
		score >= 0.6
	}
	count(scored) > 0
	best := sort(scored)[0][1]
}

similarity(a, b) := (2 * count(bigrams(a) & bigrams(b))) / (count(bigrams(a)) + count(bigrams(b))) if {
	count(bigrams(a)) + count(bigrams(b)) > 0
}

bigrams(text) := {substring(text, i, 2) |
	count(text) >= 2
	some i in numbers.range(0, count(text) - 2)
}
