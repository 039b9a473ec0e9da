"""The demo upstream app behind the server sidecar (and the "external" service of the client's
outbound check): answers every GET with JSON naming itself, the path and the request headers it got,
so a caller sees what the sidecars forwarded. GET /health answers "ok". Python standard library only.

    python app.py --host 0.0.0.0 --port 8000 --name payments
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def handler_for(name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/health":
                body = b"ok\n"
                content_type = "text/plain"
            else:
                answer = {"app": name, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                body = json.dumps(answer, sort_keys=True).encode()
                content_type = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the sidecars log requests
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="demo upstream app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--name", default="app")
    arguments = parser.parse_args()
    server = ThreadingHTTPServer((arguments.host, arguments.port), handler_for(arguments.name))
    print(f"{arguments.name} listening on {arguments.host}:{arguments.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
