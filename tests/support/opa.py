"""A real OPA server for a test: started on a free loopback port with a bundle, waited for on
`/health?bundles`, queried over the REST API, stopped at the end."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from tests.support.processes import stop_process
from tests.support.tools import tool

START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class OpaServer:
    def __init__(self, bundle: Path, *extra_args: str, labels: dict[str, str] | None = None) -> None:
        """`labels`: OPA's labels (`opa.runtime().config.labels`), given in a configuration file."""
        self.bundle = bundle
        self.extra_args = extra_args
        if labels:
            config = bundle.parent / f"{bundle.stem}-labels.json"
            config.write_text(json.dumps({"labels": labels}))
            self.extra_args = (*extra_args, "--config-file", str(config))
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.session = requests.Session()

    def start(self) -> OpaServer:
        self.process = self._launch(["--bundle", str(self.bundle), *self.extra_args], subprocess.PIPE)
        self._wait_until_ready()
        return self

    def _launch(self, source_args: list[str], stderr: Any) -> subprocess.Popen[bytes]:
        """`opa run --server` on a free loopback port, its bundle given by `source_args`."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        command = [tool("opa"), "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error"]
        return subprocess.Popen([*command, *source_args], stdout=subprocess.DEVNULL, stderr=stderr)

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"opa exited with {self.process.returncode}: {errors}")
            try:
                if self.session.get(f"{self.url}/health?bundles", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)  # polling interval of the health check, not a wait for readiness
        self.stop()
        raise TimeoutError(f"opa did not report its bundle active within {START_TIMEOUT_SECONDS}s")

    def query(self, path: str, input_value: Any) -> Any:
        """The value of `data.<path>` for `input_value`; raises when it is undefined."""
        response = self.session.post(f"{self.url}/v1/data/{path}", json={"input": input_value}, timeout=10)
        response.raise_for_status()
        body = response.json()
        if "result" not in body:
            raise AssertionError(f"data.{path.replace('/', '.')} is undefined for input {input_value!r}")
        return body["result"]

    def get(self, path: str) -> Any:
        response = self.session.get(f"{self.url}/v1/data/{path}", timeout=10)
        response.raise_for_status()
        return response.json().get("result")

    def stop(self) -> None:
        stop_process(self.process)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.session.close()

    def __enter__(self) -> OpaServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
