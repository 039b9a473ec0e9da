"""YAML as Kuma reads it, for test data: values through gen-bundle's reader (go-yaml v2's resolution,
as kumactl, kubectl and conftest read files), and back out with every string that would read as
something else quoted, so writing and re-reading a document gives the same values."""

from __future__ import annotations

from typing import Any

import yaml

from generator.reading.documents import parse_text, resolve_plain


def load_all(text: str) -> list[Any]:
    documents, problems = parse_text("<test data>", text)
    if problems:
        raise ValueError("; ".join(map(str, problems)))
    return [document.value for document in documents]


def load(text: str) -> Any:
    (value,) = load_all(text)
    return value


class Dumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    plain_reads_back = text != "" and resolve_plain(text) == text and type(resolve_plain(text)) is str
    style = None if plain_reads_back else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


Dumper.add_representer(str, _represent_text)


def dump_all(documents: list[Any]) -> str:
    return yaml.dump_all(documents, Dumper=Dumper, sort_keys=False, allow_unicode=True)


def dump(document: Any) -> str:
    return dump_all([document])
