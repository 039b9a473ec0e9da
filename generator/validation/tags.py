"""Kuma's tag rules (`ValidateTags`, `ValidateSelector`), shared by targetRefs, TrafficPermission
selectors and ExternalService tags.

Passes::

    {kuma.io/service: web, version: v1}
    {version: "*"}           # where "*" is allowed: selectors, MeshServiceSubset

Fails::

    {"": web}                # tag name must be non-empty
    {"a b": x}               # tag name must consist of alphanumeric characters, …
    {env: ""}                # tag value must be non-empty
"""

from __future__ import annotations

import re
from typing import Any

from generator.model import Tags
from generator.validation.fields import Field, MapKey, Report, string_map

TAG_NAME = re.compile(r"^[a-zA-Z0-9.\-_:/]*$")
TAG_VALUE = re.compile(r"^[a-zA-Z0-9.\-_:]*$")
SELECTOR_VALUE = re.compile(r"^([a-zA-Z0-9.\-_:/]*|\*)$")

TAG_NAME_MESSAGE = "tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores"
TAG_VALUE_MESSAGE = "tag value must consist of alphanumeric characters, dots, dashes and underscores"
SELECTOR_VALUE_MESSAGE = (
    'tag value must consist of alphanumeric characters, dots, dashes, slashes and underscores or be "*"'
)


def validate_tags(report: Report, at: Field, value: Any, *, selector: bool) -> Tags:
    """The valid tags, sorted; `selector` allows "*" and "/" in values."""
    pattern, message = (SELECTOR_VALUE, SELECTOR_VALUE_MESSAGE) if selector else (TAG_VALUE, TAG_VALUE_MESSAGE)
    tags: list[tuple[str, str]] = []
    for key, tag_value in string_map(report, at, value):
        if key == "":
            report.error(at, "tag name must be non-empty")
        elif not TAG_NAME.match(key):
            report.error(at / MapKey(key), TAG_NAME_MESSAGE)
        elif tag_value == "":
            report.error(at / MapKey(key), "tag value must be non-empty")
        elif not pattern.match(tag_value):
            report.error(at / MapKey(key), message)
        else:
            tags.append((key, tag_value))
    return tuple(sorted(tags))
