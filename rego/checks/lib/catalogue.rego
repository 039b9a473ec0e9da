# Every check, once: its ID, its title, its severity and the conftest namespace that reports it.
#
# This table is the one authority both consumers read: the conftest namespaces report a finding as
# `deny` (severity "error") or `warn` ("warning") by looking its ID up here, and gen-bundle prints
# the same severity with the same ID (docs/checks/README.md lists the same rows; a test compares).
# Notes ("note") are gen-bundle's only: conftest has no level for them.
package checks.lib

catalogue := {
	"RES001": entry("Missing or invalid resource name", "error", "checks.structure.resource"),
	"RES002": entry("Invalid mesh, namespace or metadata", "error", "checks.structure.resource"),
	"RES003": entry("Labels that are not strings", "error", "checks.structure.resource"),
	"RES004": entry("Unknown top-level field", "error", "checks.structure.resource"),
	"RES005": entry("Timestamp that does not parse", "error", "checks.structure.resource"),
	"RES006": entry("Unknown Kuma kind", "error", "checks.structure.resource"),
	"RES007": entry("Unsupported kuma.io API version", "error", "checks.structure.resource"),
	"RES008": entry("Not a resource", "error", "checks.structure.resource"),
	"RES009": entry("Kuma kind that decides nothing about access", "note", ""),
	"RES010": entry("Kuma kind in another API group", "warning", "checks.structure.resource"),
	"MESH001": entry("More than one mTLS backend", "error", "checks.structure.mesh"),
	"MESH002": entry("Two backends with one name", "error", "checks.structure.mesh"),
	"MESH003": entry("enabledBackend names no backend", "error", "checks.structure.mesh"),
	"MESH004": entry("Backend without name or type", "error", "checks.structure.mesh"),
	"MESH005": entry("Certificate expiration that does not parse", "error", "checks.structure.mesh"),
	"MESH006": entry("Mesh field of the wrong type or value", "error", "checks.structure.mesh"),
	"MESH007": entry("Unknown Mesh field", "error", "checks.structure.mesh"),
	"MTP001": entry("MeshTrafficPermission without from or rules", "error", "checks.structure.mtp"),
	"MTP002": entry("from and rules in one policy", "error", "checks.structure.mtp"),
	"MTP003": entry("from entry without an action", "error", "checks.structure.mtp"),
	"MTP004": entry("Unknown action", "error", "checks.structure.mtp"),
	"MTP005": entry("rules entry with nothing in it", "error", "checks.structure.mtp"),
	"MTP006": entry("Invalid SPIFFE ID or SNI match", "error", "checks.structure.mtp"),
	"MTP007": entry("MeshTrafficPermission field of the wrong type or unknown", "error", "checks.structure.mtp"),
	"TREF001": entry("targetRef kind missing, unknown or not allowed here", "error", "checks.structure.targetref"),
	"TREF002": entry("targetRef field the kind does not allow", "error", "checks.structure.targetref"),
	"TREF003": entry("Invalid tag name or value", "error", "checks.structure.targetref"),
	"TREF004": entry("Missing or invalid service name", "error", "checks.structure.targetref"),
	"TREF005": entry("Invalid proxyTypes", "error", "checks.structure.targetref"),
	"TREF006": entry("targetRef of the wrong type or with unknown fields", "error", "checks.structure.targetref"),
	"MID001": entry("MeshIdentity field of the wrong type or unknown", "error", "checks.structure.identity"),
	"MID002": entry("SPIFFE ID template Kuma cannot render", "error", "checks.structure.identity"),
	"MID003": entry("Invalid MeshIdentity provider", "error", "checks.structure.identity"),
	"MTR001": entry("MeshTrust field of the wrong type or unknown", "error", "checks.structure.identity"),
	"MTR002": entry("Invalid caBundles", "error", "checks.structure.identity"),
	"MTR003": entry("Missing or too long trustDomain", "error", "checks.structure.identity"),
	"TP001": entry("TrafficPermission without sources or destinations", "error", "checks.structure.tp"),
	"TP002": entry("Selector without tags", "error", "checks.structure.tp"),
	"TP003": entry("Invalid selector tag", "error", "checks.structure.tp"),
	"TP004": entry("TrafficPermission field of the wrong type or unknown", "error", "checks.structure.tp"),
	"ES001": entry("ExternalService without networking", "error", "checks.structure.es"),
	"ES002": entry("Invalid networking.address", "error", "checks.structure.es"),
	"ES003": entry("Invalid ExternalService tags", "error", "checks.structure.es"),
	"ES004": entry("Unknown kuma.io/protocol", "error", "checks.structure.es"),
	"ES005": entry("Service named like its host", "error", "checks.structure.es"),
	"ES006": entry("Invalid TLS settings", "error", "checks.structure.es"),
	"ES007": entry("ExternalService field of the wrong type or unknown", "error", "checks.structure.es"),
	"MPT001": entry("Invalid appendMatch port", "error", "checks.structure.passthrough"),
	"MPT002": entry("One port, different HTTP protocols", "error", "checks.structure.passthrough"),
	"MPT003": entry("A value twice for one port and protocol", "error", "checks.structure.passthrough"),
	"MPT004": entry("Unknown protocol", "error", "checks.structure.passthrough"),
	"MPT005": entry("Invalid IP or CIDR", "error", "checks.structure.passthrough"),
	"MPT006": entry("Invalid Domain match", "error", "checks.structure.passthrough"),
	"MPT007": entry("Unknown match type", "error", "checks.structure.passthrough"),
	"MPT008": entry("Wildcard gen-bundle refuses", "error", "checks.structure.passthrough"),
	"MPT009": entry("MeshPassthrough field of the wrong type, value or unknown", "error", "checks.structure.passthrough"),
	"MPT010": entry("MeshPassthrough without passthroughMode", "note", ""),
	"GB003": entry("MeshService by labels, namespace or section", "error", "checks.structure.genbundle"),
	"GB004": entry("Kind that decides access, not compiled by gen-bundle yet", "error", "checks.structure.genbundle"),
	"VER001": entry("Not in the chosen Kuma release", "error", "checks.structure.versions"),
	"RISK001": entry("Mesh-wide allow-all", "warning", "checks.risk"),
	"RISK002": entry("passthroughMode All", "warning", "checks.risk"),
	"RISK003": entry("Egress allowed by Domain", "warning", "checks.risk"),
	"RISK004": entry("AllowWithShadowDeny left in place", "warning", "checks.risk"),
	"RISK005": entry("from entry that never decides", "warning", "checks.risk"),
	"RISK006": entry("Policy labelled kuma.io/effect: shadow", "warning", "checks.risk"),
	"RISK007": entry("Policy that selects no sidecar", "warning", "checks.risk"),
	"RISK008": entry("Unknown kuma.io/origin label", "warning", "checks.risk"),
	"RISK009": entry("SPIFFE ID Prefix that is a raw string prefix", "warning", "checks.risk"),
	"RISK010": entry("Empty rules match", "warning", "checks.risk"),
	"RISK011": entry("MeshIdentity without a provider", "warning", "checks.risk"),
	"DEP001": entry("MeshService in from", "warning", "checks.deprecated"),
	"DEP002": entry("Deprecated top-level targetRef kind", "warning", "checks.deprecated"),
	"CMB001": entry("TrafficPermission and MeshTrafficPermission in one mesh", "warning", "checks.combined"),
	"CMB002": entry("MeshTrafficPermission in a mesh without mTLS", "warning", "checks.combined"),
	"CMB003": entry("Mesh that no Mesh resource defines", "warning", "checks.combined"),
	"CMB004": entry("Resource defined twice", "error", "checks.combined"),
	"CMB005": entry("No resource that decides access", "error", "checks.combined"),
	"CMB006": entry("from[] policy that rules or a MeshIdentity override", "warning", "checks.combined"),
	"CMB007": entry("MeshIdentity that never becomes Ready", "warning", "checks.combined"),
}

entry(title, severity, namespace) := {"title": title, "severity": severity, "namespace": namespace}

# The findings a conftest namespace reports, split by severity.
namespace_findings(namespace, severity) := {f |
	some f in findings
	catalogue[f.id].namespace == namespace
	catalogue[f.id].severity == severity
}
