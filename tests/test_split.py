"""Bundles sized for one proxy (`gen-bundle --split`, docs/split.md): every split bundle decides as the
whole-mesh bundle for its proxy's checks, in a real OPA; a one-policy change rewrites only the bundles
it affects; the command line's exit statuses and messages."""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import tarfile
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import mesh as meshes
from bench.measure import check_input
from bench.split import write_inventory
from generator.build import build, split
from generator.bundle import DATA_PATH
from generator.bundle.library import library_files
from generator.bundle.manifest import canonical_json
from generator.bundle.segmented import (
    Part,
    Shared,
    SharedMembers,
    build_segmented_archive,
    gzip_parts,
    joined,
    tar_of,
)
from generator.bundle.sign import load_verification_key
from generator.bundle.verify import verify_archive
from generator.compile import DATA_FORMAT
from generator.model.check_settings import deployed_settings
from generator.model.inventory import Dataplane
from generator.reading.inventory import read_inventory
from generator.split.bundles import SplitBundler
from generator.split.distribute import UnknownData, split_data
from generator.split.layout import MAX_SEGMENT, segment
from generator.split.proxies import DATAPLANE, KINDS, SERVICE, Proxy, proxies_of
from generator.split.write import write_split
from tests.support.checks import inbound_check, outbound_check
from tests.support.data_schema import assert_follows_data_schema
from tests.support.opa import OpaServer
from tests.test_cli import ROOT, gen_bundle

SCENARIO = ROOT / "tests" / "scenarios" / "split"
POLICIES = SCENARIO / "mesh.yaml"
INVENTORY = SCENARIO / "dataplanes.yaml"
TRUST_DOMAIN = "spiffe://default.zone-1.mesh.local"
BENCH_MESH_SIZE = 300
PARALLEL_OPAS = 4
PROXIES_ASKED = 4  # of the services the benchmark's requests are about, spread over the mesh
NAMED_SERVICES = ["billing", "httpbin", "monitoring", "orders", "orders-metrics", "web"]
# one query for every check: the dispatcher decides either direction
BATCH = "decisions := [d | some c in input.cases; d := data.kuma.authz.decision with input as c]"

CLIENTS: list[dict[str, Any]] = [
    {"client": {"kuma.io/service": "web", "team": "shop", "version": "v1"}},
    {"client": {"kuma.io/service": "web", "team": "shop", "version": "v1"}, "identity": "session"},
    {"client": {"kuma.io/service": "web"}},
    {"client": {"kuma.io/service": "orders", "team": "shop", "version": "v1"}, "identity": "session"},
    # more than one service among the URI SANs: the decision tables must leave these to the chain
    {"client": {"kuma.io/service": ["web", "orders"], "team": "shop"}},
    {"client": None, "spiffe_ids": ["spiffe://default/web", "spiffe://default/orders"]},
    {"client": None, "spiffe_ids": ["spiffe://default/web", "kuma://kuma.io/service/orders", "kuma://team/shop"]},
    {"client": None, "spiffe_ids": ["spiffe://default/web", "kuma://version/v1/x", "kuma://team/shop"]},
    {"client": {"kuma.io/service": "web", "team": "shop"}, "client_mesh": "other"},
    {"client": {"kuma.io/service": "orders", "team": "shop", "version": "v2"}},
    {"client": {"kuma.io/service": "monitoring"}},
    {"client": {"kuma.io/service": "stranger"}, "identity": "none"},
    {"client": None, "spiffe_ids": [f"{TRUST_DOMAIN}/ns/shop/sa/orders"]},
    {"client": None, "spiffe_ids": [f"{TRUST_DOMAIN}/ns/intruders/sa/mallory"]},
    {"client": None, "spiffe_ids": [f"{TRUST_DOMAIN}/ns/elsewhere/sa/x"], "sni": "ledger.shop.svc"},
]
DESTINATIONS: list[dict[str, Any]] = [
    {"host": "httpbin.org", "port": 443},
    {"sni": "httpbin.org", "port": 443},
    {"address": "203.0.113.20", "port": 443},
    {"sni": "api.example.com", "port": 443},
    {"host": "api.example.org", "port": 80},
    {"host": "unknown.example.net", "port": 80},
    {"address": "192.0.2.10", "port": 5432},
    {"address": "192.0.2.99", "port": 443, "sni": "status.example.com"},
    {"address": "198.51.100.1", "port": 443, "sni": "status.example.com"},
    {"address": "198.51.100.2", "port": 443, "sni": "updates.example.net"},
]
# Dataplane facts a service proxy's check may carry: the service proxy knows none of them.
OTHER_DATAPLANES: list[dict[str, Any] | None] = [
    None,
    {"labels": {"app": "ledger"}},
    {"labels": {"app": "payments"}},
    {"name": "payments-7d9", "namespace": "shop", "labels": {"app": "audit"}},
]


