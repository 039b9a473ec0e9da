"""deploy/README.md "On a host, without containers", run as written: its commands prepare the served
folder (readable by nginx's `nobody` workers), render the configuration, start real nginx, OPA-Envoy
and Envoy as plain processes (two Envoys on one host: --disable-hot-restart), and a request from orders
reaches payments through both sidecars. Only the ports and folders are the test's own. And the
`user` value: nginx started as root serves a folder only root can read when its workers run as root,
and answers 404 from the same folder as `nobody`."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import requests
import yaml

from generator.deploy.render import load, write
from tests.support.deployment import START_TIMEOUT_SECONDS, Ports, envoy_binary, wait_until
from tests.support.processes import stop_process
from tests.support.tools import ROOT, tool

pytestmark = pytest.mark.e2e

README = ROOT / "deploy" / "README.md"
SECTION = "## On a host, without containers"
FOLDER = "/srv/kuma-authz"
POLICIES = "policies/"
# Every port the section names; each becomes a free one.
PORTS = (8000, 8080, 8181, 8182, 9191, 9192, 9901, 9902, 10000, 10001, 15001, 15002, 15003)


def section_blocks() -> list[str]:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```sh\n(.*?)```", text[start : end if end != -1 else None], re.DOTALL)


def substituted(block: str, folder: Path, ports: dict[int, int]) -> str:
    block = block.replace(FOLDER, str(folder)).replace(POLICIES, f"{ROOT / 'examples' / 'kubernetes'}/")
    return re.sub(r"(?<![\d.])(\d{4,5})(?!\d)", lambda number: str(ports.get(int(number[1]), number[1])), block)


def environment() -> dict[str, str]:
    """PATH with the pinned tools, Envoy and this Python's gen-bundle in front, as a host install has them."""
    folders = [Path(tool(name)).parent for name in ("opa-envoy-plugin", "nginx")]
    folders += [Path(envoy_binary()).parent, Path(sys.executable).parent]
    return {**os.environ, "PATH": os.pathsep.join([*map(str, folders), os.environ["PATH"]])}


@pytest.fixture
def host_folder() -> Iterator[Path]:
    """A folder as `mktemp -d` makes it: 0700, under /tmp, so nginx's `nobody` cannot read it as made."""
    folder = Path(tempfile.mkdtemp(prefix="gen-bundle-host-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def succeeds(command: str, env: dict[str, str]) -> bool:
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, check=False).returncode == 0


def test_the_host_commands_of_the_deploy_readme_run_as_written(host_folder: Path) -> None:
    prepare, start, check = section_blocks()
    text = prepare + start + check
    assert all(str(port) in text for port in PORTS), "the section's ports and PORTS agree"
    held = Ports()
    ports = {port: held() for port in PORTS}
    held.release()
    env = environment()
    prepared = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", substituted(prepare, host_folder, ports)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    processes: list[subprocess.Popen[bytes]] = []
    logs = host_folder / "logs"
    logs.mkdir()
    try:
        for number, line in enumerate(substituted(start, host_folder, ports).splitlines()):
            command = shlex.split(line.removesuffix("&"))
            with (logs / f"{number}-{Path(command[0]).name}.log").open("wb") as log:
                processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        *readiness, request = substituted(check, host_folder, ports).splitlines()
        for probe in readiness:
            wait_until(partial(succeeds, probe, env), START_TIMEOUT_SECONDS, probe)
        answer = subprocess.run(["bash", "-c", request], env=env, capture_output=True, text=True, check=False)
        assert answer.stdout.strip() == "200", answer.stdout + answer.stderr
    except (AssertionError, TimeoutError):
        for written in sorted(logs.iterdir()):
            print(f"--- {written.name}\n{written.read_text(errors='replace')[-2000:]}")
        raise
    finally:
        for process in reversed(processes):
            stop_process(process)


@pytest.mark.parametrize(("user", "status"), [(None, 404), ("root", 200)])
def test_nginx_started_as_root_reads_the_served_folder_as_its_user(
    host_folder: Path, user: str | None, status: int
) -> None:
    if os.geteuid() != 0:
        pytest.fail("nginx's workers change user only when it starts as root, as the test machines run it")
    served = host_folder / "bundles"  # 0700 parent, as made: only root reads it
    served.mkdir()
    (served / "bundle.tar.gz").write_bytes(b"not a bundle, but a file nginx serves")
    port = Ports()()
    heredoc = re.search(r"<<'VALUES'\n(.*?)\nVALUES\n", section_blocks()[0], re.DOTALL)
    assert heredoc is not None, "the section writes its values with a heredoc"
    values = yaml.safe_load(heredoc[1])
    values["bundle_server"] |= {"port": port, "root": str(served), "runtime_dir": str(host_folder)}
    values["bundle_server"]["access_log"] = str(host_folder / "access.log")
    if user is not None:
        values["bundle_server"]["user"] = user
    (host_folder / "values.yaml").write_text(yaml.safe_dump(values))
    config = write(load(host_folder / "values.yaml"), host_folder / "config")["nginx.conf"]
    assert (f"user {user};" in config.read_text()) is (user is not None)
    nginx = subprocess.Popen(
        [tool("nginx"), "-e", "stderr", "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: reachable(f"{base}/health"), START_TIMEOUT_SECONDS, "nginx /health")
        assert requests.get(f"{base}/bundle.tar.gz", timeout=5).status_code == status
    finally:
        stop_process(nginx)


def reachable(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
