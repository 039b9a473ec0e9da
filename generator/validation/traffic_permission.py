"""TrafficPermission (legacy): Kuma's validation (spec B §6.1) and the typed policy.

Passes::

    sources: [{match: {kuma.io/service: web}}]
    destinations: [{match: {kuma.io/service: backend, version: "*"}}]

Fails::

    sources: []                        # sources: must have at least one element
    destinations: [{match: {}}]        # destinations[0].match: must have at least one tag
    sources: [{match: {env: "a b"}}]   # sources[0].match["env"]: tag value must consist of …
"""

from __future__ import annotations

from typing import Any

from generator.model import Form, Source, Tags, TrafficPermission
from generator.validation.fields import Field, Report, expect_list, expect_object
from generator.validation.tags import validate_tags

FIELDS = frozenset({"sources", "destinations"})


def validate(source: Source, report: Report) -> TrafficPermission | None:
    spec = expect_object(report, Field(root="" if source.form is Form.UNIVERSAL else "spec"), source.spec, FIELDS)
    sources = _selectors(report, Field(("sources",)), spec.get("sources"))
    destinations = _selectors(report, Field(("destinations",)), spec.get("destinations"))
    if report.failed:
        return None
    return TrafficPermission(source, sources, destinations)


def _selectors(report: Report, at: Field, value: Any) -> tuple[Tags, ...]:
    items = expect_list(report, at, value)
    if value is None or value == []:
        report.error(at, "must have at least one element")
    selectors: list[Tags] = []
    for index, item in enumerate(items):
        selector = expect_object(report, at / index, item, frozenset({"match"}))
        match = selector.get("match")
        tags = validate_tags(report, at / index / "match", match, selector=True)
        if isinstance(item, dict) and (match is None or (isinstance(match, dict) and not match)):
            report.error(at / index / "match", "must have at least one tag")
        selectors.append(tags)
    return tuple(selectors)
