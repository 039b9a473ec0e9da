"""`pip install .` must give a gen-bundle that carries the Rego library: the wheel holds a copy of
rego/kuma/authz without its tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_rego_library_and_the_console_script(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("gen_bundle-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(name for name in names if name.endswith("entry_points.txt"))
        assert "gen-bundle = generator.cli:main" in archive.read(entry_points).decode()
    library = {name for name in names if name.startswith("generator/library/kuma/authz/")}
    source = ROOT / "rego" / "kuma" / "authz"
    # recursive: one directory per package (rego/kuma/authz/inbound/inbound.rego, ...)
    expected = {
        f"generator/library/kuma/authz/{path.relative_to(source).as_posix()}" for path in source.rglob("*.rego")
    }
    assert expected <= library
    assert "generator/library/kuma/authz/main.rego" in library
    assert "generator/library/kuma/authz/inbound/inbound.rego" in library
