"""The checks: gen-bundle's one authority on what is valid, shared with its conftest users.

The Rego of rego/checks (shipped in the wheel) decides every rule; gen-bundle evaluates it with a
real OPA over the documents it read (engine.py, opa.py), turns the findings into diagnostics at file
positions and the valid resources into the typed model (model.py). conftest runs the same Rego on
the same YAML, so the two cannot disagree about a rule.
"""
