# A fast path, not a rule: the resources that plainly have nothing to report.
#
# Every rule is defined once, in its kind's file, and runs on every resource this file does not
# prove clean (`suspects`). A resource is clean when it has the common shape of a valid resource of
# its kind: a handful of cheap tests, where the rules are many. This only saves time (a large mesh is
# mostly clean resources); it must never hide a finding, which tests check by running every rule on
# every resource too (settings.exhaustive, tests/checks/test_fast_path.py).
#
# What is not covered here (Mesh, two MeshPassthrough matches on one port, TLS settings, rules[],
# Dataplane refs, anything unusual) is simply a suspect.
package checks.lib

suspects := resources if settings.exhaustive

else := [r | some r in resources; not clean(r)]

suspects_of[kind] := [r | some r in suspects; r.kind == kind] if some kind in compiled_kinds

clean(r) if {
	clean_envelope(r)
	clean_spec(r)
}

# --- the envelope ---------------------------------------------------------------------------------

clean_envelope(r) if {
	r.form == "universal"
	clean_name(r.raw.name)
	clean_universal_mesh(r)
	clean_labels(object.get(r.raw, "labels", {}))
	clean_timestamp(object.get(r.raw, "creationTime", null))
	clean_timestamp(object.get(r.raw, "modificationTime", null))
	clean_universal_fields(r)
}

clean_envelope(r) if {
	r.form == "kubernetes"
	metadata := r.raw.metadata
	is_object(metadata)
	clean_name(metadata.name)
	clean_labels(object.get(metadata, "labels", {}))
	clean_timestamp(object.get(metadata, "creationTimestamp", null))
	count(object.keys(r.raw) - kubernetes_envelope(r.kind)) == 0
	clean_kubernetes_scope(r, metadata)
}

clean_name(name) if {
	non_empty_string(name)
	not resource_name_error(name)
}

clean_universal_mesh(r) if not has_field(r.raw, "mesh")

clean_universal_mesh(r) if clean_mesh_name(r.raw.mesh)

clean_mesh_name(mesh) if {
	non_empty_string(mesh)
	not mesh_name_error(mesh)
}

clean_universal_fields(r) if r.kind in legacy_kinds

clean_universal_fields(r) if {
	r.kind in new_style_kinds
	count(object.keys(r.raw) - universal_new_style_envelope) == 0
}

clean_labels(labels) if {
	is_object(labels)
	every value in labels {
		is_string(value)
	}
}

clean_timestamp(null)

clean_timestamp(value) if rfc3339(value)

clean_kubernetes_scope(r, metadata) if {
	r.kind in new_style_kinds
	clean_namespace(object.get(metadata, "namespace", null))
	clean_label_mesh(object.get(metadata, ["labels", "kuma.io/mesh"], null))
}

clean_kubernetes_scope(r, _) if {
	r.kind in legacy_kinds
	not has_field(r.raw, "mesh")
}

clean_kubernetes_scope(r, _) if {
	r.kind in legacy_kinds
	clean_mesh_name(r.raw.mesh)
}

clean_namespace(null)

clean_namespace(ns) if {
	non_empty_string(ns)
	not namespace_error(ns)
}

clean_label_mesh(null)

clean_label_mesh(mesh) if clean_mesh_name(mesh)

# --- the kinds ------------------------------------------------------------------------------------

clean_spec(r) if {
	r.kind == "MeshTrafficPermission"
	spec := r.spec
	is_object(spec)
	count(object.keys(spec) - {"targetRef", "from"}) == 0
	is_array(spec.from)
	count(spec.from) > 0
	clean_optional_ref(object.get(spec, "targetRef", null), clean_mtp_top_kinds)
	every entry in spec.from {
		clean_from_entry(entry)
	}
}

clean_spec(r) if {
	r.kind == "TrafficPermission"
	spec := r.spec
	is_object(spec)
	count(object.keys(spec) - {"sources", "destinations"}) == 0
	clean_selectors(object.get(spec, "sources", null))
	clean_selectors(object.get(spec, "destinations", null))
}

clean_spec(r) if {
	r.kind == "ExternalService"
	spec := r.spec
	is_object(spec)
	count(object.keys(spec) - {"networking", "tags"}) == 0
	networking := spec.networking
	is_object(networking)
	count(object.keys(networking) - {"address"}) == 0
	address := networking.address
	is_string(address)
	count(address_errors(address)) == 0
	tags := spec.tags
	clean_tags(tags, false)
	service := tags["kuma.io/service"]
	split_host_port(address)[0] != service
	lower(object.get(tags, "kuma.io/protocol", "tcp")) in es_accepted_protocols
}

