"""Reads an inventory of Dataplanes (generator/model/inventory.py) in either form Kuma prints:

- `kumactl get dataplanes -o yaml`: `{items: [...], total, next}` of Universal resources (`type:
  Dataplane`, `mesh`, `name`, `labels`, `networking.inbound[]`); on Kubernetes the name is
  `<pod>.<namespace>`, the labels carrying `kuma.io/display-name` and `k8s.kuma.io/namespace`;
- `kubectl get dataplanes -A -o yaml`: a `kind: List` of `kuma.io/v1alpha1` Dataplanes
  (`metadata.name`, `.namespace`, `.labels`, `mesh`, `spec.networking.inbound[]`);

or single Dataplane documents, one per `---`. Anything else is refused with file:line, as a usage
error: an inventory describes the mesh, it is not policy input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.diagnostics import Location
from generator.model.inventory import Dataplane, DataplaneInbound
from generator.reading.documents import Document
from generator.reading.files import SourceFile, decode_file


class InventoryError(ValueError):
    """An inventory that cannot be read; the message starts with file:line."""


def read_inventory(path: str) -> list[Dataplane]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read the inventory: {exc.strerror or exc}") from None
    documents, problems = decode_file(SourceFile(path, path, data))
    errors = [problem for problem in problems if problem.rule.id != "IN008"]  # a bare list of items is fine
    if errors:
        raise InventoryError(f"{errors[0].location}: {errors[0].message}")
    dataplanes: list[Dataplane] = []
    for document in documents:
        for item in _items(document):
            dataplane = _dataplane(item)
            if dataplane is not None:
                dataplanes.append(dataplane)
    return dataplanes


def _items(document: Document) -> list[Document]:
    value = document.value
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        position = document.tables[id(value)][list(value).index("items")]
        items = Document(document.file, document.index, value["items"], position, document.tables)
        return [items.item(index) for index in range(len(value["items"]))]
    return [document]


def _refuse(item: Document, path: tuple[str | int, ...], message: str) -> InventoryError:
    return InventoryError(f"{item.locate(path)}: {message}")


def _dataplane(item: Document) -> Dataplane | None:
    value = item.value
    if not isinstance(value, dict):
        raise _refuse(item, (), "an inventory item must be a Dataplane resource")
    kind = value.get("type", value.get("kind"))
    if kind != "Dataplane":
        raise _refuse(item, (), f"an inventory lists Dataplanes, not {kind!r} (kumactl get dataplanes -o yaml)")
    kubernetes = "apiVersion" in value
    metadata = value.get("metadata") if kubernetes else value
    if not isinstance(metadata, dict):
        raise _refuse(item, ("metadata",), "a Kubernetes Dataplane needs metadata")
    labels = _strings(item, ("metadata", "labels") if kubernetes else ("labels",), metadata.get("labels") or {})
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        raise _refuse(item, ("metadata", "name") if kubernetes else ("name",), "a Dataplane needs a name")
    namespace = metadata.get("namespace", "") if kubernetes else labels.get("k8s.kuma.io/namespace", "")
    if not kubernetes and "kuma.io/display-name" in labels:
        name = labels["kuma.io/display-name"]
    mesh = value.get("mesh") or labels.get("kuma.io/mesh") or "default"
    networking_path: tuple[str | int, ...] = ("spec", "networking") if kubernetes else ("networking",)
    networking: Any = value
    for step in networking_path:
        networking = networking.get(step) if isinstance(networking, dict) else None
    if not isinstance(networking, dict):
        raise _refuse(item, networking_path, "a Dataplane needs networking")
    inbounds = []
    for index, inbound in enumerate(networking.get("inbound") or []):
        path: tuple[str | int, ...] = (*networking_path, "inbound", index)
        if not isinstance(inbound, dict) or not isinstance(inbound.get("port"), int):
            raise _refuse(item, path, "an inbound needs a port")
        tags = _strings(item, (*path, "tags"), inbound.get("tags") or {})
        inbounds.append(DataplaneInbound(inbound["port"], tags, str(inbound.get("name") or "")))
    location: Location = item.locate(())
    return Dataplane(str(mesh), name, str(namespace), labels, tuple(inbounds), location)


def _strings(item: Document, path: tuple[str | int, ...], value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _refuse(item, path, "expected a map of strings")
    return dict(value)
