"""Which Dataplane inbounds of an inventory each from[] policy loses to rules[] (kuma#18740): asked
of the bundle itself, one explanation per inbound (docs/inventory.md), so the answer is the
decision's own."""

from __future__ import annotations

from collections import defaultdict

from generator.bundle import Bundle
from generator.checks.opa import Opa
from generator.model.inventory import Dataplane
from generator.questions.endpoints import dataplane_inbounds
from generator.questions.evaluate import evaluate
from generator.questions.inputs import inbound_input
from generator.questions.parties import Client

QUERY = "data.kuma.authz.inbound.explanation"
# An explanation marks from[] entries dropped only where rules[] decide the inbound (step "rules"), which
# needs rules.decides: asked first of every inbound, it is a fraction of an explanation's cost.
RULES_DECIDE = "data.kuma.authz.rules.decides"


def dropped_from_policies(opa: Opa, bundle: Bundle, dataplanes: list[Dataplane]) -> dict[tuple[str, int], list[str]]:
    """(mesh, policy index) → the inbounds it is dropped on, as `<dataplane> inbound <name or port>`."""
    sides = dataplane_inbounds(dataplanes)
    if not sides:
        return {}
    plaintext = Client(plaintext=True)  # the step that decides does not depend on the client
    inputs = [inbound_input(dataplane.mesh, inbound, plaintext) for dataplane, inbound in sides]
    decided_by_rules = evaluate(opa, bundle, RULES_DECIDE, inputs)
    asked = [(side, case) for side, case, rules in zip(sides, inputs, decided_by_rules, strict=True) if rules is True]
    explanations = evaluate(opa, bundle, QUERY, [case for _, case in asked])
    dropped: dict[tuple[str, int], list[str]] = defaultdict(list)
    for ((dataplane, inbound), _), explanation in zip(asked, explanations, strict=True):
        where = f"{dataplane.describe()} inbound {inbound.inbound_name or inbound.port}"
        for entry in explanation["entries"]:
            if entry["kind"] == "from" and entry["status"] == "dropped":
                key = (dataplane.mesh, entry["policy"]["index"])
                if where not in dropped[key]:
                    dropped[key].append(where)
    return dict(dropped)
