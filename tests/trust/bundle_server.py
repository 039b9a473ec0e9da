"""A bundle server on a free loopback port whose bundle the test can swap, as a CI pipeline would
publish a new one: ETag = SHA-256 of the content, `304` when OPA already has it (opa-envoy.md §2.2)."""

from __future__ import annotations

import hashlib
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

RESOURCE = "bundle.tar.gz"


class BundleServer:
    def __init__(self, content: bytes) -> None:
        self._lock = threading.Lock()
        self._content = content
        self.downloads: list[str] = []  # ETags of the bodies sent (200s), in order
        outer = self

        class Handler(BaseHTTPRequestHandler):
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

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def current(self) -> tuple[bytes, str]:
        with self._lock:
            return self._content, f'"{hashlib.sha256(self._content).hexdigest()}"'

    def publish(self, content: bytes) -> str:
        """Serve `content` from now on; its ETag."""
        with self._lock:
            self._content = content
        return self.current()[1]

    def __enter__(self) -> BundleServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
