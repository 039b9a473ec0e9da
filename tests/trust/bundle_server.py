"""A bundle server on a free loopback port whose bundle the test can swap, as a CI pipeline would
publish a new one: ETag = SHA-256 of the content, `304` when OPA already has it (opa-envoy.md §2.2)."""

from __future__ import annotations

import hashlib
import threading
from http import HTTPStatus

from tests.support.loopback_http import LoopbackHttpServer, QuietHandler

RESOURCE = "bundle.tar.gz"


class BundleServer(LoopbackHttpServer):
    def __init__(self, content: bytes) -> None:
        self._lock = threading.Lock()
        self._content = content
        self.downloads: list[str] = []  # ETags of the bodies sent (200s), in order
        outer = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != f"/{RESOURCE}":
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                content, etag = outer.current()
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(content)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(content)
                with outer._lock:
                    outer.downloads.append(etag)

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return self.origin

    def current(self) -> tuple[bytes, str]:
        with self._lock:
            return self._content, f'"{hashlib.sha256(self._content).hexdigest()}"'

    def publish(self, content: bytes) -> str:
        """Serve `content` from now on; its ETag."""
        with self._lock:
            self._content = content
        return self.current()[1]
