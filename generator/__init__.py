"""gen-bundle: Kuma / Kong Mesh access-control policies → an OPA bundle that enforces them.

The flow, one package per step: reading (files → documents with positions), checks (documents → findings
and the typed model, decided by the Rego of the shipped conftest checks, run by OPA), compile (model →
data document), bundle (data + Rego library → tar.gz).
"""

__version__ = "0.1.0"
