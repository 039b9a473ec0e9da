"""Hostile and broken input to gen-bundle: every file of tests/corpus/bad/ (one behaviour each), and
inputs made at run time (link loops, undecodable file names, FIFOs, devices, huge files), give a clean
error naming the file and line, exit status 1, no output, no traceback, within a time and an
address-space limit. Hypothesis then fuzzes the reader and the validators in-process: `build()` never
raises, whatever the bytes.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.reading.documents import MAX_EVENTS
from generator.reading.files import MAX_FILE_BYTES, read_inputs
from tests.support import kuma_yaml

ROOT = Path(__file__).resolve().parents[2]
# More for a long run: GEN_BUNDLE_FUZZ_EXAMPLES=5000 pytest tests/trust (docs/trust.md).
FUZZ_EXAMPLES = int(os.environ.get("GEN_BUNDLE_FUZZ_EXAMPLES", "40"))
CORPUS = Path("tests") / "corpus" / "bad"
TIMEOUT_SECONDS = 60
ADDRESS_SPACE_BYTES = 1536 * 1024 * 1024
EXIT_INVALID_INPUT = 1
PARALLEL = 6
Result = subprocess.CompletedProcess[str]

# file → (line of the error, its rule, what it says). Every file holds exactly one kind of problem.
EXPECTED: dict[str, tuple[int, str, str]] = {
    "binary-png-header.yaml": (1, "IN002", "not valid UTF-8 text"),
    "binary-with-nul.yaml": (1, "IN002", "not a text file (contains NUL bytes)"),
    "document-is-a-list.yaml": (1, "IN008", "the top level of a manifest is a resource, not a list"),
    "document-is-a-number.yaml": (1, "RES008", "expected a resource (an object), got integer"),
    "document-is-a-string.yaml": (1, "RES008", "expected a resource (an object), got string"),
    "document-without-kind.yaml": (1, "RES008", "expected `type` (Universal) or `apiVersion` and `kind` (Kubernetes)"),
    "duplicate-key-nested.yaml": (6, "IN004", 'duplicate key "action"'),
    "duplicate-key-top-level.yaml": (3, "IN004", 'duplicate key "name"'),
    "empty-file.yaml": (1, "IN007", "no resource in this file: it is empty"),
    "empty-null-document.yaml": (1, "IN007", "no resource in this file: it is empty"),
    "empty-only-comments.yaml": (1, "IN007", "no resource in this file: it is empty"),
    "empty-only-separators.yaml": (1, "IN007", "no resource in this file: it is empty"),
    "envelope-creation-time-not-a-time.yaml": (4, "RES005", "creationTime: must be an RFC 3339 timestamp"),
    "envelope-kind-empty.yaml": (2, "RES006", "kind: must be a non-empty string"),
    "envelope-label-value-not-a-string.yaml": (
        3,
        "RES003",
        'labels["kuma.io/zone"]: must be of type string, got integer',
    ),
    "envelope-labels-not-a-mapping.yaml": (3, "RES003", "labels: must be of type object, got array"),
    "envelope-mesh-not-a-string.yaml": (3, "RES002", "mesh: must be a non-empty string"),
    "envelope-metadata-not-a-mapping.yaml": (3, "RES002", "metadata: must be of type object, got string"),
    "envelope-name-boolean.yaml": (2, "RES001", "name: must be a non-empty string"),
    "envelope-name-not-a-string.yaml": (2, "RES001", "name: must be a non-empty string"),
    "envelope-type-not-a-string.yaml": (1, "RES006", "type: must be a non-empty string"),
    "envelope-unknown-field.yaml": (3, "RES004", "nmae: unknown field"),
    "es-address-not-a-string.yaml": (5, "ES007", "networking.address: must be of type string, got integer"),
    "es-networking-not-a-mapping.yaml": (5, "ES007", "networking: must be of type object, got string"),
    "json-deeply-nested.json": (4, "IN005", "document nested deeper than 100 levels"),
    "json-duplicate-key.json": (4, "IN004", 'duplicate key "name"'),
    "json-invalid.json": (4, "IN003", "invalid YAML: did not find expected ',' or '}'"),
    "json-lone-surrogate.json": (3, "IN003", "invalid YAML: found invalid Unicode character escape code"),
    "list-item-not-a-mapping.yaml": (4, "RES008", "expected a resource (an object), got string"),
    "list-items-not-a-list.yaml": (3, "RES008", "items: must be of type array, got object"),
    "mesh-backends-not-a-list.yaml": (5, "MESH006", "mtls.backends: must be of type array, got object"),
    "mesh-mtls-not-a-mapping.yaml": (3, "MESH006", "mtls: must be of type object, got array"),
    "mesh-passthrough-not-a-boolean.yaml": (
        5,
        "MESH006",
        "networking.outbound.passthrough: must be of type boolean, got string",
    ),
    "mpt-append-match-not-a-list.yaml": (5, "MPT009", "spec.default.appendMatch: must be of type array, got object"),
    "mpt-mode-unknown.yaml": (5, "MPT009", 'spec.default.passthroughMode: unsupported value "Everything"'),
    "mpt-port-not-an-integer.yaml": (
        5,
        "MPT009",
        "spec.default.appendMatch[0].port: must be of type integer, got string",
    ),
    "mtp-action-not-a-string.yaml": (4, "MTP007", "spec.from[0].default.action: must be of type string, got integer"),
    "mtp-action-unknown.yaml": (4, "MTP004", 'spec.from[0].default.action: unsupported value "Permit"'),
    "mtp-default-not-a-mapping.yaml": (4, "MTP007", "spec.from[0].default: must be of type object, got array"),
    "mtp-from-item-not-a-mapping.yaml": (4, "MTP007", "spec.from[0]: must be of type object, got string"),
    "mtp-from-not-a-list.yaml": (4, "MTP007", "spec.from: must be of type array, got object"),
    "mtp-proxy-types-not-a-list.yaml": (4, "TREF006", "spec.targetRef.proxyTypes: must be of type array, got string"),
    "mtp-rules-and-from.yaml": (3, "MTP002", "spec: field 'from' must be empty when 'rules' is defined"),
    "mtp-spec-not-a-mapping.yaml": (3, "MTP007", "spec: must be of type object, got string"),
    "mtp-spec-unknown-field.yaml": (4, "MTP007", "spec.to: unknown field"),
    "mtp-tag-value-not-a-string.yaml": (
        4,
        "TREF006",
        'spec.from[0].targetRef.tags["version"]: must be of type string, got integer',
    ),
    "mtp-tags-not-a-mapping.yaml": (4, "TREF006", "spec.from[0].targetRef.tags: must be of type object, got array"),
    "mtp-target-ref-dataplane-labels-and-name.yaml": (
        4,
        "TREF002",
        "spec.targetRef.labels: either labels or name and namespace must be specified",
    ),
    "mtp-target-ref-not-a-mapping.yaml": (4, "TREF006", "spec.targetRef: must be of type object, got array"),
    "mtp-target-ref-unknown-kind.yaml": (4, "TREF001", 'spec.targetRef.kind: unsupported value "Meshh"'),
    "non-utf8-latin1.yaml": (2, "IN002", "not valid UTF-8 text"),
    "non-utf8-truncated-sequence.yaml": (2, "IN002", "not valid UTF-8 text"),
    "tp-match-not-a-mapping.yaml": (4, "TP004", "sources[0].match: must be of type object, got string"),
    "tp-sources-not-a-list.yaml": (4, "TP004", "sources: must be of type array, got object"),
    "yaml-alias-bomb.yaml": (7, "IN005", "(YAML alias bomb?)"),
    "yaml-bad-indentation.yaml": (3, "IN003", "invalid YAML: mapping values are not allowed in this context"),
    "yaml-binary-value.yaml": (2, "IN006", "unsupported YAML tag 'tag:yaml.org,2002:binary'"),
    "yaml-control-character.yaml": (2, "IN003", "invalid YAML: character #x0007: control characters are not allowed"),
    "yaml-deeply-nested-block.yaml": (103, "IN005", "document nested deeper than 100 levels"),
    "yaml-deeply-nested-flow.yaml": (3, "IN005", "document nested deeper than 100 levels"),
    "yaml-invalid-escape.yaml": (2, "IN003", "invalid YAML: found invalid Unicode character escape code"),
    "yaml-long-implicit-key.yaml": (2, "IN003", "invalid YAML: could not find expected ':'"),
    "yaml-merge-not-mapping.yaml": (3, "IN006", "a merge key (<<) needs a mapping"),
    "yaml-recursive-alias.yaml": (4, "IN005", "recursive YAML alias"),
    "yaml-tab-indentation.yaml": (4, "IN003", "invalid YAML: found character that cannot start any token"),
    "yaml-unclosed-flow.yaml": (5, "IN003", "invalid YAML: did not find expected ',' or ']'"),
    "yaml-unclosed-quote.yaml": (3, "IN003", "invalid YAML: found unexpected end of stream"),
    "yaml-unknown-tag.yaml": (2, "IN006", "unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'"),
}


def _limits() -> None:
    """In the child: bounded address space (memory) and CPU time."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (TIMEOUT_SECONDS, TIMEOUT_SECONDS))