@dataclass
class Built:
    whole: Path
    directory: Path
    inventory: list[Dataplane]


def build_split(policies: Path, directory: Path, inventory: list[Dataplane], kinds: tuple[str, ...] = KINDS) -> Path:
    result = build([str(policies)], inventory=inventory)
    assert result.bundle is not None, [str(d) for d in result.errors]
    whole = directory.parent / "whole.tar.gz"
    whole.write_bytes(result.bundle.archive)
    write_split(directory, split(result, inventory, kinds))
    return whole


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("split")
    inventory = read_inventory(str(INVENTORY))
    whole = build_split(POLICIES, folder / "split", inventory)
    return Built(whole, folder / "split", inventory)


def index_of(directory: Path) -> dict[str, dict[str, Any]]:
    entries = json.loads((directory / "index.json").read_text())["bundles"]
    return {entry["file"]: entry for entry in entries}


def proxy_checks(entry: dict[str, Any], inventory: list[Dataplane]) -> Iterator[dict[str, Any]]:
    """Checks this proxy's sidecar can send: its inbounds as the inventory (or, for a service, anything
    with that kuma.io/service) describes them, called by every client; its calls to every destination."""
    locals_: list[tuple[dict[str, str], dict[str, Any] | None]] = []
    if entry["kind"] == SERVICE:
        service = entry["service"]
        tag_sets = [{"kuma.io/service": service}]
        tag_sets += [
            dict(inbound.tags)
            for dataplane in inventory
            for inbound in dataplane.inbounds
            if inbound.tags.get("kuma.io/service") == service
        ]
        locals_ = list(product(tag_sets, OTHER_DATAPLANES))
    else:
        dataplane = dataplane_of(entry, inventory)
        facts = {"name": dataplane.name, "namespace": dataplane.namespace, "labels": dataplane.labels}
        for inbound in dataplane.inbounds:
            section = {"inbound": inbound.name} if inbound.name else {}
            locals_ += [(dict(inbound.tags), {**facts, **section}), (dict(inbound.tags), None)]
            # as deploy/ writes them: what the proxy's decision tables answer
            for client in CLIENTS:
                yield inbound_check(
                    inbound.tags, settings=deployed_settings(dataplane, inbound), port=inbound.port, **client
                )
    for tags, dataplane_facts in locals_:
        for client in CLIENTS:
            yield inbound_check(tags, dataplane=dataplane_facts, **client)
        for destination in DESTINATIONS:
            yield outbound_check(tags, **destination)


def dataplane_of(entry: dict[str, Any], inventory: list[Dataplane]) -> Dataplane:
    """The inventory's Dataplane of a split index entry."""
    (dataplane,) = [d for d in inventory if (d.name, d.namespace) == (entry["name"], entry.get("namespace", ""))]
    return dataplane


def decisions(bundle: Path, checks: list[dict[str, Any]]) -> list[Any]:
    with OpaServer(bundle) as opa:
        response = opa.session.post(f"{opa.url}/v1/query", json={"query": BATCH, "input": {"cases": checks}})
        response.raise_for_status()
        (row,) = response.json()["result"]
        found: list[Any] = row["decisions"]
        assert len(found) == len(checks)
        return found


