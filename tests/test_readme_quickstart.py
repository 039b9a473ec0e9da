"""The README's quick start, run as written: its `<!-- quickstart: run -->` blocks in bash in an empty
folder with the pinned OPA and this gen-bundle on PATH, its `<!-- quickstart: serve -->` command as a
server of its own (on a free loopback port instead of the one shown), and each block's output compared
with the `<!-- quickstart: output -->` block under it, where `…` stands for any text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.opa import START_TIMEOUT_SECONDS, free_port
from tests.support.processes import stop_process
from tests.support.tools import pinned_versions, tool

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"<!-- quickstart: (run|serve|output) -->\n```\w*\n(.*?)```", re.DOTALL)
SHOWN_ADDRESS = "127.0.0.1:8181"


def quick_start() -> str:
    text = README.read_text()
    start = text.index("## Quick start")
    return text[start : text.index("\n## ", start + 1)]


BLOCKS: list[tuple[str, str]] = BLOCK.findall(quick_start())


def shown_as(expected: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in expected.strip().split("…")), re.DOTALL)


@pytest.fixture
def environment() -> dict[str, str]:
    """The user's shell: the pinned OPA and this venv's gen-bundle first on PATH, no OPA named otherwise."""
    gen_bundle = shutil.which("gen-bundle", path=str(Path(sys.executable).parent))
    assert gen_bundle, "gen-bundle is not installed in the test's virtualenv"
    assert shutil.which("curl"), "the quick start asks OPA with curl: install curl"
    path = os.pathsep.join([str(Path(tool("opa")).parent), str(Path(gen_bundle).parent), os.environ["PATH"]])
    env = {key: value for key, value in os.environ.items() if key != "GEN_BUNDLE_OPA"}
    return {**env, "PATH": path}


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        stop_process(process)


def wait_for_bundle(address: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the quick start's OPA exited with {process.returncode}"
        try:
            if requests.get(f"http://{address}/health?bundles", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)  # polling interval of the health check, not a wait for readiness
    raise TimeoutError(f"the quick start's OPA did not activate its bundle within {START_TIMEOUT_SECONDS}s")


def test_the_quick_start_installs_the_pinned_opa() -> None:
    line = f"go install github.com/open-policy-agent/opa@{pinned_versions()['OPA_VERSION']}"
    assert line in quick_start()


def test_the_quick_start_runs_as_written(
    tmp_path: Path, environment: dict[str, str], servers: list[subprocess.Popen[bytes]]
) -> None:
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("serve") == 1
    assert kinds.count("run") >= 3
    address = f"127.0.0.1:{free_port()}"
    for index, (kind, text) in enumerate(BLOCKS):
        commands = text.replace(SHOWN_ADDRESS, address)
        if kind == "serve":
            process = subprocess.Popen(
                ["bash", "-c", f"exec {commands}"], cwd=tmp_path, env=environment, stdout=subprocess.DEVNULL
            )
            servers.append(process)
            wait_for_bundle(address, process)
        elif kind == "run":
            run = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", commands],
                check=False,
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
            )
            assert run.returncode == 0, f"{commands}\n{run.stdout}"
            following = BLOCKS[index + 1] if index + 1 < len(BLOCKS) else ("", "")
            if following[0] == "output":
                assert shown_as(following[1]).fullmatch(run.stdout.strip()), f"{commands}\n{run.stdout}"