def gen_bundle_command() -> str:
    command = shutil.which("gen-bundle")
    assert command, "gen-bundle is not installed (pip install -e '.[dev]')"
    return command


def gen_bundle_limited(*arguments: str, cwd: Path = ROOT, stdin: Any = subprocess.DEVNULL) -> Result:
    """gen-bundle in a child limited to TIMEOUT_SECONDS and ADDRESS_SPACE_BYTES."""
    return subprocess.run(
        [gen_bundle_command(), *arguments],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=cwd,
        stdin=stdin,
        timeout=TIMEOUT_SECONDS,
        preexec_fn=_limits,
        check=False,
    )


def assert_clean_refusal(result: Result, output: Path) -> list[str]:
    """Exit 1, no traceback, the summary line last, nothing written; the error lines."""
    assert result.returncode == EXIT_INVALID_INPUT, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("gen-bundle: ")
    assert lines[-1].endswith("; nothing written")
    assert not output.exists()
    assert not output.parent.exists(), "not even the output folder is made"
    return [line for line in lines[:-1] if re.search(r": error\[[A-Z]+[0-9]{3}\]: ", line)]


def test_the_corpus_has_one_expectation_per_file_and_forty_files_at_least() -> None:
    files = sorted(path.name for path in (ROOT / CORPUS).iterdir())
    assert files == sorted(EXPECTED)
    assert len(files) >= 40


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Result, Path]]:
    """Every corpus file through its own gen-bundle process, several at once (processes, not threads:
    preexec_fn is only safe without threads)."""
    folder = tmp_path_factory.mktemp("corpus")
    results: dict[str, tuple[Result, Path]] = {}
    names = sorted(EXPECTED)
    for start in range(0, len(names), PARALLEL):
        running = []
        for name in names[start : start + PARALLEL]:
            output = folder / name / "bundle.tar.gz"
            arguments = [gen_bundle_command(), str(CORPUS / name), "-o", str(output)]
            process = subprocess.Popen(
                arguments,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                text=True,
                errors="replace",
                preexec_fn=_limits,  # noqa: PLW1509 - the test process starts no threads
            )
            running.append((name, output, arguments, process))
        for name, output, arguments, process in running:
            stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
            results[name] = (subprocess.CompletedProcess(arguments, process.returncode, stdout, stderr), output)
    return results


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_is_a_clean_error_naming_file_and_line(
    name: str, corpus_results: dict[str, tuple[Result, Path]]
) -> None:
    result, output = corpus_results[name]
    errors = assert_clean_refusal(result, output)
    line, rule, message = EXPECTED[name]
    prefix = f"{(CORPUS / name).as_posix()}:{line}:"
    assert any(error.startswith(prefix) and f"error[{rule}]: " in error and message in error for error in errors), (
        errors
    )


