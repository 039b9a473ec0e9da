"""Reading: files → YAML documents with positions → `Source` records (Universal, Kubernetes, List)."""
