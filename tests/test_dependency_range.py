"""The suite passes across the dependency range users may get: pyproject.toml lets PyYAML be any 6.0.x
from 6.0.1, and the test command installs the newest (constraints/test.txt). The reader is the one
place PyYAML's version shows (its C parser's own limits and messages), so its tests run again here
against the oldest PyYAML the range allows, put first on their PYTHONPATH."""

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
    # Only PyYAML differs, so only PyYAML is installed, into a folder that goes first on PYTHONPATH:
    # everything else is the test environment's own (and a venv of its own took a minute and a half).
    oldest_pyyaml = tmp_path / "oldest-pyyaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(oldest_pyyaml),
            f"PyYAML=={oldest}",
        ],
        check=True,
    )
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    gen_bundle = bin_folder / "gen-bundle"
    gen_bundle.write_text(f"#!{sys.executable}\nimport sys\nfrom generator.cli import main\nsys.exit(main())\n")
    gen_bundle.chmod(0o755)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(oldest_pyyaml), str(ROOT)]),
        "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}",
    }
    version = subprocess.run(
        [sys.executable, "-c", "import yaml; print(yaml.__version__, yaml.__with_libyaml__, yaml.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    assert version[:2] == [oldest, "True"]
    assert version[2].startswith(str(oldest_pyyaml))
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", SELECTED, *READER_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-2000:]