def test_the_whole_corpus_in_one_run_reports_every_file(tmp_path: Path) -> None:
    output = tmp_path / "out" / "bundle.tar.gz"
    errors = assert_clean_refusal(gen_bundle_limited(str(CORPUS), "-o", str(output)), output)
    named = {error.split(":", 1)[0] for error in errors}
    assert named == {(CORPUS / name).as_posix() for name in EXPECTED}


def test_a_previous_bundle_is_left_as_it_was(tmp_path: Path) -> None:
    output = tmp_path / "bundle.tar.gz"
    output.write_bytes(b"the bundle being served")
    result = gen_bundle_limited(str(CORPUS / "yaml-alias-bomb.yaml"), "-o", str(output))
    assert result.returncode == EXIT_INVALID_INPUT
    assert output.read_bytes() == b"the bundle being served"
    assert sorted(tmp_path.iterdir()) == [output]


# --- hostile inputs made at run time ------------------------------------------------------------------

VALID = "type: Mesh\nname: default\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "mesh.yaml").write_text(VALID)
    return policies


def refused(tmp_path: Path, *inputs: str, stdin: Any = subprocess.DEVNULL) -> list[str]:
    output = tmp_path / "out" / "bundle.tar.gz"
    return assert_clean_refusal(gen_bundle_limited(*inputs, "-o", str(output), cwd=tmp_path, stdin=stdin), output)


