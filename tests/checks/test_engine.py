"""The checks engine: an input checked in parts (several OPA processes, then the cross-document checks
over the parts' summaries) reports exactly what one evaluation of the whole input reports."""

from __future__ import annotations

from pathlib import Path

from generator.checks.engine import CheckRun
from generator.checks.opa import find_opa
from generator.checks.report import to_diagnostic
from generator.reading.files import decode_file, discover


def diagnostics(paths: list[Path], part_documents: int) -> list[str]:
    run = CheckRun(find_opa(), part_documents=part_documents)
    for index, source in enumerate(discover([str(path) for path in paths], [])):
        documents, problems = decode_file(source)
        assert not problems
        run.add(source.display, index, documents)
    report = run.finish()
    return sorted(str(to_diagnostic(finding, run.documents)) for finding in report.findings)


def test_parts_and_long_lists_report_what_one_evaluation_reports(tmp_path: Path) -> None:
    item = (
        "  - {{apiVersion: kuma.io/v1alpha1, kind: MeshTrafficPermission, "
        "metadata: {{name: p{0}, namespace: kuma-system}}, "
        "spec: {{from: [{{targetRef: {{kind: MeshSubset, tags: {{app: a{1}}}}}, default: {{action: Deny}}}}]}}}}\n"
    )
    # 1,200 items, one of them defined twice and one invalid, far into the list.
    items = [item.format(n, n) for n in range(1200)]
    items[1100] = item.format(7, 7)
    items[1150] = item.format(1150, " b")
    (tmp_path / "list.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n" + "".join(items))
    for n in range(30):
        (tmp_path / f"mesh-{n:02d}.yaml").write_text(f"type: Mesh\nname: m{n}\n")
    (tmp_path / "mesh-30.yaml").write_text("type: Mesh\nname: m0\n")
    paths = sorted(tmp_path.iterdir())
    whole, in_parts = diagnostics(paths, 100_000), diagnostics(paths, 100)
    assert whole == in_parts
    found = "\n".join(whole)
    assert (
        "list.yaml:1104:5: error[CMB004]: MeshTrafficPermission default/kuma-system/p7: defined twice: also at" in found
    )
    assert "list.yaml, document 1, item 8" in found
    assert "list.yaml:1154:" in found
    assert "error[TREF003]" in found
    assert "mesh-30.yaml:1:1: error[CMB004]: Mesh m0: defined twice: also at" in found
