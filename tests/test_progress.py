"""Progress on stderr: a line redrawn in place while a real build runs, when stderr is a terminal (a
pseudo-terminal here), and nothing when it is not one or with -q (docs/cli.md, "Progress")."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

from generator.progress import CLEAR_LINE
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("reading and checking files", "checking ", "modelling ", "compiling ", "packing the bundle", "writing ")


def gen_bundle(*arguments: str, terminal: bool) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of a real run, whose stderr is a pseudo-terminal when `terminal`."""
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install .)"
    environment = dict(os.environ, GEN_BUNDLE_OPA=tool("opa"))
    if not terminal:
        done = subprocess.run([command, *arguments], capture_output=True, text=True, env=environment, check=False)
        return done.returncode, done.stdout, done.stderr
    main, secondary = pty.openpty()
    with subprocess.Popen(
        [command, *arguments], stdout=subprocess.PIPE, stderr=secondary, env=environment, cwd=ROOT
    ) as process:
        os.close(secondary)
        written = bytearray()
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: every writer of the terminal is gone
                break
            if not chunk:
                break
            written += chunk
        stdout = process.stdout.read().decode() if process.stdout else ""
        status = process.wait()
    os.close(main)
    return status, stdout, written.decode()


def test_a_build_on_a_terminal_shows_each_step_then_clears_the_line(tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    status, stdout, terminal = gen_bundle("examples/", "-o", str(output), terminal=True)
    assert status == 0, terminal
    assert output.is_file()
    drawn = [line.removeprefix("gen-bundle: ") for line in terminal.split(CLEAR_LINE) if line]
    for stage in STAGES:
        assert any(line.startswith(stage) for line in drawn), f"no {stage!r} in {drawn}"
    after = terminal.rsplit(CLEAR_LINE, 1)[1]  # what is printed once the line is cleared: the warnings
    assert not after.startswith("gen-bundle: "), "the last progress line is left on the terminal"
    assert stdout.startswith(f"wrote {output} ")


def test_the_line_is_cleared_before_the_diagnostics() -> None:
    status, _, terminal = gen_bundle("check", "tests/scenarios/invalid/mtp-spec.yaml", terminal=True)
    assert status == 1
    assert "gen-bundle: checking " in terminal
    after = terminal.rsplit(CLEAR_LINE, 1)[1]
    assert after.startswith("tests/scenarios/invalid/mtp-spec.yaml:"), after[:200]
    assert "\r" not in after.replace("\r\n", "\n")


def test_nothing_is_drawn_with_quiet_or_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    status, _, terminal = gen_bundle("-q", "examples/", "-o", str(tmp_path / "a.tar.gz"), terminal=True)
    assert (status, terminal) == (0, "")
    status, _, stderr = gen_bundle("examples/", "-o", str(tmp_path / "b.tar.gz"), terminal=False)
    assert status == 0
    assert "\r" not in stderr
    assert not any(stage in stderr for stage in STAGES[:1] + STAGES[4:])
