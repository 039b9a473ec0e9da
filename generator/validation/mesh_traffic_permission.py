"""MeshTrafficPermission: Kuma's validation (v2.14.3 messages, spec B §5.2) and the typed policy.

Passes::

    spec:
      targetRef: {kind: Mesh}
      from:
        - targetRef: {kind: MeshSubset, tags: {kuma.io/service: orders}}
          default: {action: Allow}

Fails::

    spec: {targetRef: {kind: Mesh}}                        # spec: at least one of 'from' or 'rules' has to be defined
    spec: {from: [{targetRef: {kind: Mesh}, default: {}}]}  # spec.from[0].default.action: must be defined
    spec: {rules: [...]}                                   # spec.rules: not supported yet by gen-bundle (spec A1)

Warns (accepted, as Kuma does)::

    from: [{targetRef: {kind: MeshService, name: web}, ...}]  # MeshService in 'from' is deprecated
"""

from __future__ import annotations

from typing import Any

from generator.model import Action, FromEntry, MeshTrafficPermission, Source
from generator.validation.fields import Field, Report, expect_enum, expect_list, expect_object
from generator.validation.policy import policy_placement
from generator.validation.target_ref import validate_target_ref

KIND = "MeshTrafficPermission"
TOP_LEVEL_KINDS = ("Mesh", "MeshSubset", "MeshService", "MeshServiceSubset", "Dataplane")
FROM_KINDS = ("Mesh", "MeshSubset", "MeshService", "MeshServiceSubset")
ACTIONS = tuple(action.value for action in Action)
SPEC_FIELDS = frozenset({"targetRef", "from", "rules"})


def validate(source: Source, report: Report, system_namespaces: frozenset[str]) -> MeshTrafficPermission | None:
    spec_at = Field(root="spec")
    if source.spec is None:
        report.error(spec_at, "at least one of 'from' or 'rules' has to be defined")
        return None
    spec = expect_object(report, spec_at, source.spec, SPEC_FIELDS)
    target_ref = validate_target_ref(
        report, spec_at / "targetRef", spec.get("targetRef"), TOP_LEVEL_KINDS, default_mesh=True
    )
    if target_ref is not None and target_ref.kind in ("MeshSubset", "MeshService", "MeshServiceSubset"):
        report.warning(
            spec_at / "targetRef" / "kind",
            f"{target_ref.kind} value for 'targetRef.kind' is deprecated, use Dataplane with labels instead",
        )

    has_from = bool(spec.get("from"))
    has_rules = bool(spec.get("rules"))
    if has_from and has_rules:
        report.error(spec_at, "field 'from' must be empty when 'rules' is defined")
    elif has_rules:
        report.error(spec_at / "rules", "not supported yet by gen-bundle: use 'from' (spec A1)")
    elif not has_from:
        report.error(spec_at, "at least one of 'from' or 'rules' has to be defined")

    entries = [
        _from_entry(report, spec_at / "from" / index, item)
        for index, item in enumerate(expect_list(report, spec_at / "from", spec.get("from")))
    ]
    if report.failed or target_ref is None:
        return None
    role, origin, zone = policy_placement(source, report, system_namespaces)
    return MeshTrafficPermission(
        source, target_ref, role, origin, zone, tuple(entry for entry in entries if entry is not None)
    )


def _from_entry(report: Report, at: Field, value: Any) -> FromEntry | None:
    item = expect_object(report, at, value, frozenset({"targetRef", "default"}))
    if not isinstance(value, dict):
        return None
    target_ref = validate_target_ref(report, at / "targetRef", item.get("targetRef"), FROM_KINDS)
    if target_ref is not None and target_ref.kind == "MeshService":
        report.warning(
            at / "targetRef" / "kind",
            "MeshService value for 'from[].targetRef.kind' is deprecated, "
            "use MeshSubset with 'kuma.io/service' instead",
        )
    default = expect_object(report, at / "default", item.get("default"), frozenset({"action"}))
    action = None
    if default.get("action") is None:
        report.error(at / "default" / "action", "must be defined")
    else:
        action = expect_enum(report, at / "default" / "action", default["action"], ACTIONS)
    if target_ref is None or action is None:
        return None
    return FromEntry(target_ref, Action(action))
