"""The checks' models of the valid resources → the typed model the compiler reads.

Nothing is parsed or validated here: every value arrives parsed and defaulted by the checks
(rego/checks/lib/model.rego). Policies that take no part in decisions (a shadow label, no sidecar
selected) were reported as warnings there and are left out here. A mesh that policies name but no
Mesh resource defines is mTLS STRICT with passthrough on (spec A4; the checks warn, CMB003).
"""

from __future__ import annotations

from typing import Any

from generator.checks.report import Report, ReportError
from generator.diagnostics import Location
from generator.model import (
    Action,
    ExternalService,
    Form,
    FromEntry,
    MatchType,
    Mesh,
    MeshIdentity,
    MeshPassthrough,
    MeshTrafficPermission,
    MeshTrust,
    Model,
    MTLSMode,
    Origin,
    PassthroughMatch,
    Role,
    Rule,
    RuleMatch,
    Semantics,
    Source,
    Tags,
    TargetRef,
    TrafficPermission,
)
from generator.reading.documents import Document

Json = dict[str, Any]
ROLES = {
    "system": Role.SYSTEM,
    "producer": Role.PRODUCER,
    "consumer": Role.CONSUMER,
    "workload-owner": Role.WORKLOAD_OWNER,
}
ORIGINS = {"global": Origin.GLOBAL, "unset": Origin.UNSET, "zone": Origin.ZONE}


def build_model(report: Report, documents: dict[tuple[str, int], Document]) -> Model:
    model = Model(semantics=_semantics(report.semantics))
    for item in report.models:
        try:
            _add(model, item, documents)
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportError(f"a model of the checks' report is malformed ({exc!r}): {str(item)[:300]}") from None
    for source in _policy_sources(model):
        if source.mesh not in model.meshes:
            model.meshes[source.mesh] = Mesh(None, source.mesh, MTLSMode.STRICT, True)
    return model


def _add(model: Model, item: Json, documents: dict[tuple[str, int], Document]) -> None:
    source = _source(item, documents)
    kind = item["kind"]
    if kind == "Mesh":
        model.meshes[source.name] = Mesh(
            source,
            source.name,
            MTLSMode(item["mtls"]),
            bool(item["passthrough"]),
            bool(item["mesh_services_exclusive"]),
        )
    elif kind == "MeshIdentity":
        labels = item["match_labels"]
        model.mesh_identities.append(
            MeshIdentity(
                source,
                None if labels is None else _tags(labels),
                str(item["trust_domain"]),
                str(item["path"]),
                item["provider"],
            )
        )
    elif kind == "MeshTrust":
        model.mesh_trusts.append(MeshTrust(source, str(item["trust_domain"])))
    elif kind == "TrafficPermission":
        model.traffic_permissions.append(
            TrafficPermission(source, tuple(map(_tags, item["sources"])), tuple(map(_tags, item["destinations"])))
        )
    elif kind == "ExternalService":
        model.external_services.append(
            ExternalService(source, _tags(item["tags"]), item["host"], int(item["port"]), item["host_kind"] == "ip")
        )
    elif item["inactive"] is not None:
        return
    elif kind == "MeshTrafficPermission":
        entries = tuple(FromEntry(_target_ref(entry["target_ref"]), Action(entry["action"])) for entry in item["from"])
        rules = tuple(_rule(rule) for rule in item["rules"])
        model.mesh_traffic_permissions.append(MeshTrafficPermission(*_placement(source, item), entries, rules))
    elif kind == "MeshPassthrough":
        matches = tuple(
            PassthroughMatch(match["type"], match["value"], match["port"], match["protocol"])
            for match in item["matches"]
        )
        model.mesh_passthroughs.append(MeshPassthrough(*_placement(source, item), item["mode"], matches))
    else:
        raise ValueError(f"unknown kind {kind!r}")


def _source(item: Json, documents: dict[tuple[str, int], Document]) -> Source:
    document = documents.get((item["file"], item["document"]))
    location = document.locate(tuple(item["base"])) if document else Location(item["file"], 0, 0)
    return Source(
        kind=item["kind"],
        form=Form(item["form"]),
        name=item["name"],
        mesh=item["mesh"],
        namespace=item["namespace"],
        display_name=item["display_name"],
        location=location,
        creation_time_ns=item.get("creation_time_ns"),
        kri=item.get("kri"),
    )


def _placement(source: Source, item: Json) -> tuple[Source, TargetRef, Role, Origin, str | None, str, str]:
    return (
        source,
        _target_ref(item["target_ref"]),
        ROLES[item["role"]],
        ORIGINS[item["origin"]],
        item["zone"],
        str(item["zone_label"]),
        str(item["scope_namespace"]),
    )


def _target_ref(ref: Json) -> TargetRef:
    proxy_types = ref["proxy_types"]
    labels = ref["labels"]
    return TargetRef(
        kind=ref["kind"],
        name=ref["name"],
        tags=_tags(ref["tags"]),
        proxy_types=None if proxy_types is None else tuple(proxy_types),
        requires=_tags(ref["requires"]),
        labels=None if labels is None else _tags(labels),
        namespace=ref["namespace"],
        section_name=ref["section_name"],
    )


def _rule(rule: Json) -> Rule:
    return Rule(
        deny=tuple(map(_match, rule["deny"])),
        allow=tuple(map(_match, rule["allow"])),
        allow_with_shadow_deny=tuple(map(_match, rule["allowWithShadowDeny"])),
    )


def _match(match: Json) -> RuleMatch:
    spiffe = match["spiffe_id"]
    return RuleMatch(
        spiffe_id=None if spiffe is None else (MatchType(spiffe["type"]), str(spiffe["value"])),
        sni=match["sni"],
    )


def _semantics(value: Json) -> Semantics:
    if not value:
        return Semantics()
    return Semantics(
        kuma_version=str(value["kuma_version"]),
        rules_deny_first=bool(value["rules_deny_first"]),
        identity_selects_rules=bool(value["identity_selects_rules"]),
    )


def _tags(tags: dict[str, str]) -> Tags:
    return tuple(sorted(tags.items()))


def _policy_sources(model: Model) -> list[Source]:
    return [
        *(policy.source for policy in model.mesh_traffic_permissions),
        *(permission.source for permission in model.traffic_permissions),
        *(service.source for service in model.external_services),
        *(policy.source for policy in model.mesh_passthroughs),
        *(identity.source for identity in model.mesh_identities),
        *(trust.source for trust in model.mesh_trusts),
    ]