def test_symbolic_link_loops_are_reported_not_followed(folder: Path, tmp_path: Path) -> None:
    os.symlink("loop-b.yaml", folder / "loop-a.yaml")
    os.symlink("loop-a.yaml", folder / "loop-b.yaml")
    os.symlink(".", folder / "again")  # a directory loop
    errors = refused(tmp_path, "policies")
    assert "policies/loop-a.yaml: error[IN001]: broken symbolic link or link loop" in errors
    assert "policies/loop-b.yaml: error[IN001]: broken symbolic link or link loop" in errors
    assert "policies/again: error[IN001]: directory link loop, not followed again" in errors
    assert refused(tmp_path, "policies/loop-a.yaml") == [
        "policies/loop-a.yaml: error[IN001]: broken symbolic link or link loop"
    ]


def test_file_names_that_are_not_text_are_refused_and_printed_escaped(folder: Path, tmp_path: Path) -> None:
    Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9.yaml")).write_text(VALID.replace("default", "other"))
    (folder / "new\nline.yaml").write_text(VALID.replace("default", "third"))
    errors = refused(tmp_path, "policies")
    assert "policies/caf\\xe9.yaml: error[IN001]: file name is not valid UTF-8 text or has control characters" in errors
    assert (
        "policies/new\\nline.yaml: error[IN001]: file name is not valid UTF-8 text or has control characters" in errors
    )


def test_special_files_named_on_the_command_line_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    assert refused(tmp_path, "pipe.yaml") == ["pipe.yaml: error[IN001]: not a regular file"]
    assert refused(tmp_path, "/dev/zero") == ["/dev/zero: error[IN001]: not a regular file"]  # would never end


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with (tmp_path / "huge.yaml").open("wb") as huge:
        huge.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert refused(tmp_path, "huge.yaml") == [f"huge.yaml:1:1: error[IN005]: file larger than {MAX_FILE_BYTES} bytes"]


def test_stdin_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "huge.yaml").open("wb") as huge:
        huge.truncate(MAX_FILE_BYTES + 1)
    with (tmp_path / "huge.yaml").open("rb") as stdin:
        errors = refused(tmp_path, "-", stdin=stdin)
    assert errors == [f"<stdin>:1:1: error[IN005]: file larger than {MAX_FILE_BYTES} bytes"]


def test_a_document_with_too_many_nodes_is_refused_while_parsing(tmp_path: Path) -> None:
    # Flow style packs the most nodes into the fewest bytes: MAX_EVENTS of them fit under the size limit.
    assert 2 * MAX_EVENTS < MAX_FILE_BYTES
    (tmp_path / "wide.yaml").write_text("type: Mesh\nname: default\nmtls: [" + "x," * MAX_EVENTS + "x]\n")
    (errors,) = refused(tmp_path, "wide.yaml")
    assert errors.startswith("wide.yaml:3:")
    assert errors.endswith(f"error[IN005]: more than {MAX_EVENTS} YAML nodes in one file")


