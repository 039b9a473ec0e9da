"""Shared machinery of the validators: Kuma-style field paths and type checks that report, not raise.

Kuma prints paths such as `spec.from[0].targetRef.tags["env"]`; `Field` builds them while remembering
where in the document each step stands, so a message can carry Kuma's path and our file:line:col.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Diagnostic, error, warning
from generator.model import Source
from generator.reading.documents import Path


@dataclass(frozen=True)
class MapKey:
    """A map key in a path: printed `["key"]`, as Kuma prints tag names."""

    key: str


Step = str | int | MapKey


@dataclass(frozen=True)
class Field:
    steps: tuple[Step, ...] = ()
    root: str = ""  # printed before the steps: "spec" for new-style policies, nothing for legacy kinds

    def __truediv__(self, step: Step) -> Field:
        return Field((*self.steps, step), self.root)

    def __str__(self) -> str:
        text = self.root
        for step in self.steps:
            if isinstance(step, int):
                text += f"[{step}]"
            elif isinstance(step, MapKey):
                text += f'["{step.key}"]'
            else:
                text += f".{step}" if text else step
        return text

    @property
    def document_path(self) -> Path:
        return tuple(step.key if isinstance(step, MapKey) else step for step in self.steps)


@dataclass
class Report:
    """Collects the diagnostics of one resource."""

    source: Source
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, at: Field, message: str) -> None:
        self.diagnostics.append(
            error(self.source.locate(at.document_path), message, resource=self.source.ref, field=str(at) or None)
        )

    def warning(self, at: Field, message: str) -> None:
        self.diagnostics.append(
            warning(self.source.locate(at.document_path), message, resource=self.source.ref, field=str(at) or None)
        )

    @property
    def failed(self) -> bool:
        return any(diagnostic.is_error for diagnostic in self.diagnostics)


TYPE_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def type_name(value: Any) -> str:
    return "null" if value is None else TYPE_NAMES.get(type(value), type(value).__name__)


def expect_object(report: Report, at: Field, value: Any, known: frozenset[str] | None = None) -> dict[str, Any]:
    """`value` as a mapping (empty when absent or of another type, which is reported)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.error(at, f"must be of type object, got {type_name(value)}")
        return {}
    if known is not None:
        for key in value:
            if key not in known:
                report.error(at / key, "unknown field")
    return value


def expect_list(report: Report, at: Field, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        report.error(at, f"must be of type array, got {type_name(value)}")
        return []
    return value


def expect_string(report: Report, at: Field, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        report.error(at, f"must be of type string, got {type_name(value)}")
        return None
    return value


def expect_bool(report: Report, at: Field, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        report.error(at, f"must be of type boolean, got {type_name(value)}")
        return None
    return value


def expect_enum(report: Report, at: Field, value: Any, allowed: tuple[str, ...]) -> str | None:
    text = expect_string(report, at, value)
    if text is not None and text not in allowed:
        # The wording of the OpenAPI validation Kuma runs before its own validators.
        report.error(at, f'unsupported value "{text}": supported values: ' + ", ".join(f'"{a}"' for a in allowed))
        return None
    return text


def string_map(report: Report, at: Field, value: Any) -> Iterator[tuple[str, str]]:
    """Items of a string → string mapping; other values are reported and left out."""
    for key, item in expect_object(report, at, value).items():
        if isinstance(item, str):
            yield key, item
        else:
            report.error(at / MapKey(key), f"must be of type string, got {type_name(item)}")
