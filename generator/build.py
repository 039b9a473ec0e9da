"""The whole flow in one place: paths → documents → checks (OPA) → model → data → bundle.

Each step reports diagnostics instead of raising; no bundle is made when any step found an error.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from generator.bundle import Bundle, build_bundle
from generator.checks.engine import CheckRun, Settings
from generator.checks.model import build_model
from generator.checks.opa import Opa, find_opa
from generator.checks.report import to_diagnostic
from generator.compile import compile_model, mesh_policies
from generator.diagnostics import Diagnostic, Location, Rule, Severity, sort_key
from generator.model import Model
from generator.model.inventory import Dataplane
from generator.progress import Progress
from generator.questions.dropped import dropped_from_policies
from generator.reading.files import decode_file, discover
from generator.split.bundles import ProxyBundle, Signing, SplitBundler
from generator.split.distribute import split_data
from generator.split.proxies import DATAPLANE, proxies_of
from generator.split.tables import decision_tables, with_tables


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bundle: Bundle | None = None
    model: Model | None = None
    data: dict[str, Any] | None = None  # the compiled data document the bundle carries
    resource_counts: Counter[str] = field(default_factory=Counter)
    inputs: list[tuple[str, str]] = field(default_factory=list)  # (label, sha256) of every file read

    @property
    def errors(self) -> list[Diagnostic]:
        return [diagnostic for diagnostic in self.diagnostics if diagnostic.is_error]

    @property
    def skipped(self) -> int:
        return sum(diagnostic.rule.id == "RES009" for diagnostic in self.diagnostics)


class UnsupportedKumaVersion(ValueError):
    """`--kuma-version` names a release whose semantics gen-bundle does not know."""


def check(
    paths: list[str], settings: Settings | None = None, opa: Opa | None = None, progress: Progress | None = None
) -> BuildResult:
    """Read and check the input; the model when it is valid. Raises OpaUnavailable, OpaFailed, ReportError,
    UnsupportedKumaVersion."""
    progress = progress or Progress(None)
    result = BuildResult()
    run = CheckRun(opa or find_opa(), settings or Settings(), input_name=paths[0] if paths else "<input>")
    diagnostics: list[Diagnostic] = []
    files = discover(paths, diagnostics)
    digests = []
    for index, source in enumerate(files):
        progress.count("reading and checking files", index + 1, len(files))
        documents, problems = decode_file(source)
        diagnostics.extend(problems)
        digests.append((source.label, hashlib.sha256(source.data).hexdigest()))
        run.add(source.display, index, documents)
    run.incomplete = any(diagnostic.is_error for diagnostic in diagnostics)
    progress.stage(f"checking {len(run.documents):,} documents of {len(files):,} files with OPA")
    report = run.finish()
    if report.semantics and not report.semantics.get("supported", True):
        raise UnsupportedKumaVersion(
            f"--kuma-version {report.semantics['kuma_version']}: gen-bundle knows the semantics of Kuma "
            f"{report.semantics['supported_range']} (docs/semantics.md)"
        )
    diagnostics.extend(to_diagnostic(finding, run.documents) for finding in report.findings)
    report.findings.clear()
    result.diagnostics = sorted(diagnostics, key=sort_key)
    result.resource_counts = Counter(str(item["kind"]) for item in report.models)
    result.inputs = sorted(digests)
    if not result.errors:
        progress.stage(f"modelling {len(report.models):,} resources")
        result.model = build_model(report, run.documents)
    return result


def build(
    paths: list[str],
    settings: Settings | None = None,
    opa: Opa | None = None,
    inventory: list[Dataplane] | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Check, compile and pack; with an `inventory`, CMB006 names the Dataplane inbounds each from[]
    policy loses (asked of the bundle itself)."""
    opa = opa or find_opa()
    progress = progress or Progress(None)
    result = check(paths, settings, opa, progress)
    if result.model is None:
        return result
    metadata = {
        "kuma_version": result.model.semantics.kuma_version,
        "meshes": result.model.mesh_names(),
        "inputs": [{"file": label, "sha256": digest} for label, digest in result.inputs],
        "resources": dict(sorted(result.resource_counts.items())),
    }
    progress.stage(f"compiling {sum(result.resource_counts.values()):,} resources")
    result.data = compile_model(result.model)
    progress.stage("packing the bundle")
    result.bundle = build_bundle(result.data, metadata)
    if inventory is not None:
        progress.stage(f"asking the bundle which inbounds of {len(inventory):,} Dataplanes lose a policy")
        lost = dropped_from_policies(opa, result.bundle, inventory)
        result.diagnostics = sorted(
            name_lost_inbounds(result.diagnostics, policy_table(result.model), lost), key=sort_key
        )
    return result


