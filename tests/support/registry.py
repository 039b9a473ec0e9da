"""A real OCI registry for a test: CNCF distribution's `registry` (pinned in scripts/tools.env), on a
free loopback port, storing in a temporary folder, waited for on `GET /v2/`, stopped at the end.

Its configuration is written in full (configuration/configuration.go of the pinned release): plain
HTTP on 127.0.0.1 only, no debug server, filesystem storage in `folder`, and, when `users` are given,
htpasswd authentication (bcrypt entries, as the registry reads them). OpenTelemetry export is off
(`OTEL_TRACES_EXPORTER=none`): by default the registry would send traces to localhost:4318.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from tests.support.opa import START_TIMEOUT_SECONDS, free_port
from tests.support.processes import stop_process
from tests.support.tools import tool

POLL_SECONDS = 0.05  # how often the test asks, not a wait for anything to happen


class Registry:
    def __init__(self, folder: Path, htpasswd: str | None = None) -> None:
        """`htpasswd`: the file's content (`user:bcrypt hash` lines); none means anonymous push and pull."""
        self.folder = folder
        self.htpasswd = htpasswd
        self.process: subprocess.Popen[bytes] | None = None
        self.host = ""
        self.log = folder / "registry.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> Registry:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host = f"127.0.0.1:{free_port()}"
        config = self.folder / "registry.yml"
        config.write_text(self._config())
        environment = {name: value for name, value in os.environ.items() if not name.startswith("REGISTRY_")}
        environment["OTEL_TRACES_EXPORTER"] = "none"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [tool("registry"), "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        self._wait_until_serving()
        return self

    def _config(self) -> str:
        storage = self.folder / "storage"
        auth = ""
        if self.htpasswd is not None:
            users = self.folder / "htpasswd"
            users.write_text(self.htpasswd)
            auth = f"auth:\n  htpasswd:\n    realm: gen-bundle-tests\n    path: {users}\n"
        return (
            "version: 0.1\n"
            "log:\n  level: info\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
            "  maintenance:\n    uploadpurging:\n      enabled: false\n"
            f"http:\n  addr: {self.host}\n" + auth
        )

    def _wait_until_serving(self) -> None:
        # /v2/ is the API's version check: 200 when anonymous access is allowed, 401 with a challenge when not.
        expected = 200 if self.htpasswd is None else 401
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/v2/", timeout=1).status_code == expected:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(POLL_SECONDS)
        self.stop()
        raise TimeoutError(f"the registry did not answer /v2/ within {START_TIMEOUT_SECONDS}s: {self.log.read_text()}")

    def tags(self, repository: str, auth: tuple[str, str] | None = None) -> list[str]:
        response = requests.get(f"{self.url}/v2/{repository}/tags/list", auth=auth, timeout=5)
        response.raise_for_status()
        tags: list[str] = response.json()["tags"]
        return tags

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> Registry:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
