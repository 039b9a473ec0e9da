"""gen-bundle: Kuma / Kong Mesh access-control policies → an OPA bundle that enforces them.

The flow, one package per step: reading (files → documents → sources), validation (sources → the typed
model, with Kuma's messages), compile (model → data document), bundle (data + Rego library → tar.gz).
"""

__version__ = "0.1.0"