def split(
    result: BuildResult,
    inventory: list[Dataplane] | None,
    kinds: Iterable[str],
    signing: Signing | None = None,
    opa: Opa | None = None,
) -> Iterator[ProxyBundle]:
    """The built data cut into one bundle per proxy (docs/split.md): services, and with an inventory
    its Dataplanes, as `kinds` asks, each with the decision tables of its inbounds."""
    assert result.data is not None
    assert result.bundle is not None
    bundler = SplitBundler(result.bundle.manifest["metadata"], signing)
    kinds = set(kinds)
    tables = {}
    if inventory and DATAPLANE in kinds:
        tables = decision_tables(opa or find_opa(), result.bundle, inventory)
    for document in split_data(result.data, proxies_of(result.data, inventory, kinds)):
        proxy = document.proxy
        own = tables.get((proxy.mesh, proxy.name, proxy.namespace)) if proxy.kind == DATAPLANE else None
        yield bundler.bundle(with_tables(document, own) if own else document)


DROPPED_FROM = Rule("CMB006", "from[] policy that rules or a MeshIdentity override")
SHOWN_INBOUNDS = 5


def name_lost_inbounds(
    diagnostics: list[Diagnostic], table: list[dict[str, Any]], lost: dict[tuple[str, int], list[str]]
) -> list[Diagnostic]:
    """Each CMB006 warning (the checks name the policies that can be dropped) says which inbounds of
    the inventory its policy loses, or that it loses none; a policy the bundle drops on an inbound
    without such a warning gets one."""
    resource_of = {(row["mesh"], row["index"]): _resource(row) for row in table}
    inbounds: dict[str, list[str]] = {}
    for key, where in lost.items():
        inbounds.setdefault(resource_of[key], []).extend(where)
    refined = []
    warned = set()
    for diagnostic in diagnostics:
        if diagnostic.rule.id == DROPPED_FROM.id and diagnostic.resource is not None:
            warned.add(diagnostic.resource)
            lost_text = _lost_text(inbounds.get(diagnostic.resource, []))
            refined.append(replace(diagnostic, message=diagnostic.message + lost_text))
        else:
            refined.append(diagnostic)
    for row in table:
        resource = _resource(row)
        if resource in inbounds and resource not in warned:
            warned.add(resource)
            message = "Kuma decides these inbounds by rules only and ignores this from[] policy" + _lost_text(
                inbounds[resource]
            )
            location = Location(row["file"], row["line"], row["column"])
            refined.append(Diagnostic(Severity.WARNING, location, DROPPED_FROM, message, resource))
    return refined


def _resource(row: dict[str, Any]) -> str:
    path = "/".join(part for part in (row["mesh"], row.get("namespace", ""), row["name"]) if part)
    return f"{row['kind']} {path}"


def _lost_text(inbounds: list[str]) -> str:
    if not inbounds:
        return "; no Dataplane of the inventory loses it"
    shown = ", ".join(inbounds[:SHOWN_INBOUNDS])
    more = f" and {len(inbounds) - SHOWN_INBOUNDS} more" if len(inbounds) > SHOWN_INBOUNDS else ""
    return f"; in the inventory it is dropped on {shown}{more}"


def policy_table(model: Model) -> list[dict[str, Any]]:
    """Every policy the bundle can name in a decision, with where it was written: the mesh's table
    (the `policy` of a decision is its entry), and Kuma's KRI, the name Envoy's RBAC gives it."""
    rows: list[dict[str, Any]] = []
    for name in model.mesh_names():
        for index, source in enumerate(mesh_policies(model, model.meshes[name]).sources):
            row: dict[str, Any] = {"mesh": name, "index": index, "kind": source.kind, "name": source.display_name}
            if source.namespace:
                row["namespace"] = source.namespace
            if source.kri:
                row["kri"] = source.kri
            row.update(file=source.location.file, line=source.location.line, column=source.location.column)
            rows.append(row)
    return rows
