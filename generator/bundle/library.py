"""The fixed Rego library that every bundle carries, found in the installed package or the checkout."""

from __future__ import annotations

from generator.rego import LIBRARY_PACKAGE, rego_root


def library_files() -> dict[str, bytes]:
    """Bundle path → content of every library module; tests (`*_test.rego`) stay out of bundles."""
    root = rego_root(LIBRARY_PACKAGE)
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted((root / LIBRARY_PACKAGE).rglob("*.rego"))
        if not path.name.endswith("_test.rego")
    }
