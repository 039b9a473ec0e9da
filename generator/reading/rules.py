"""The reading rules: what gen-bundle refuses before any check sees a document.

These are gen-bundle's own: conftest reads files with its own parser (sigs.k8s.io/yaml, as Kuma does)
and reports what it cannot parse in its own words. Every other rule is a check of the shipped Rego
(rego/checks/lib/catalogue.rego). Each rule has a page, docs/checks/<ID>.md.
"""

from __future__ import annotations

from generator.diagnostics import Diagnostic, Location, Rule, Severity

UNREADABLE_FILE = Rule("IN001", "Input file that cannot be read")
NOT_TEXT = Rule("IN002", "File that is not UTF-8 or UTF-16 text")
INVALID_SYNTAX = Rule("IN003", "Invalid YAML or JSON")
DUPLICATE = Rule("IN004", "Duplicate key or anchor")
LIMITS = Rule("IN005", "Input beyond the reader's limits")
UNSUPPORTED_VALUE = Rule("IN006", "YAML value Kuma's reader would not give a resource")
EMPTY_FILE = Rule("IN007", "File without any document")
TOP_LEVEL_LIST = Rule("IN008", "File whose top level is a list")

RULES = (
    UNREADABLE_FILE,
    NOT_TEXT,
    INVALID_SYNTAX,
    DUPLICATE,
    LIMITS,
    UNSUPPORTED_VALUE,
    EMPTY_FILE,
    TOP_LEVEL_LIST,
)


def refuse(rule: Rule, location: Location, message: str) -> Diagnostic:
    return Diagnostic(Severity.ERROR, location, rule, message)
