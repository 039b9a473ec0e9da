"""`gen-bundle checks push`: the conftest checks as an OCI artifact on a real registry (CNCF distribution,
pinned), pulled back by the real, pinned `conftest pull` and run by `conftest test` (docs/checks/README.md)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.rego import checks_root
from tests.support.opa import free_port
from tests.support.registry import Registry
from tests.support.tools import tool

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HTPASSWD = Path(__file__).parent / "oci" / "htpasswd"
USER, PASSWORD = "ci-pusher", "oci-test-password"  # the htpasswd fixture's user
BAD = ROOT / "tests" / "checks" / "fixtures" / "mtp" / "mtp003-action-missing.yaml"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with Registry(tmp_path / "registry") as running:
        yield running


@pytest.fixture(autouse=True)
def no_docker_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The Docker CLI config both gen-bundle and conftest read: the test's own, empty unless it writes one."""
    folder = tmp_path / "docker"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    for name in ("GEN_BUNDLE_REGISTRY_TOKEN", "GEN_BUNDLE_REGISTRY_USERNAME", "GEN_BUNDLE_REGISTRY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return folder


def rego_files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*.rego")}


def conftest_pull(target: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """`conftest pull oci://…` into folder/pulled, as docs/checks/README.md writes it: conftest joins a
    --policy path to `.` (absolute paths need --absolute-paths), so it runs in `folder`; it speaks plain
    HTTP to a registry on loopback by itself."""
    command = [tool("conftest"), "pull", target, "--policy", "pulled"]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder, env=os.environ, check=False)


def conftest_test(policy: Path, target: Path) -> tuple[int, list[str]]:
    """conftest's exit status and the IDs of the checks that failed."""
    command = [tool("conftest"), "test", "--policy", str(policy), "--all-namespaces", "--output", "json", str(target)]
    process = subprocess.run(command, capture_output=True, text=True, check=False)
    results: list[dict[str, Any]] = json.loads(process.stdout)
    failed = sorted(failure["metadata"]["id"] for result in results for failure in result.get("failures") or [])
    return process.returncode, failed


def test_conftest_pulls_the_pushed_checks_and_fails_a_bad_document_with_them(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"oci://{registry.host}/policies/kuma-checks:v1"
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install -e '.[dev]')"
    push = [command, "checks", "push", target, "--plain-http"]
    first = subprocess.run(push, capture_output=True, text=True, check=False)  # the console script, end to end
    assert first.returncode == 0, first.stderr
    assert main(["checks", "push", target, "--plain-http"]) == 0  # again, in-process
    again = capsys.readouterr().out
    assert again.endswith("; the tag already named it\n")
    assert first.stdout.split(": manifest ")[1].strip() == again.split(": manifest ")[1].split(";")[0]

    pulled = conftest_pull(target, tmp_path)
    assert pulled.returncode == 0, pulled.stderr
    assert rego_files(tmp_path / "pulled") == rego_files(checks_root())
    assert conftest_test(tmp_path / "pulled", BAD) == (1, ["MTP003", "MTP003"])
    assert conftest_test(tmp_path / "pulled", ROOT / "examples") == (0, [])


def test_the_credentials_of_a_docker_login_serve_the_push_and_conftest_pull(
    tmp_path: Path, no_docker_login: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Registry(tmp_path / "registry", htpasswd=HTPASSWD.read_text()) as registry:
        target = f"oci://{registry.host}/policies/kuma-checks"
        assert main(["checks", "push", target, "--plain-http"]) == 2
        assert "GEN_BUNDLE_REGISTRY_USERNAME" in capsys.readouterr().err
        assert conftest_pull(target, tmp_path).returncode == 1

        login = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (no_docker_login / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": login}}}))
        assert main(["checks", "push", target, "--plain-http", "-q"]) == 0
        assert capsys.readouterr().out == ""
        assert registry.tags("policies/kuma-checks", auth=(USER, PASSWORD)) == ["latest"]
        pulled = conftest_pull(target, tmp_path)
        assert pulled.returncode == 0, pulled.stderr
        assert rego_files(tmp_path / "pulled") == rego_files(checks_root())


def test_a_push_that_cannot_be_done_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    assert main(["checks", "push", f"oci://{nobody}/policies/kuma-checks", "--plain-http"]) == 2
    assert "cannot reach the registry" in capsys.readouterr().err
    assert main(["checks", "push", f"oci://{nobody}/Upper/Case", "--plain-http"]) == 2
    assert "is not a repository name" in capsys.readouterr().err
