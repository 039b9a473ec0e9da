# METADATA
# title: Client identity
# description: |
#   Who the client is (spec A3), only from mTLS: the principal Envoy took from the client's
#   certificate, and every URI SAN of that certificate, either as Envoy hands them over from its own
#   verified TLS session (dynamic metadata) or parsed from the certificate it sends. Never from
#   headers. Every rule is defined for any input, or is a helper whose absence denies.
package kuma.authz.identity

import data.kuma.authz.request

# Protobuf strings have no presence: an empty principal is the same as none.
principal := value if {
	value := request.source.principal
	is_string(value)
	value != ""
}

# the service of a principal spiffe://<mesh>/<service> of this request's mesh
principal_service := id[1] if {
	id := request.kuma_spiffe_id(principal)
	id[0] == request.mesh
}

has_certificate if request.source.certificate != ""

# The peer certificate's URI SANs as Envoy hands them from its own verified TLS session, when its
# configuration puts them in the dynamic metadata it sends (decision-api.md "Identity from the TLS
# session"): the `%DOWNSTREAM_PEER_URI_SAN%` text (joined with commas) or a list. Envoy writes that
# namespace itself, from the session, so no client can; with it the certificate is not parsed, the
# costliest step of a decision. The value is request.session_uri_sans; request.well_formed checks its
# type. Present: a `false` there is not a list, and request.problems says so.
has_session_uris if request.session_uri_sans != false

# Whether the client's URI SANs are known: from the session when Envoy sends them, else from the
# certificate.
peer_uris_given if has_session_uris

peer_uris_given if has_certificate

# The client's URI SANs (undefined when the certificate cannot be parsed: `certificate_ok` fails).
peer_uris := session_uris if {
	has_session_uris
} else := certificate_uris if {
	has_certificate
}

session_uris := [] if {
	request.session_uri_sans == ""
} else := split(request.session_uri_sans, ",") if {
	is_string(request.session_uri_sans)
} else := request.session_uri_sans if {
	is_array(request.session_uri_sans)
}

# Envoy sends URL-encoded PEM. Decode only when it is encoded: decoding turns `+` (frequent in
# base64) into a space, which would spoil a PEM given as is.
certificate_pem := urlquery.decode(request.source.certificate) if {
	contains(request.source.certificate, "%")
} else := request.source.certificate

# The first (leaf) certificate. Undefined when it cannot be decoded or parsed: built-in errors
# make the expression undefined, and `certificate_ok` then fails.
peer_certificate := crypto.x509.parse_certificates(certificate_pem)[0]

# Its URI SANs (`URIStrings` is null for a certificate without any).
certificate_uris := uris if {
	uris := peer_certificate.URIStrings
	is_array(uris)
} else := [] if {
	is_object(peer_certificate)
}

certificate_ok if not peer_uris_given

certificate_ok if principal in peer_uris

# Envoy's `uri_san` input of rules[] matches (Kuma 2.12+): every URI SAN of the peer certificate,
# joined with commas; without them, the principal Envoy took from the certificate (its first).
default uri_san := ""

uri_san := concat(",", peer_uris) if {
	peer_uris_given
	certificate_ok
} else := principal if {
	not peer_uris_given
}

# (key, value) pairs the URI SANs add: spiffe://<mesh>/<svc> (same trust domain only) and
# kuma://<key>/<value>, where the key may itself contain "/" (kuma://kuma.io/zone/us-east).
uri_pairs contains ["kuma.io/service", id[1]] if {
	some san in peer_uris
	startswith(san, "spiffe://")
	id := request.kuma_spiffe_id(san)
	id[0] == request.mesh
}

uri_pairs contains pair if {
	some san in peer_uris
	startswith(san, "kuma://")
	pair := kuma_tag(san)
}

all_pairs := uri_pairs | {["kuma.io/service", principal_service]}

# "none": no principal (plaintext); "foreign": not spiffe://<this mesh>/<service>;
# "invalid-certificate": URI SANs unknown, unparsable or not carrying the principal; "verified".
default status := "none"

status := "foreign" if {
	principal
	not principal_service
} else := "invalid-certificate" if {
	principal_service
	not certificate_ok
} else := "verified" if {
	principal_service
}

# The client's (key, value) pairs as a set, the form the decisions look up; empty unless verified.
default pairs := set()

pairs := all_pairs if status == "verified"

# key -> sorted array of distinct values (a client may carry several values of one key)
tags[key] := sort(values) if {
	some [key, _] in pairs
	values := {pair[1] | some pair in pairs; pair[0] == key}
}

# The client as an explanation shows it; `tags` is empty unless the identity is verified.
default client := {"status": "none", "tags": {}}

client := {"status": status, "principal": principal, "tags": tags} if {
	status != "none"
}

# kuma://<key>/<value> -> [key, value], cut at the last "/"; both non-empty. One match does it all:
# the greedy key runs to the last "/", as the value has none.
kuma_tag(tag_uri) := [parts[1], parts[2]] if {
	parts := regex.find_all_string_submatch_n(`^kuma://(.+)/([^/]+)$`, tag_uri, 1)[0]
}
