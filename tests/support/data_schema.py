"""The compiled data document's JSON Schema (generator/compile/data.schema.json, docs/data-shape.md), as
the tests check documents against it: the compiler's output and the Rego tests' fixtures alike."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

SHOWN_PROBLEMS = 10
MESSAGE_CHARS = 300  # a message quotes the value: a whole mesh at worst


@cache
def data_schema() -> dict[str, Any]:
    """The schema the installed package carries (a checkout's generator/compile/data.schema.json)."""
    schema: dict[str, Any] = json.loads((resources.files("generator.compile") / "data.schema.json").read_text())
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(data_schema())


def schema_problems(document: Any) -> list[str]:
    """What makes `document` break the contract, one line per problem: where, then what."""
    errors = sorted(_validator().iter_errors(document), key=lambda error: list(map(str, error.absolute_path)))
    return [f"/{'/'.join(map(str, error.absolute_path))}: {error.message[:MESSAGE_CHARS]}" for error in errors]


def assert_follows_data_schema(document: Any, what: str) -> None:
    problems = schema_problems(document)
    shown = "\n".join(problems[:SHOWN_PROBLEMS])
    more = f"\n... and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
    assert not problems, f"{what} breaks generator/compile/data.schema.json:\n{shown}{more}"
