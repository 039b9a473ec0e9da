"""MeshTrafficPermission `rules[]` (Kuma 2.12+) and MeshIdentity → inbound look-ups (spec B §5.4 - 5.5).

Kuma turns the rules of the policies that select an inbound into one Envoy matcher list, first match
wins, no match denies (`xds/rbac_configurer.go`). The list's order is a property of each policy alone
(its precedence, B §4.3), so every match gets one mesh-wide `order` number and a check keeps the
matching record with the lowest order among the policies that select its inbound:

* deny first (Kuma 2.14): every deny list of every rule, then every allow and allowWithShadowDeny
  list, so any matching deny denies;
* per rule (Kuma 2.12 - 2.13): each rule's deny list, then its allow lists, rule after rule.

Matches are reached by key: an `Exact` SPIFFE ID by its value (the client's URI SANs joined with
commas, as Envoy's `uri_san` input gives them), a `Prefix` by its value among the prefixes of that
length (a check tries the client's string cut at each length some Prefix has, as passthrough CIDRs
are tried per prefix length), a match with only `sni` by the server name. An empty match `{}` is left
out: Kuma builds no matcher for it (a lint reports it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.compile.selection import deduplicate, selection_index, selector_of
from generator.model import MatchType, MeshIdentity, MeshTrafficPermission, Rule, RuleMatch

Json = dict[str, Any]
DENY, ALLOW, SHADOW = "Deny", "Allow", "AllowWithShadowDeny"


@dataclass(frozen=True)
class RulesSemantics:
    deny_first: bool  # Kuma 2.14+: every deny of every rule before any allow


def _lists(rule: Rule) -> dict[str, tuple[RuleMatch, ...]]:
    return {DENY: rule.deny, ALLOW: rule.allow, SHADOW: rule.allow_with_shadow_deny}


def matcher_order(
    ordered: Sequence[MeshTrafficPermission], semantics: RulesSemantics
) -> list[tuple[int, int, str, int, RuleMatch]]:
    """(policy offset, rule index, action, match index, match) in Envoy's matcher order."""
    steps: list[tuple[int, int, str]] = [
        (offset, position, action)
        for offset, policy in enumerate(ordered)
        for position, _ in enumerate(policy.rules)
        for action in (DENY, ALLOW, SHADOW)
    ]
    if semantics.deny_first:
        steps.sort(key=lambda step: step[2] != DENY)  # stable: keeps the policy and rule order
    return [
        (offset, position, action, number, match)
        for offset, position, action in steps
        for number, match in enumerate(_lists(ordered[offset].rules[position])[action])
    ]


def compile_rules(ordered: Sequence[MeshTrafficPermission], first_policy_index: int, semantics: RulesSemantics) -> Json:
    """`ordered`: the mesh's `rules` policies in precedence order; policy `i` of it is
    `first_policy_index + i` in the mesh's table."""
    selectors = [selector_of(policy) for policy in ordered]
    selects = selection_index(selectors, [{"policy": first_policy_index + i} for i in range(len(ordered))])
    deduplicate(selects)  # records name their policy: nothing else can be merged
    exact: dict[str, list[Json]] = {}
    prefixes: dict[str, list[Json]] = {}
    by_sni: dict[str, list[Json]] = {}
    for order, (offset, position, action, number, match) in enumerate(matcher_order(ordered, semantics)):
        record: Json = {
            "order": order,
            "action": action,
            "policy": first_policy_index + offset,
            "rule": position,
            "match": number,
        }
        if match.sni is not None:
            record["sni"] = match.sni
        if match.spiffe_id is None:
            if match.sni is not None:
                by_sni.setdefault(match.sni, []).append(record)
            continue
        kind, value = match.spiffe_id
        record["spiffe"] = {"type": kind.value, "value": value}
        (exact if kind is MatchType.EXACT else prefixes).setdefault(value, []).append(record)
    return {
        "policies": selects,
        "exact": exact,
        # code points, as Rego's count and substring measure strings
        "prefix": {"lengths": sorted({len(value) for value in prefixes}), "by_value": prefixes},
        "sni": by_sni,
    }


def identity_order(identities: Sequence[MeshIdentity]) -> list[MeshIdentity]:
    """Best first: the most matchLabels, then the lowest name (spec B §1.2)."""
    return sorted(identities, key=lambda identity: (-len(identity.match_labels or ()), identity.source.name))


def compile_identities(ordered: Sequence[MeshIdentity], first_policy_index: int) -> Json:
    """Which Dataplanes a MeshIdentity selects, best first (`rank` 0 is the best)."""
    records = []
    for rank, identity in enumerate(ordered):
        if identity.match_labels is None:
            continue
        records.append({"rank": rank, "policy": first_policy_index + rank, "labels": dict(identity.match_labels)})
    return {"selectors": records}
