"""Where each proxy's bundle goes under the split folder, and the index of what gen-bundle wrote.

    DIR/index.json                                     every bundle: proxy → file, revision
    DIR/<mesh>/services/<service>.tar.gz               a service proxy
    DIR/<mesh>/dataplanes/<name>.tar.gz                a Universal Dataplane
    DIR/<mesh>/dataplanes/<namespace>/<name>.tar.gz    a Kubernetes Dataplane

Names are escaped so that any mesh, service or Dataplane name is one safe path segment that needs no
escaping in a URL either: ASCII letters, digits, `-`, `_` and `.` stay (but a leading `.`), every other
byte of the UTF-8 name is `~` and two hex digits; a name whose escaped form is longer than 200 bytes is
cut and ends with `~` and 16 hex digits of its SHA-256.
"""

from __future__ import annotations

import hashlib
import string

from generator.split.proxies import SERVICE, Proxy

INDEX_NAME = "index.json"
SUFFIX = ".tar.gz"
MAX_SEGMENT = 200
_KEPT = frozenset(string.ascii_letters + string.digits + "-_.")


def segment(name: str) -> str:
    escaped = "".join(
        chr(byte) if chr(byte) in _KEPT and not (position == 0 and byte == ord(".")) else f"~{byte:02X}"
        for position, byte in enumerate(name.encode())
    )
    if not escaped:
        return "~"
    if len(escaped) > MAX_SEGMENT:
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        escaped = f"{escaped[: MAX_SEGMENT - 17]}~{digest}"
    return escaped


def bundle_path(proxy: Proxy) -> str:
    """The bundle's path under the split folder, `/`-separated (also its resource on a bundle server)."""
    if proxy.kind == SERVICE:
        return f"{segment(proxy.mesh)}/services/{segment(proxy.name)}{SUFFIX}"
    folder = f"{segment(proxy.mesh)}/dataplanes"
    if proxy.namespace:
        folder += f"/{segment(proxy.namespace)}"
    return f"{folder}/{segment(proxy.name)}{SUFFIX}"
