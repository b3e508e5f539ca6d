"""Pipeline helpers: table of contents, notebook order, Excel workbook, landing page, DQ, provenance."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from cscbook.book import pipeline
from cscbook.config.params import load_params
from cscbook.report import data_quality as dq
from cscbook.report import provenance

ROOT = Path(__file__).resolve().parents[1]


def test_toc_filter_drops_missing_chapters_and_empty_parts() -> None:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    present = {"index", "notebooks/00_summary", "methods", "notebooks/02_rereferrals"}
    out = pipeline.filter_toc(toc, lambda f: f in present)
    assert pipeline.toc_files(out) == ["index", "notebooks/00_summary", "notebooks/02_rereferrals", "methods"]
    none = pipeline.filter_toc(toc, lambda f: f in {"index"})
    assert "parts" not in none and pipeline.toc_files(none) == ["index"]
    # the repository's toc names the three chapters and the appendices
    assert {"notebooks/01_front_door", "notebooks/03_children_in_care", "notebooks/91_provenance"} <= set(
        pipeline.toc_files(toc)
    )


def test_notebook_order_chapters_then_summary_then_appendices() -> None:
    names = [
        "notebooks/91_provenance",
        "notebooks/00_summary",
        "notebooks/03_children_in_care",
        "notebooks/90_data_quality",
        "notebooks/01_front_door",
    ]
    assert [Path(n).name for n in pipeline.notebook_order(names)] == [
        "01_front_door",
        "03_children_in_care",
        "00_summary",
        "90_data_quality",
        "91_provenance",
    ]


def _params(tmp_path: Path, synthetic: bool = True):
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "x.csv").write_text("a,b\n1,2\n")
    text = (
        f'authority: "Testshire"\nsynthetic: {str(synthetic).lower()}\nperiod_end: 2024-12-31\n'
        "annex_a: [data]\npopulation_0_17: 1000\ntargets: {assessment_45wd: 0.85}\n"
        "interventions: [{name: edge, date: 2023-04-01}]\n"
    )
    (tmp_path / "params" / "q.yaml").write_text(text)
    return load_params(tmp_path / "params" / "q.yaml")


def test_landing_page_names_authority_quarter_and_synthetic_notice(tmp_path: Path) -> None:
    template = (ROOT / "index.md").read_text()
    built = dt.datetime(2025, 1, 15, 9, 30)
    page = pipeline.render_index(template, _params(tmp_path, True), built)
    assert "Testshire" in page and "Q3 2024-25 (October to December 2024)" in page
    assert "15 January 2025 at 09:30" in page and "31 December 2024" in page
    assert "Synthetic example data" in page and "$" not in page and "<!--" not in page
    real = pipeline.render_index(template, _params(tmp_path, False), built)
    assert "Synthetic example data" not in real and "<!--" not in real


def test_book_config_title_and_no_execution(tmp_path: Path) -> None:
    base = yaml.safe_load((ROOT / "_config.yml").read_text())
    cfg = pipeline.book_config(base, _params(tmp_path))
    assert cfg["title"] == "Testshire: Q3 2024-25 (October to December 2024)"
    assert cfg["execute"]["execute_notebooks"] == "off"
    opts = cfg["sphinx"]["config"]
    assert opts["nb_output_stderr"] == "remove" and opts["html_copy_source"] is False
    assert opts["html_theme_options"]["use_download_button"] is False
    assert not cfg["launch_buttons"]["binderhub_url"]


def test_hide_injected_parameters(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('params_file = "/abs/q.yaml"'), nbformat.v4.new_code_cell("1 + 1")]
    nb.cells[0].metadata["tags"] = ["injected-parameters"]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    pipeline.hide_injected_parameters(path)
    back = nbformat.read(path, as_version=4)
    assert back.cells[0].metadata["tags"] == ["injected-parameters", "remove-cell"]
    assert "tags" not in back.cells[1].metadata


def test_repository_notebooks_follow_the_contract() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        first = code[0]
        assert {"parameters", "remove-cell"} <= set(first.metadata.get("tags", [])), path.name
        assert first.source.strip() == 'params_file = "../params/example.yaml"', path.name
        for cell in code:
            tags = set(cell.metadata.get("tags", []))
            assert "injected-parameters" not in tags, f"{path.name}: committed with papermill's injected cell"
            assert tags & {"remove-input", "remove-cell"}, f"{path.name}: a code cell shows its code"


# ---------------------------------------------------------------- data quality and provenance

LOG = pd.DataFrame(
    {
        "file": ["/x/contacts.csv"] * 4 + ["/x/episodes.csv"],
        "row": [2, 3, 4, 5, 9],
        "reason": [
            "unparseable date",
            "unparseable date",
            "duplicate",
            "unmapped code",
            "overlapping episode",
        ],
        "severity": ["error", "error", "info", "warning", "warning"],
        "table": ["contacts"] * 4 + ["cla_episodes"],
        "child_id": ["C1", "C2", "C3", "C4", "C5"],
        "value": ["31/02/2024", "x", "", "Zz", ""],
    }
)


def test_issue_counts_are_counts_only() -> None:
    out = dq.issue_counts(LOG)
    assert list(out.columns) == ["table", "reason", "severity", "issues"]
    # errors first (2 unparseable dates), then the two warnings, then the info row
    assert out.iloc[0].tolist() == ["contacts", "unparseable date", "error", 2]
    assert out["issues"].sum() == 5 and out["severity"].tolist()[-1] == "info"
    text = out.to_csv()
    assert not any(s in text for s in ["C1", "C5", "31/02/2024", "/x/"])
    sev = dq.severity_summary(LOG)
    assert sev.set_index("severity")["issues"].to_dict() == {"error": 2, "warning": 2, "info": 1}


def test_row_accounting_totals_and_file_names() -> None:
    acc = pd.DataFrame(
        {
            "table": ["contacts", "contacts", "referrals"],
            "file": ["/a/b/l1.csv", "/a/b/l1.csv", "/a/b/l3.csv"],
            "rows_read": [10, 5, 7],
            "rows_kept": [9, 5, 7],
            "rows_excluded": [1, 0, 0],
        }
    )
    out = dq.row_accounting(acc)
    assert out["file"].tolist() == ["l1.csv", "l3.csv", ""]
    assert out.iloc[-1][["rows_read", "rows_kept", "rows_excluded"]].tolist() == [22, 21, 1]  # 10+5+7, 9+5+7
    assert (out["balanced"] == "yes").all()


def test_provenance_hashes_relative_paths_and_versions(tmp_path: Path) -> None:
    p = _params(tmp_path)
    files = provenance.input_files(p.annex_a, p.project_root)
    assert files["file"].tolist() == ["data/x.csv"]
    assert files["sha256"].iloc[0] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    params_table = provenance.parameters_table(p).set_index("parameter")["value"]
    assert params_table["Annex A extracts"] == "data" and params_table["target: assessment_45wd"] == "0.85"
    assert str(tmp_path) not in provenance.parameters_table(p).to_csv()
    versions = provenance.package_versions(("pandas", "no-such-package-xyz")).set_index("package")["version"]
    assert versions["pandas"] == pd.__version__ and versions["no-such-package-xyz"] == "not installed"
    line = provenance.environment_line(ROOT, dt.datetime(2025, 1, 2, 3, 4, 5))
    assert line.startswith("Built at 2025-01-02 03:04:05 from git commit ")
    assert provenance.git_commit(tmp_path) == "code outside a git checkout"


def test_notebook_phases_chapters_before_summary_and_appendices() -> None:
    names = [
        "notebooks/91_provenance",
        "notebooks/00_summary",
        "notebooks/02_rereferrals",
        "notebooks/01_front_door",
    ]
    assert pipeline.notebook_phases(names) == [
        ["notebooks/01_front_door", "notebooks/02_rereferrals"],
        ["notebooks/00_summary", "notebooks/91_provenance"],
    ]
    assert pipeline.notebook_phases(["notebooks/00_summary"]) == [["notebooks/00_summary"]]


def test_refresh_cleans_volatile_metadata_and_refuses_other_params(tmp_path: Path) -> None:
    from cscbook.book import refresh_notebooks as rn

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1")
    cell.metadata.update(
        {"execution": {"iopub.execute_input": "2025-01-01T00:00:00Z"}, "papermill": {}, "tags": ["x"]}
    )
    nb.cells = [cell]
    nb.metadata["papermill"] = {"duration": 1.0}
    rn.clean_metadata(nb)
    assert dict(nb.cells[0].metadata) == {"tags": ["x"]} and "papermill" not in nb.metadata
    other = _params(tmp_path).source_file
    assert rn.main([str(other)]) == 2  # only params/example.yaml refreshes the reference notebooks
    path = tmp_path / "n.ipynb"
    path.write_text(f'{{"outputs": "{tmp_path}/x"}}')
    with pytest.raises(Exception, match="absolute folder"):
        rn.check_portable(path, tmp_path)


def test_table_coverage_counts_rows_set_aside_after_the_period_end() -> None:

    # referrals: 10 kept over two files, 7 left after the period-end restriction -> 3 set aside
    accounting = pd.DataFrame(
        {
            "table": ["referrals", "referrals", "contacts"],
            "file": ["a.csv", "b.csv", "c.csv"],
            "rows_read": [6, 5, 4],
            "rows_kept": [5, 5, 4],
            "rows_excluded": [1, 0, 0],
        }
    )
    tables = {"referrals": pd.DataFrame({"x": range(7)}), "contacts": pd.DataFrame({"x": range(4)})}
    cov = dq.table_coverage(tables, accounting).set_index("table")
    assert cov.loc["referrals"].tolist() == [10, 3, 7]
    assert cov.loc["contacts"].tolist() == [4, 0, 4]
    assert list(dq.table_coverage(tables).columns) == ["table", "rows used"]


def test_readable_table_for_the_book() -> None:
    df = pd.DataFrame({"rows_read": pd.array([12345, 7], dtype="int64"), "table": ["contacts", "cin"]})
    out = dq.readable(df)
    assert list(out.columns) == ["Rows read", "Table"]
    assert list(out["Rows read"]) == ["12,345", "7"]
    assert list(df.columns) == ["rows_read", "table"]  # the input (saved as CSV) is unchanged


# ----------------------------------------------------------------------------- a failed run keeps everything


def _tiny_notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell('params_file = "../params/example.yaml"')
    p.metadata["tags"] = ["parameters", "remove-cell"]
    c = nbformat.v4.new_code_cell(body)
    c.metadata["tags"] = ["remove-input"]
    nb.cells = [p, nbformat.v4.new_markdown_cell(f"# {path.stem}"), c]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256), hidden working folders left out."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.relative_to(folder).parts[0].startswith(".")
        and p.name not in ("timings.json", "book_build.log")
    }


def test_failed_run_leaves_the_last_good_quarter_folder_as_it_was(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from conftest import valid_workbook

    for d in ("params", "notebooks", "data"):
        (tmp_path / d).mkdir()
    valid_workbook(tmp_path / "data" / "annex_a.xlsx")
    (tmp_path / "params" / "example.yaml").write_text(
        'authority: "Testshire"\nsynthetic: true\nperiod_end: 2024-03-31\nannex_a: [data/annex_a.xlsx]\n'
        "population_0_17: 1000\nnotebook_timeout: 60\n"
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: notebooks/01_ok\n  - file: notebooks/02_flaky\n"
    )
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "index.md").write_text("# $authority\n\n$quarter_title\n")
    _tiny_notebook(tmp_path / "notebooks" / "01_ok.ipynb",
                   "import sys\nfrom pathlib import Path\nd = Path('../reports/2023-24-Q4/tables')\n"
                   "d.mkdir(parents=True, exist_ok=True)\nrun = 'second' if Path('../FAIL').exists() else 'first'\n"
                   "(d / 't.csv').write_text(f'rate\\n0.5\\n{run}\\n')\nprint(run, file=sys.stderr)\nprint(run)")  # fmt: skip
    _tiny_notebook(tmp_path / "notebooks" / "02_flaky.ipynb",
                   "from pathlib import Path\nif Path('../FAIL').exists():\n    raise ValueError('planted failure')\n"
                   "print(1)")  # fmt: skip

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cscbook.cli", "run", str(tmp_path / "params" / "example.yaml"),
                               "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=600)  # fmt: skip

    reports = tmp_path / "reports" / "2023-24-Q4"
    first = run()
    assert first.returncode == 0, first.stderr[-2000:]
    good = _snapshot(reports)
    for name in ("notebooks/01_ok.ipynb", "notebooks/02_flaky.ipynb", "kernels.log", "tables/t.csv", "tables.xlsx",
                 "2023-24-Q4-committee-paper.pdf", "2023-24-Q4-book.pdf", "_build/html/index.html"):  # fmt: skip
        assert name in good, name

    (tmp_path / "FAIL").write_text("")
    second = run()
    assert second.returncode == 2 and "Traceback" not in second.stderr
    err = second.stderr.replace("\n", "")
    failed = reports / "failed-run"
    assert str(failed / "notebooks" / "02_flaky.ipynb") in err and "planted failure" in err
    assert str(failed) in err and "unchanged" in err
    assert (failed / "notebooks" / "02_flaky.ipynb").is_file() and (failed / "kernels.log").is_file()
    assert "planted failure" in (failed / "notebooks" / "02_flaky.ipynb").read_text()
    after = _snapshot(reports)
    assert {k: v for k, v in after.items() if not k.startswith("failed-run/")} == good  # byte for byte
    assert not list(reports.glob(".*"))  # no working folder or set-aside copy left behind

    (tmp_path / "FAIL").unlink()
    third = run()
    assert third.returncode == 0, third.stderr[-2000:]
    assert not failed.exists()  # a good run clears the failed run's folder
    assert not list(reports.glob(".*"))


def test_landing_page_leads_with_three_findings_and_links(tmp_path: Path) -> None:
    template = (ROOT / "index.md").read_text()
    params = _params(tmp_path, True)
    params.tables_dir.mkdir(parents=True)
    pd.DataFrame({"message": ["First $finding.", "Second.", "Third.", "Fourth."]}).to_csv(
        params.tables_dir / "summary_key_messages.csv", index=False
    )
    findings = pipeline.top_findings(params.tables_dir)
    assert findings == ["First $finding.", "Second.", "Third."]
    page = pipeline.render_index(template, params, dt.datetime(2025, 1, 15, 9, 30), findings)
    assert "1. First $finding.\n2. Second.\n3. Third.\n" in page and "Fourth" not in page
    assert page.index("most important findings") < page.index("1. First") < page.index("About this book")
    for link in ('href="notebooks/00_summary.html"', 'href="downloads/2024-25-Q3-committee-paper.pdf"',
                 'href="downloads/2024-25-Q3-book.pdf"', 'href="downloads/tables.xlsx"'):  # fmt: skip
        assert link in page
    assert "Testshire" in page and "Q3 2024-25 (October to December 2024)" in page
    none = pipeline.render_index(template, params, dt.datetime(2025, 1, 15), pipeline.top_findings(tmp_path))
    assert "The key findings of this quarter are in the executive summary." in none
