"""Finding and running the OPA binary that evaluates the checks.

gen-bundle's validation is the Rego of the shipped conftest checks, evaluated by a real OPA: the one
named by --opa, else $GEN_BUNDLE_OPA, else `opa` on PATH, else the one scripts/install-tools built
into gen-bundle's tool cache. It must be OPA v1 (Rego v1 is the default there), at least MINIMUM.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MINIMUM = (1, 0, 0)
TESTED = "v1.22.2"  # scripts/tools.env OPA_VERSION: what the test suite runs
_VERSION = re.compile(r"^Version: v?(\d+)\.(\d+)\.(\d+)", re.MULTILINE)


class OpaUnavailable(Exception):
    """No usable OPA: the command cannot run (exit status 2), which is not the input's fault."""


class OpaFailed(Exception):
    """OPA ran and failed: a defect of gen-bundle or of the OPA binary (an internal error)."""


@dataclass(frozen=True)
class Opa:
    path: str
    version: tuple[int, int, int]

    def eval(
        self, query: str, data: list[Path], input_json: bytes, timeout: float = 3600, bundle: Path | None = None
    ) -> bytes:
        """`opa eval` of `query` with `input_json` as input (and `data`, or a bundle folder); the value,
        as JSON."""
        command = [self.path, "eval", "--format", "raw", "--stdin-input", "--ignore", "*_test.rego"]
        for path in data:
            command += ["--data", str(path)]
        if bundle is not None:
            command += ["--bundle", str(bundle)]
        try:
            process = subprocess.run(
                [*command, query], input=input_json, capture_output=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OpaFailed(f"{self.path} eval: {exc}") from None
        if process.returncode != 0 or not process.stdout.strip():
            detail = process.stderr.decode(errors="replace").strip() or process.stdout.decode(errors="replace").strip()
            raise OpaFailed(f"{self.path} eval exited with status {process.returncode}: {detail or 'no output'}")
        return process.stdout


def tools_cache_opa() -> Path:
    """Where scripts/install-tools links the pinned OPA."""
    cache_root = os.environ.get("GEN_BUNDLE_TOOLS") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gen-bundle" / "tools"
    )
    return Path(cache_root) / "bin" / "opa"


def find_opa(explicit: str | None = None) -> Opa:
    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append(("--opa", explicit))
    elif os.environ.get("GEN_BUNDLE_OPA"):
        candidates.append(("GEN_BUNDLE_OPA", os.environ["GEN_BUNDLE_OPA"]))
    else:
        on_path = shutil.which("opa")
        if on_path:
            candidates.append(("PATH", on_path))
        if tools_cache_opa().exists():
            candidates.append(("the tools cache", str(tools_cache_opa())))
    if not candidates:
        raise OpaUnavailable(
            "gen-bundle checks policies with OPA, and found none: install OPA v1 (https://www.openpolicyagent.org/"
            f"docs/#running-opa; tested with {TESTED}) and put `opa` on PATH, or pass --opa PATH or set GEN_BUNDLE_OPA"
        )
    where, path = candidates[0]
    return _probe(where, path)


@cache
def _probe(where: str, path: str) -> Opa:
    try:
        process = subprocess.run([path, "version"], capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        raise OpaUnavailable(f"cannot run OPA at {path} (from {where}): {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise OpaUnavailable(f"OPA at {path} (from {where}) did not answer `opa version`") from None
    found = _VERSION.search(process.stdout)
    if process.returncode != 0 or found is None:
        raise OpaUnavailable(f"{path} (from {where}) is not OPA: `{path} version` did not print an OPA version")
    version = (int(found[1]), int(found[2]), int(found[3]))
    if version < MINIMUM:
        shown = ".".join(map(str, version))
        raise OpaUnavailable(
            f"OPA {shown} at {path} (from {where}) is too old: gen-bundle needs OPA v1 (tested with {TESTED})"
        )
    return Opa(path, version)
