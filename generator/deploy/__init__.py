"""The deployment gen-bundle's bundles are served in: nginx as the bundle server, and per sidecar an
OPA-Envoy and an Envoy configuration, rendered from the templates beside this package
(`gen-bundle deploy render`, generator/verbs/deploy.py), with a mesh CA and workload certificates."""
