"""The suite passes across the dependency range users may get: pyproject.toml lets PyYAML be any 6.0.x
from 6.0.1, and the test command installs the newest (constraints/test.txt). The reader is the one
place PyYAML's version shows (its C parser's own limits and messages), so its tests run again here
against the oldest PyYAML the range allows, in a virtualenv of their own."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READER_TESTS = ["tests/test_reading_documents.py", "tests/trust/test_hostile_generator.py"]
# The corpus of bad files and the limits; the fuzzing and the 20,000-policy list add nothing here.
SELECTED = "each_bad_file or deep or nodes or huge or corpus or refused or json"


def lower_bound(requirement: str) -> str:
    found = re.search(r'"PyYAML>=([0-9.]+),<7"', (ROOT / "pyproject.toml").read_text())
    assert found, "pyproject.toml names the PyYAML range"
    return found.group(1)


def test_the_reader_passes_with_the_oldest_pyyaml_the_range_allows(tmp_path: Path) -> None:
    oldest = lower_bound("PyYAML")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "".join(
            line + "\n"
            for line in (ROOT / "constraints" / "test.txt").read_text().splitlines()
            if not line.lower().startswith("pyyaml==")
        )
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(constraints),
            f"PyYAML=={oldest}",
            "pytest",
            "hypothesis",
            "cryptography",
            "jinja2",
            "requests",
            # tests/support/bundles.py checks every bundle it builds against the data schema
            "jsonschema",
        ],
        check=True,
    )
    version = subprocess.run(
        [str(python), "-c", "import yaml; print(yaml.__version__, yaml.__with_libyaml__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert version == [oldest, "True"]
    gen_bundle = venv / "bin" / "gen-bundle"
    gen_bundle.write_text(f"#!{python}\nimport sys\nfrom generator.cli import main\nsys.exit(main())\n")
    gen_bundle.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", SELECTED, *READER_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-2000:]
