"""Where the project's Rego lives: the copy a wheel carries, or rego/ of a checkout.

Two consumers: the bundle (the fixed decision library, rego/kuma/authz) and the checks engine (the
conftest checks, rego/checks), which gen-bundle evaluates with OPA.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent / "library"  # what the wheel carries
CHECKOUT_ROOT = Path(__file__).resolve().parents[1] / "rego"  # the source, in a checkout
LIBRARY_PACKAGE = Path("kuma") / "authz"
CHECKS_PACKAGE = Path("checks")


def rego_root(package: Path) -> Path:
    """The root under which `package` (a folder of Rego) is found."""
    for root in (PACKAGE_ROOT, CHECKOUT_ROOT):
        if (root / package).is_dir():
            return root
    raise FileNotFoundError(f"the Rego of {package} is missing: looked in {PACKAGE_ROOT} and {CHECKOUT_ROOT}")


def checks_root() -> Path:
    """The folder of the conftest checks (what `conftest test --policy` takes)."""
    return rego_root(CHECKS_PACKAGE) / CHECKS_PACKAGE