def test_a_kubectl_list_of_twenty_thousand_policies_is_read_from_one_file(tmp_path: Path) -> None:
    item = (
        "- apiVersion: kuma.io/v1alpha1\n  kind: MeshTrafficPermission\n"
        "  metadata: {{name: p{0}, namespace: kuma-system, labels: {{kuma.io/mesh: default}}}}\n"
        "  spec:\n    targetRef: {{kind: MeshService, name: s{0}}}\n"
        "    from: [{{targetRef: {{kind: MeshService, name: c{0}}}, default: {{action: Allow}}}}]\n"
    )
    dump = "apiVersion: v1\nkind: List\nitems:\n" + "".join(item.format(n) for n in range(20_000))
    (tmp_path / "all.yaml").write_text(dump)
    # The reader's limits are what this is about; the checks of a long List in parts are in
    # tests/checks/test_engine.py.
    read = read_inputs([str(tmp_path / "all.yaml")])
    assert not read.diagnostics
    (document,) = read.documents
    assert len(document.value["items"]) == 20_000
    assert document.locate(("items", 19_999, "spec")).line == 3 + 6 * 19_999 + 4


def test_deep_nesting_that_would_crash_the_yaml_composer_is_refused(tmp_path: Path) -> None:
    # Without the event pre-scan, PyYAML's C composer recurses until the process dies (SIGSEGV).
    (tmp_path / "deep.yaml").write_text("type: Mesh\nname: default\nmtls: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert refused(tmp_path, "deep.yaml") == ["deep.yaml:3:107: error[IN005]: document nested deeper than 100 levels"]


def test_a_huge_scalar_within_the_limits_costs_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "long.yaml").write_text("type: Mesh\nname: default\nmtls: {enabledBackend: " + "x" * 30_000_000 + "}\n")
    (error,) = refused(tmp_path, "long.yaml")
    assert error.startswith("long.yaml:3:8: error[MESH003]: Mesh default: mtls.enabledBackend: has to be set")


# --- fuzzing the reader in-process --------------------------------------------------------------------

SEEDS = [path.read_text() for path in sorted((ROOT / "examples").rglob("*.yaml"))] + [
    kuma_yaml.dump_all(kuma_yaml.load(path.read_text())["resources"])
    for folder in ("inbound", "outbound")
    for path in sorted((ROOT / "tests" / "scenarios" / folder).glob("*.yaml"))
]
YAML_NOISE = st.text(
    alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#%@`,?<=~ \n\t\\/.0123456789abcxyzé\x00\x85\u2028")), max_size=12
)


def build_never_raises(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = build([str(path)])
    assert (result.bundle is None) == bool(result.errors)
    for diagnostic in result.diagnostics:
        text = str(diagnostic)  # printable as it will be printed
        text.encode("utf-8")
        assert text.startswith(str(path) if os.path.isabs(diagnostic.location.file) else diagnostic.location.file)
    if result.bundle is not None:
        assert result.bundle.archive[:2] == b"\x1f\x8b"


FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".json"]))
def test_random_bytes_never_crash_the_reader(tmp_path: Path, content: bytes, suffix: str) -> None:
    build_never_raises(tmp_path, f"random{suffix}", content)


@FUZZ
@given(data=st.data(), seed=st.sampled_from(SEEDS), suffix=st.sampled_from([".yaml", ".json"]))
def test_mutated_policy_files_never_crash_the_reader(
    tmp_path: Path, data: st.DataObject, seed: str, suffix: str
) -> None:
    text = seed
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + data.draw(YAML_NOISE) + text[end:]
    build_never_raises(tmp_path, f"mutated{suffix}", text.encode("utf-8", "surrogatepass"))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["*", "Mesh", "Allow"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(data=st.data(), seed=st.sampled_from(SEEDS))
def test_any_field_of_a_valid_resource_replaced_by_any_value_never_crashes(
    tmp_path: Path, data: st.DataObject, seed: str
) -> None:
    documents = [document for document in yaml.safe_load_all(seed) if document]
    document = data.draw(st.sampled_from(documents))
    # Walk to a random place in the document and put a random value there.
    target: Any = document
    while True:
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = target[key]
        if not isinstance(child, (dict, list)) or data.draw(st.booleans()):
            target[key] = data.draw(JSON_VALUES)
            break
        target = child
    build_never_raises(tmp_path, "fields.yaml", yaml.safe_dump_all(documents, allow_unicode=True).encode())
