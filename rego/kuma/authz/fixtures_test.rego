# METADATA
# title: Shared test fixtures
# description: |
#   Real certificates, inputs as OPA-Envoy builds them, and compiled data that follows
#   docs/data-shape.md. Not part of the bundle (a *_test.rego file).
package kuma.authz.fixtures_test

# --- certificates (self-signed P-256, valid until 2126, URL-encoded as Envoy sends them) --------

# openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/" -days 36500
#   -addext "subjectAltName=URI:spiffe://default/orders,URI:kuma://kuma.io/service/orders,
#            URI:kuma://kuma.io/zone/us-east,URI:kuma://env/prod"
cert_orders := concat("", [
	"-----BEGIN%20CERTIFICATE-----%0AMIIByzCCAXCgAwIBAgIUJg94JSHQW492mmG539Cv%2BcltXPgwCgYIKo",
	"ZIzj0EAwIw%0AADAgFw0yNjExMjIwMzIyMzRaGA8yMTI2MTAyOTAzMjIzNFowADBZMBMGByqGSM49%0AAgEGCCqG",
	"SM49AwEHA0IABB6WtAe8bmMvn8VsGRjo5JcDi1bdGWNm4k4mI6g%2FPv8a%0AJT7R%2BdQdQNQ4UTo7HWaPdU%2B",
	"n5a360H%2BeoFF4yu0PVhOjgcUwgcIwHQYDVR0OBBYE%0AFMfjMdh%2FMxbErQziWNJZ5FAbf8IKMB8GA1UdIwQY",
	"MBaAFMfjMdh%2FMxbErQziWNJZ%0A5FAbf8IKMA8GA1UdEwEB%2FwQFMAMBAf8wbwYDVR0RBGgwZoYXc3BpZmZlO",
	"i8vZGVm%0AYXVsdC9vcmRlcnOGHWt1bWE6Ly9rdW1hLmlvL3NlcnZpY2Uvb3JkZXJzhhtrdW1h%0AOi8va3VtYS5",
	"pby96b25lL3VzLWVhc3SGD2t1bWE6Ly9lbnYvcHJvZDAKBggqhkjO%0APQQDAgNJADBGAiEA%2BNVYKaEUlvnLEG",
	"IygF963gBZRm2mCy8V73W3cOL%2BcFQCIQCH%0AI6cYq0N07%2Bj9k5zccKsUt8J7pIBytWQ%2FW0ALNf8lFA%3D",
	"%3D%0A-----END%20CERTIFICATE-----%0A",
])

# the same certificate as plain PEM (no `%`: used as is)
cert_orders_pem := `-----BEGIN CERTIFICATE-----
MIIByzCCAXCgAwIBAgIUJg94JSHQW492mmG539Cv+cltXPgwCgYIKoZIzj0EAwIw
ADAgFw0yNjExMjIwMzIyMzRaGA8yMTI2MTAyOTAzMjIzNFowADBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABB6WtAe8bmMvn8VsGRjo5JcDi1bdGWNm4k4mI6g/Pv8a
JT7R+dQdQNQ4UTo7HWaPdU+n5a360H+eoFF4yu0PVhOjgcUwgcIwHQYDVR0OBBYE
FMfjMdh/MxbErQziWNJZ5FAbf8IKMB8GA1UdIwQYMBaAFMfjMdh/MxbErQziWNJZ
5FAbf8IKMA8GA1UdEwEB/wQFMAMBAf8wbwYDVR0RBGgwZoYXc3BpZmZlOi8vZGVm
YXVsdC9vcmRlcnOGHWt1bWE6Ly9rdW1hLmlvL3NlcnZpY2Uvb3JkZXJzhhtrdW1h
Oi8va3VtYS5pby96b25lL3VzLWVhc3SGD2t1bWE6Ly9lbnYvcHJvZDAKBggqhkjO
PQQDAgNJADBGAiEA+NVYKaEUlvnLEGIygF963gBZRm2mCy8V73W3cOL+cFQCIQCH
I6cYq0N07+j9k5zccKsUt8J7pIBytWQ/W0ALNf8lFA==
-----END CERTIFICATE-----
`