def same_decisions(whole: Path, directory: Path, checks: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """Ask the whole bundle every check, and each split bundle its own (OPAs started side by side);
    assert they decide alike; the decisions."""
    files = sorted(checks)
    everything = [check for file in files for check in checks[file]]
    with ThreadPoolExecutor(max_workers=PARALLEL_OPAS) as pool:
        expected = pool.submit(decisions, whole, everything)
        found = dict(zip(files, pool.map(lambda file: decisions(directory / file, checks[file]), files), strict=True))
        wanted = iter(expected.result())
    for file in files:
        assert found[file] == [next(wanted) for _ in checks[file]], file
    return [decision for file in files for decision in found[file]]


def test_every_split_bundle_decides_as_the_whole_bundle_for_its_proxy(built: Built) -> None:
    index = index_of(built.directory)
    kinds = {entry["kind"] for entry in index.values()}
    assert kinds == {SERVICE, DATAPLANE}
    checks = {file: list(proxy_checks(entry, built.inventory)) for file, entry in index.items()}
    found = same_decisions(built.whole, built.directory, checks)
    reasons = {decision["dynamic_metadata"]["reason"] for decision in found}
    # the scenario reaches every kind of outcome, so the comparison covers each part of the data
    assert reasons >= {
        "allowed-by-policy",
        "denied-by-policy",
        "no-matching-rule",
        "no-policy",
        "no-identity",
        "external-service-allowed",
        "external-service-denied",
        "passthrough-allowed",
        "passthrough-blocked",
    }


# The CLIENTS a decision table answers for: one Kuma identity of the mesh, one service among its URI SANs.
TABLE_CLIENTS = [0, 1, 2, 3, 7, 9, 10]
TABLE_QUERY = (
    "hits := [count({d | d := data.kuma.authz.inbound.table_decision with input as c}) | some c in input.cases]"
)


def test_decision_tables_answer_the_deployed_checks_of_single_service_clients(built: Built) -> None:
    """The differential above shows that a Dataplane's bundle decides as the whole one; this shows its
    decision tables did part of it: the checks as deploy/ writes them of a client with one service
    are answered from the table wherever the inbound has one, and no other check is."""
    tabled = 0
    for file, entry in index_of(built.directory).items():
        if entry["kind"] != DATAPLANE:
            continue
        dataplane = dataplane_of(entry, built.inventory)
        data = data_of(built.directory / file)
        tables = data["meshes"][dataplane.mesh]["inbound"].get("decision_tables", {})
        for inbound in dataplane.inbounds:
            has_table = str(inbound.port) in tables.get(inbound.tags.get("kuma.io/service", ""), {})
            tabled += has_table
            deployed = [
                inbound_check(inbound.tags, settings=deployed_settings(dataplane, inbound), port=inbound.port, **c)
                for c in CLIENTS
            ]
            other = [inbound_check(inbound.tags, dataplane={"name": dataplane.name}, **c) for c in CLIENTS]
            with OpaServer(built.directory / file) as opa:
                asked = {"query": TABLE_QUERY, "input": {"cases": deployed + other}}
                response = opa.session.post(f"{opa.url}/v1/query", json=asked)
                response.raise_for_status()
                (row,) = response.json()["result"]
            expected = [int(has_table and number in TABLE_CLIENTS) for number in range(len(CLIENTS))]
            assert row["hits"] == expected + [0] * len(other), (file, inbound)
    assert tabled > 0


def test_split_bundles_of_the_benchmark_mesh_decide_as_the_whole_one(tmp_path: Path) -> None:
    """The benchmark's synthetic mesh (bench/mesh.py: namespace and team policies, zone-origin ones,
    legacy TrafficPermissions, rules[] by Dataplane label, ExternalServices, MeshPassthroughs): every
    request set of the benchmark, asked as each of a few proxies, of its Dataplane and service bundles."""
    mesh = meshes.generate(BENCH_MESH_SIZE)
    meshes.write(mesh, tmp_path / "policies")
    write_inventory(mesh, tmp_path / "dataplanes.json")
    inventory = read_inventory(str(tmp_path / "dataplanes.json"))
    whole = build_split(tmp_path / "policies", tmp_path / "split", inventory)
    requests = meshes.requests_for(mesh)
    numbers = {meshes.service_name(s): s for s in range(mesh.generated)}
    proxies = sorted({numbers[r.local["kuma.io/service"]] for r in requests if r.local["kuma.io/service"] in numbers})
    index = {(entry.get("service") or entry["name"]): file for file, entry in index_of(tmp_path / "split").items()}
    checks: dict[str, list[dict[str, Any]]] = {}
    for s in proxies[:: max(1, len(proxies) // PROXIES_ASKED)]:
        service = meshes.service_name(s)
        as_proxy = [replace(r, local=meshes.inbound_tags(s), dataplane=meshes.dataplane_of(s)) for r in requests]
        asked = [check_input(r) for r in as_proxy]
        checks[index[service]] = checks[index[meshes.dataplane_of(s)["name"]]] = asked
    same_decisions(whole, tmp_path / "split", checks)


def test_data_of_a_shape_the_split_does_not_know_is_refused_not_cut_blindly() -> None:
    data = {"format": DATA_FORMAT, "semantics": {}, "meshes": {"default": {"defined": True, "novel": {"policy": 3}}}}
    with pytest.raises(UnknownData, match=r"the mesh document key\(s\) \['novel'\]"):
        list(split_data(data, [Proxy("default", SERVICE, "web")]))
    with pytest.raises(UnknownData, match="format"):
        list(split_data({**data, "format": DATA_FORMAT + 1}, [Proxy("default", SERVICE, "web")]))


def test_every_split_data_document_follows_the_data_schema(built: Built) -> None:
    for file in index_of(built.directory):
        assert_follows_data_schema(data_of(built.directory / file), file)


def test_a_proxy_bundle_leaves_out_what_cannot_reach_it(built: Built) -> None:
    whole = data_of(built.whole)["meshes"]["default"]
    web = data_of(built.directory / "default" / "dataplanes" / "web-1.tar.gz")["meshes"]["default"]
    names = {row["name"] for row in web["policies"]}
    assert {"orders-from-web", "payments-by-name", "ledger-rules", "ledger-closed"}.isdisjoint(names)
    assert {"shop-default-deny", "web-egress", "shop-egress", "web-to-httpbin"} <= names
    assert len(web["policies"]) < len(whole["policies"])
    # every ExternalService stays, with its governing policy first in every table
    assert web["outbound"]["external_services"] == [
        {**service, "policy": 0} if "policy" in service else service
        for service in whole["outbound"]["external_services"]
    ]


def data_of(bundle: Path) -> dict[str, Any]:
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("kuma/compiled/data.json")
        assert member is not None
        loaded: dict[str, Any] = json.loads(member.read())
        return loaded


def test_a_one_policy_change_rewrites_only_the_bundles_it_affects(tmp_path: Path) -> None:
    inventory = read_inventory(str(INVENTORY))
    policies = tmp_path / "mesh.yaml"
    shutil.copy(POLICIES, policies)
    directory = tmp_path / "split"
    build_split(policies, directory, inventory)
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in directory.rglob("*.tar.gz")}
    revisions = {file: entry["revision"] for file, entry in index_of(directory).items()}
    text = policies.read_text()
    changed = text.replace("name: web}\n      default: {action: Allow}", "name: web}\n      default: {action: Deny}")
    assert changed != text
    policies.write_text(changed)
    build_split(policies, directory, inventory)

    rewritten = {
        str(path.relative_to(directory))
        for path, (content, mtime) in before.items()
        if path.read_bytes() != content or path.stat().st_mtime_ns != mtime
    }
    assert rewritten == {"default/services/orders.tar.gz", "default/dataplanes/orders-1.tar.gz"}
    after = index_of(directory)
    assert {file for file in revisions if after[file]["revision"] != revisions[file]} == rewritten


def test_the_bundles_of_proxies_that_are_gone_are_removed_and_nothing_else(tmp_path: Path) -> None:
    policies = tmp_path / "mesh.yaml"
    shutil.copy(POLICIES, policies)
    directory = tmp_path / "split"
    build_split(policies, directory, [], (SERVICE,))
    foreign = directory / "default" / "services" / "hand-made.tar.gz"
    foreign.write_bytes(b"not ours")
    assert (directory / "default" / "services" / "monitoring.tar.gz").exists()
    documents = policies.read_text().split("\n---\n")
    policies.write_text("\n---\n".join(d for d in documents if "name: everyone-from-monitoring" not in d))
    build_split(policies, directory, [], (SERVICE,))

    assert not (directory / "default" / "services" / "monitoring.tar.gz").exists()
    assert "default/services/monitoring.tar.gz" not in index_of(directory)
    assert foreign.read_bytes() == b"not ours"


def test_a_split_archive_is_the_ordinary_tar_stream_in_one_gzip_member() -> None:
    library = library_files()
    data: list[Part] = [b'{"format":2,"meshes":', Shared.of(b'{"default":{}}'), b"}"]
    files: dict[str, Sequence[Part]] = {DATA_PATH: data, ".manifest": [b"{}"]}
    files.update({name: [content] for name, content in library.items()})
    archive = build_segmented_archive(files, SharedMembers.of(library))
    assert gzip.decompress(archive) == tar_of(files)
    assert zlib.decompressobj(wbits=31).decompress(archive) == tar_of(files)  # one gzip member
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        assert sorted(opened.getnames()) == sorted(files)


def test_split_data_is_encoded_as_the_canonical_json_of_the_document(built: Built) -> None:
    result = build([str(POLICIES)], inventory=built.inventory)
    assert result.data is not None
    bundler = SplitBundler({})
    for document in split_data(result.data, proxies_of(result.data, built.inventory, KINDS)):
        parts = bundler.encode(document)
        assert any(isinstance(part, Shared) for part in parts)
        assert joined(parts) == canonical_json(document.data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=3000)), max_size=6))
