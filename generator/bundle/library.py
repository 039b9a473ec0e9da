"""The fixed Rego library that every bundle carries, found in the installed package or the checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_LIBRARY = Path(__file__).resolve().parent.parent / "library"  # the copy a wheel carries
CHECKOUT_LIBRARY = Path(__file__).resolve().parents[2] / "rego"  # the source, in a checkout
LIBRARY_PACKAGE = Path("kuma") / "authz"


def library_root() -> Path:
    for root in (PACKAGE_LIBRARY, CHECKOUT_LIBRARY):
        if (root / LIBRARY_PACKAGE).is_dir():
            return root
    raise FileNotFoundError(f"the Rego library is missing: looked in {PACKAGE_LIBRARY} and {CHECKOUT_LIBRARY}")


def library_files() -> dict[str, bytes]:
    """Bundle path → content of every library module; tests (`*_test.rego`) stay out of bundles."""
    root = library_root()
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted((root / LIBRARY_PACKAGE).rglob("*.rego"))
        if not path.name.endswith("_test.rego")
    }