# URI SANs: spiffe://default/orders, spiffe://default/billing, spiffe://other/evil,
# spiffe://default/ns/shop/sa/web, kuma://kuma.io/service/orders, kuma://kuma.io/service/billing,
# kuma://kuma.io/zone/us-east, kuma://env/prod, kuma://version/v1, kuma://version/v2,
# kuma://novalue, https://example.com/team/x
cert_multi := concat("", [
	"-----BEGIN%20CERTIFICATE-----%0AMIIClDCCAjqgAwIBAgIUfSKxat7at1pPX2FllcReFZ3IHj4wCgYIKoZI",
	"zj0EAwIw%0AADAgFw0yNjExMjIwMzI1NDhaGA8yMTI2MTAyOTAzMjU0OFowADBZMBMGByqGSM49%0AAgEGCCqGSM",
	"49AwEHA0IABH64mXVoW7ADOGNontoLPp39LjiJrZEsD3E6B6%2Bxk0BE%0AFuV2IiM8c3HWaIXe4zab0buGI8n2x",
	"EYkd7FdR%2FRaRAijggGOMIIBijAdBgNVHQ4E%0AFgQUCgFSLiUQJAxaHP4gOfeuOL%2Bu5jQwHwYDVR0jBBgwFo",
	"AUCgFSLiUQJAxaHP4g%0AOfeuOL%2Bu5jQwDwYDVR0TAQH%2FBAUwAwEB%2FzCCATUGA1UdEQSCASwwggEohhdzc",
	"Glm%0AZmU6Ly9kZWZhdWx0L29yZGVyc4YYc3BpZmZlOi8vZGVmYXVsdC9iaWxsaW5nhhNz%0AcGlmZmU6Ly9vdGh",
	"lci9ldmlshh9zcGlmZmU6Ly9kZWZhdWx0L25zL3Nob3Avc2Ev%0Ad2Vihh1rdW1hOi8va3VtYS5pby9zZXJ2aWNl",
	"L29yZGVyc4Yea3VtYTovL2t1bWEu%0AaW8vc2VydmljZS9iaWxsaW5nhhtrdW1hOi8va3VtYS5pby96b25lL3VzL",
	"WVhc3SG%0AD2t1bWE6Ly9lbnYvcHJvZIYRa3VtYTovL3ZlcnNpb24vdjGGEWt1bWE6Ly92ZXJz%0AaW9uL3Yyhg5",
	"rdW1hOi8vbm92YWx1ZYYaaHR0cHM6Ly9leGFtcGxlLmNvbS90ZWFt%0AL3gwCgYIKoZIzj0EAwIDSAAwRQIgI3k6",
	"O8br%2F7ZEPc3QN%2F4R5UOJS1w1edZVqoJg%0AsTGNuzICIQCqgZ2QGLyRjEY%2FIkQDrmbFgk0XtEWxw9DKLai",
	"XqFZa6Q%3D%3D%0A-----END%20CERTIFICATE-----%0A",
])

# subject CN=web, only a DNS SAN (web.example): no URI SAN at all
cert_dns := concat("", [
	"-----BEGIN%20CERTIFICATE-----%0AMIIBizCCATGgAwIBAgIUNge6MJM108QGZRUJaTBa9b5F7KgwCgYIKoZI",
	"zj0EAwIw%0ADjEMMAoGA1UEAwwDd2ViMCAXDTI2MTEyMjAzMjIzNFoYDzIxMjYxMDI5MDMyMjM0%0AWjAOMQwwCg",
	"YDVQQDDAN3ZWIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATFnosm%0AHRYFi1h8w2Qq885UzK8Ok4ExnJdSu9v",
	"2sxfjYCKLQGzLm2cYdM0PD0V7bZeAiYTC%0A2eEbA3HDFfH07xXao2swaTAdBgNVHQ4EFgQUiBO7sVvimZS1Mkol",
	"ylqQnX9eVh0w%0AHwYDVR0jBBgwFoAUiBO7sVvimZS1MkolylqQnX9eVh0wDwYDVR0TAQH%2FBAUwAwEB%0A%2Fz",
	"AWBgNVHREEDzANggt3ZWIuZXhhbXBsZTAKBggqhkjOPQQDAgNIADBFAiEA6nBs%0A9Es2NGxS701%2BfAC3kqPMh",
	"fRYgZ7xj%2Bu%2BbE%2F6aEYCIFOjTDPB6KM0m9AufrdMo0QP%0ArhmRcZJJfoRmYxW%2FZJDs%0A-----END%20",
	"CERTIFICATE-----%0A",
])