def test_shared_parts_compress_to_one_gzip_member_of_their_concatenation(parts: list[tuple[bool, bytes]]) -> None:
    built: list[Part] = [Shared.of(data) if shared else data for shared, data in parts]
    archive = gzip_parts(built)
    whole = b"".join(data for _, data in parts)
    assert zlib.decompressobj(wbits=31).decompress(archive) == whole  # one member, CRC and length checked
    assert gzip.decompress(archive) == whole


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120), st.text(max_size=120))
def test_escaped_names_are_safe_distinct_path_segments(first: str, second: str) -> None:
    escaped = segment(first)
    assert re.fullmatch(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*", escaped)
    assert len(escaped) <= MAX_SEGMENT
    assert (segment(second) == escaped) == (first == second)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("payments", "payments"),
        ("web_shop_svc_80", "web_shop_svc_80"),
        ("a/b c", "a~2Fb~20c"),
        ("..", "~2E."),
        ("", "~"),
    ],
)
def test_names_become_one_safe_path_segment(name: str, escaped: str) -> None:
    assert segment(name) == escaped


def test_a_very_long_name_is_cut_and_keeps_a_digest() -> None:
    assert len(segment("s" * 300)) == 200
    assert segment("s" * 300) != segment("s" * 301)


def test_split_alone_writes_no_whole_bundle_and_reports_the_split(tmp_path: Path) -> None:
    result = gen_bundle(str(POLICIES), "--split", str(tmp_path / "split"), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "bundles").exists()
    report = json.loads(result.stdout)["bundle"]
    assert report["path"] is None
    # without an inventory, the services the policies name
    assert sorted(entry["service"] for entry in index_of(tmp_path / "split").values()) == NAMED_SERVICES
    assert report["split"]["bundles"] == len(NAMED_SERVICES)
    assert report["split"]["written"]
    assert not report["split"]["removed"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--split-by", "service"], "--split-by goes with --split"),
        (["--split", "S", "--split-by", "dataplane"], "--split-by dataplane needs --inventory"),
    ],
)
def test_split_options_that_do_not_go_together_are_usage_errors(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    result = gen_bundle(str(POLICIES), *arguments, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_invalid_input_writes_no_split_bundle(tmp_path: Path) -> None:
    invalid = ROOT / "tests" / "scenarios" / "invalid" / "mtp-spec.yaml"
    result = gen_bundle(str(invalid), "--split", str(tmp_path / "split"))
    assert result.returncode == 1
    assert not (tmp_path / "split").exists()


def test_an_unwritable_split_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "split").write_text("a file, not a folder")
    result = gen_bundle(str(POLICIES), "--split", str(tmp_path / "split"), "-o", str(tmp_path / "b.tar.gz"))
    assert result.returncode == 2
    assert "cannot write the split bundles" in result.stderr


def test_every_split_bundle_is_signed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"a shared secret for the split bundles")
    arguments = ["--split", str(tmp_path / "split"), "--signing-key", str(secret), "--signing-alg", "HS256"]
    result = gen_bundle(str(POLICIES), *arguments, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    key = load_verification_key(secret, "HS256")
    bundles = sorted((tmp_path / "split").rglob("*.tar.gz"))
    assert len(bundles) == len(NAMED_SERVICES)
    for bundle in bundles:
        verified = verify_archive(bundle.read_bytes(), key)
        assert verified.ok, (bundle, verified.problems)
    # and OPA itself activates one only with the right key (the secret itself, for HMAC)
    with OpaServer(bundles[0], "--verification-key", secret.read_text(), "--signing-alg", "HS256") as opa:
        assert opa.get("kuma/compiled/format") == DATA_FORMAT
    with pytest.raises(RuntimeError, match="opa exited"):
        OpaServer(bundles[0], "--verification-key", "another secret", "--signing-alg", "HS256").start()
