"""A real OPA that downloads its bundle from a bundle server, as configured in production, with the
status API on (`/v1/status`) so a test can see which revision is active and why a download failed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.support.opa import START_TIMEOUT_SECONDS, OpaServer

BUNDLE_NAME = "kuma"
POLL_SECONDS = 0.05  # how often the test asks OPA, not a wait for anything to happen


class ConfiguredOpa(OpaServer):
    def __init__(self, config: Path, log: Path) -> None:
        super().__init__(config)
        self.config = config
        self.log = log

    def start(self) -> ConfiguredOpa:
        with self.log.open("wb") as log:
            self.process = self._launch(["--config-file", str(self.config)], log)
        self.wait_until(self._healthy, "OPA to activate its first bundle")
        return self

    def __enter__(self) -> ConfiguredOpa:
        return self.start()

    def _healthy(self) -> bool:
        try:
            return self.session.get(f"{self.url}/health?bundles", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def bundle_status(self) -> dict[str, Any]:
        response = self.session.get(f"{self.url}/v1/status", timeout=5)
        response.raise_for_status()
        status: dict[str, Any] = response.json()["result"]["bundles"][BUNDLE_NAME]
        return status

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"opa exited with {self.process.returncode}: {self.log.read_text()}")
            if condition():
                return
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"waited {timeout}s for {what}; last status: {self._last_status()}")

    def _last_status(self) -> Any:
        try:
            return self.bundle_status()
        except (requests.RequestException, KeyError) as exc:
            return repr(exc)


def opa_config(server_url: str, key_id: str, algorithm: str, public_key: bytes) -> str:
    """The configuration README.md shows: OPA refuses any bundle not signed with this key."""
    indented = "\n".join(f"      {line}" for line in public_key.decode().splitlines())
    return f"""\
services:
  bundle-server:
    url: {server_url}
bundles:
  {BUNDLE_NAME}:
    service: bundle-server
    resource: bundle.tar.gz
    polling:
      min_delay_seconds: 1
      max_delay_seconds: 1
    signing:
      keyid: {key_id}
keys:
  {key_id}:
    algorithm: {algorithm}
    key: |
{indented}
status:
  console: true
"""