# --- inputs -------------------------------------------------------------------------------------

# context extensions of the inbound "payments" (version v2) of mesh default
payments := {"kuma.io/mesh": "default", "kuma.io/service": "payments", "app": "payments", "version": "v2"}

orders := "spiffe://default/orders"

# an HTTP check as OPA-Envoy builds it
http_check(extensions, source) := {
	"attributes": {
		"source": source,
		"destination": {"principal": "spiffe://default/payments"},
		"request": {"http": {"method": "GET", "path": "/v1/charge", "host": "payments:8080", "headers": {}}},
		"contextExtensions": extensions,
	},
	"parsed_path": ["v1", "charge"],
	"parsed_query": {},
	"version": {"ext_authz": "v3", "encoding": "protojson"},
}

# a network (TCP) check: no request, no context extensions
tcp_check(source, local_principal) := {
	"attributes": {
		"source": source,
		"destination": {"principal": local_principal},
	},
	"parsed_path": [""],
	"parsed_query": {},
	"version": {"ext_authz": "v3", "encoding": "protojson"},
}

# client "orders" of mesh default with the certificate above
orders_with_cert := {"principal": orders, "certificate": cert_orders}

# client "orders" (also "billing") with the multi-valued certificate
orders_with_multi_cert := {"principal": orders, "certificate": cert_multi}

# --- compiled data ------------------------------------------------------------------------------

policies := [
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-orders", "namespace": "kuma-system"},
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "deny-all"},
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "allow-all"},
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "shadow-billing"},
	{"kind": "MeshTrafficPermission", "mesh": "default", "name": "zone-local"},
]

entry(rank, action, policy, index) := {
	"rank": rank, "action": action, "policy": policy, "entry": index,
	"inbound": {}, "client": {},
}

# an entry with remaining requirements
entry_requiring(rank, action, policy, inbound, client) := {
	"rank": rank, "action": action, "policy": policy, "entry": 0,
	"inbound": inbound, "client": client,
}

# second-level index for entries whose client must be kuma.io/service=orders
from_orders(entries) := {"kuma.io/service": {"orders": entries}}

# a bucket of the first level: {"any": [...], "by_pair": {...}}
bucket(any_client, by_client_pair) := {"any": any_client, "by_pair": by_client_pair}

# the mesh document of mesh "default"
mesh_doc(mtls, selects, from) := {
	"defined": true,
	"mtls": mtls,
	"passthrough": true,
	"policies": policies,
	"inbound": {"selects": selects, "from": from},
}

# compiled data with one value of mesh "default" replaced
patched(compiled, key, value) := json.patch(compiled, [{
	"op": "replace",
	"path": concat("/", ["/meshes/default", key]),
	"value": value,
}])

# data.kuma.compiled with mesh "default" only
compiled(doc) := {"format": 1, "meshes": {"default": doc}}

# MeshService payments is selected by a policy
selects_payments := {"any": [], "by_pair": {"kuma.io/service": {"payments": [{"inbound": {}}]}}}

# one MeshTrafficPermission: MeshService payments, from MeshService orders: Allow
allow_orders := compiled(mesh_doc("strict", selects_payments, {
	"any": bucket([], {}),
	"by_pair": {"kuma.io/service": {"payments": bucket([], from_orders([entry(3, "Allow", 0, 0)]))}},
}))
