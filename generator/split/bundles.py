"""Per-proxy data documents → bundles: each an ordinary bundle (the fixed library, its own data, its own
`.manifest` and revision), the parts every bundle of a mesh shares prepared once (generator/bundle/segmented.py).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.bundle import DATA_PATH, MANIFEST_PATH
from generator.bundle.library import library_files
from generator.bundle.manifest import build_manifest, canonical_json
from generator.bundle.segmented import Part, Shared, SharedMembers, build_segmented_archive, joined
from generator.bundle.sign import SIGNATURES_PATH, Key, signatures_file
from generator.split.distribute import MeshShared, SplitDocument
from generator.split.proxies import SERVICE, Proxy

Json = dict[str, Any]


@dataclass(frozen=True)
class Signing:
    key: Key
    key_id: str


def proxy_metadata(proxy: Proxy) -> Json:
    if proxy.kind == SERVICE:
        return {"mesh": proxy.mesh, "kind": proxy.kind, "service": proxy.name}
    described: Json = {"mesh": proxy.mesh, "kind": proxy.kind, "name": proxy.name}
    if proxy.namespace:
        described["namespace"] = proxy.namespace
    return described


@dataclass(frozen=True)
class ProxyBundle:
    proxy: Proxy
    archive: bytes
    revision: str


SHARED_OUTBOUND = ("by_address", "by_host", "external_services")
# Stand-ins for the shared parts while the rest is encoded; a document holding either text itself is
# encoded whole instead (they are found by exact count).
_OUTBOUND_MARK = "\u0000gen-bundle:shared-outbound\u0000"
_ROWS_MARK = "\u0000gen-bundle:shared-rows\u0000"


class SplitBundler:
    """Per-proxy data documents → bundles that share the archived library and, within a mesh, the
    encoded, compressed and hashed ExternalService part and its policy rows."""

    def __init__(self, metadata: Json, signing: Signing | None = None) -> None:
        # provenance that changes with any input (file digests, counts) would change every bundle
        self.metadata = {key: metadata[key] for key in ("kuma_version",) if key in metadata}
        self.signing = signing
        self.library = library_files()
        self.members = SharedMembers.of(self.library)
        self.prepared: dict[int, tuple[Shared, Shared | None]] = {}

    def bundle(self, document: SplitDocument) -> ProxyBundle:
        proxy = document.proxy
        data = self.encode(document)
        # the revision covers the data by the digests of its parts (a shared part is hashed once)
        digests = b"".join(part.digest if isinstance(part, Shared) else hashlib.sha256(part).digest() for part in data)
        metadata = {**self.metadata, "meshes": [proxy.mesh], "proxy": proxy_metadata(proxy)}
        manifest = build_manifest({DATA_PATH: digests, **self.library}, metadata)
        files: dict[str, Sequence[Part]] = {name: [content] for name, content in self.library.items()}
        files[DATA_PATH] = data
        files[MANIFEST_PATH] = [canonical_json(manifest)]
        if self.signing is not None:
            plain = {name: joined(parts) for name, parts in files.items()}
            files[SIGNATURES_PATH] = [signatures_file(plain, self.signing.key, self.signing.key_id)]
        return ProxyBundle(proxy, build_segmented_archive(files, self.members), manifest["revision"])

    def encode(self, document: SplitDocument) -> list[Part]:
        """The canonical JSON of the document (manifest.canonical_json), its shared parts prepared once."""
        data, shared = document.data, document.shared
        ((mesh_name, mesh),) = data["meshes"].items()
        outbound, rows = mesh["outbound"], mesh["policies"][: len(shared.rows)]
        if (
            set(outbound) != {*SHARED_OUTBOUND, "mesh_passthrough"}
            or any(outbound[key] is not shared.outbound[key] for key in SHARED_OUTBOUND)
            or not all(map(operator.is_, rows, shared.rows))
        ):
            return [canonical_json(data)]
        outbound_part, rows_part = self._prepared(shared)
        standing_in = {
            **mesh,
            "outbound": {"by_address": _OUTBOUND_MARK, "mesh_passthrough": outbound["mesh_passthrough"]},
            "policies": [_ROWS_MARK, *mesh["policies"][len(rows) :]] if rows_part else mesh["policies"],
        }
        text = canonical_json({**data, "meshes": {mesh_name: standing_in}})
        marks = [(b'"by_address":' + canonical_json(_OUTBOUND_MARK), outbound_part)]
        if rows_part is not None:
            marks.append((canonical_json(_ROWS_MARK), rows_part))
        if any(text.count(mark) != 1 for mark, _ in marks):
            return [canonical_json(data)]
        parts: list[Part] = []
        for mark, part in sorted(marks, key=lambda item: text.index(item[0])):
            before, text = text.split(mark)
            parts += [before, part]
        return [*parts, text]

    def _prepared(self, shared: MeshShared) -> tuple[Shared, Shared | None]:
        if id(shared) not in self.prepared:
            outbound = canonical_json({key: shared.outbound[key] for key in SHARED_OUTBOUND})[1:-1]
            rows = canonical_json(shared.rows)[1:-1] if shared.rows else None
            self.prepared[id(shared)] = (Shared.of(outbound), Shared.of(rows) if rows is not None else None)
        return self.prepared[id(shared)]