clean_spec(r) if {
	r.kind == "MeshPassthrough"
	spec := r.spec
	is_object(spec)
	count(object.keys(spec) - {"targetRef", "default"}) == 0
	clean_optional_ref(object.get(spec, "targetRef", null), {"Mesh", "MeshSubset"})
	conf := spec.default
	is_object(conf)
	count(object.keys(conf) - {"passthroughMode", "appendMatch"}) == 0
	object.get(conf, "passthroughMode", "Matched") in passthrough_modes
	matches := object.get(conf, "appendMatch", [])
	is_array(matches)
	every match in matches {
		clean_match(match)
	}

	# One protocol per port, and no value twice on a port: the rules that compare the matches of a
	# port (MPT002, MPT003) have nothing to report.
	on_ports := [[match.port, object.get(match, "protocol", "tcp"), match.value] |
		some match in matches
		is_number(match.port)
	]
	count(on_ports) == count({entry | some entry in on_ports})
	count({[port, protocol] | some [port, protocol, _] in on_ports}) == count({port | some [port, _, _] in on_ports})
}

clean_match(match) if {
	is_object(match)
	count(object.keys(match) - {"type", "value", "port", "protocol"}) == 0
	clean_match_port(object.get(match, "port", null))
	protocol := object.get(match, "protocol", "tcp")
	protocol in match_protocols
	protocol != "mysql"
	clean_match_value(match.type, match.value, protocol, object.get(match, "port", null))
}

clean_match_port(null)

clean_match_port(port) if {
	is_integer(port)
	valid_port_number(port)
}

clean_match_value("IP", value, _, _) if {
	is_string(value)
	is_ip(value)
}

clean_match_value("CIDR", value, _, _) if {
	is_string(value)
	is_cidr(value)
}

# A plain name (no wildcard) on a protocol a domain can use.
clean_match_value("Domain", value, protocol, _) if {
	is_string(value)
	not protocol in {"tcp", "mysql"}
	not startswith(value, "*")
	is_dns_name(value)
}

# `*.` and a plain name, on a port when the protocol is HTTP-like.
clean_match_value("Domain", value, protocol, port) if {
	is_string(value)
	not protocol in {"tcp", "mysql"}
	startswith(value, "*.")
	rest := substring(value, 2, -1)
	not startswith(rest, "*")
	is_dns_name(rest)
	clean_wildcard_port(protocol, port)
}

clean_wildcard_port(protocol, _) if not protocol in layer7_protocols

clean_wildcard_port(_, port) if port != null

clean_mtp_top_kinds := {"Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"}

clean_from_entry(entry) if {
	is_object(entry)
	count(object.keys(entry) - {"targetRef", "default"}) == 0
	object.keys(entry.default) == {"action"}
	entry.default.action in mtp_actions
	clean_ref(entry.targetRef, clean_mtp_top_kinds)
}

clean_optional_ref(null, _)

clean_optional_ref(ref, kinds) if clean_ref(ref, kinds)

# The fields a clean ref of each kind may have (all of them allowed and checked below).
clean_ref_fields := {
	"Mesh": {"kind", "proxyTypes"},
	"MeshSubset": {"kind", "tags", "proxyTypes"},
	"MeshService": {"kind", "name"},
	"MeshServiceSubset": {"kind", "name", "tags"},
}

clean_ref(ref, kinds) if {
	is_object(ref)
	kind := ref.kind
	kind in kinds
	count(object.keys(ref) - clean_ref_fields[kind]) == 0
	clean_ref_name(kind, object.get(ref, "name", null))
	clean_ref_tags(kind, object.get(ref, "tags", null))
	clean_proxy_types(object.get(ref, "proxyTypes", null))
}

clean_ref_name(kind, null) if kind in {"Mesh", "MeshSubset"}

clean_ref_name(kind, name) if {
	kind in {"MeshService", "MeshServiceSubset"}
	non_empty_string(name)
	valid_service_name(name)
}

clean_ref_tags(_, null)

clean_ref_tags(kind, tags) if clean_tags(tags, kind == "MeshServiceSubset")

clean_tags(tags, selector) if {
	is_object(tags)
	every name, value in tags {
		clean_tag(name, value, selector)
	}
}

clean_tag(name, value, selector) if {
	is_string(value)
	name != ""
	valid_tag_name(name)
	value != ""
	clean_tag_value(value, selector)
}

clean_tag_value(value, false) if valid_tag_value(value)

clean_tag_value(value, true) if valid_selector_value(value)

clean_proxy_types(null)

clean_proxy_types(types) if {
	is_array(types)
	count(types) > 0
	every type in types {
		type in proxy_types
	}
}

clean_selectors(selectors) if {
	is_array(selectors)
	count(selectors) > 0
	every selector in selectors {
		is_object(selector)
		object.keys(selector) == {"match"}
		count(selector.match) > 0
		clean_tags(selector.match, true)
	}
}
