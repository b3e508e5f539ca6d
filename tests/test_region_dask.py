"""The regional run's per-authority tasks on a real Dask distributed cluster (``--scheduler``).

Three authorities point at the committed example extract (so their measures must be identical
but for the name) and a fourth at an extract that cannot be read; the cluster is a real
``distributed.LocalCluster`` of worker processes reached by its TCP address, exactly as a
remote scheduler would be.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from cscbook.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster_address():
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield cluster.scheduler_address
    cluster.close()


def test_authorities_run_on_a_dask_cluster_and_a_failure_is_reported(tmp_path, cluster_address, capsys):
    broken = tmp_path / "data" / "broken" / "annex_a"
    broken.mkdir(parents=True)
    (broken / "List 1.csv").write_bytes(b"\x00\x01 not a table \xff\xfe")
    example = {"annex_a": str(REPO / "data" / "synthetic" / "annex_a"),
               "ssda903": str(REPO / "data" / "synthetic" / "ssda903"), "population_0_17": 53000}  # fmt: skip
    spec = {"region": "Dask test", "synthetic": True, "period_end": "2025-03-31", "measures": ["rereferral_12m"],
            "authorities": [{"name": n, **example} for n in ("North", "South", "East")]
            + [{"name": "Broken", "annex_a": "data/broken/annex_a", "population_0_17": 5000}]}  # fmt: skip
    (tmp_path / "params").mkdir()
    path = tmp_path / "params" / "region.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))

    rc = cli_main(["region", str(path), "--quiet", "--scheduler", cluster_address])
    err = capsys.readouterr().err
    assert rc == 1 and "Broken was left out" in err and "Traceback" not in err
    out = tmp_path / "reports" / "region" / "2024-25-Q4"
    table = pd.read_csv(out / "measures_by_authority.csv")
    by = {name: t.drop(columns="authority").reset_index(drop=True) for name, t in table.groupby("authority")}
    assert sorted(by) == ["East", "North", "South"]
    assert len(by["North"]) > 100
    pd.testing.assert_frame_equal(by["North"], by["South"])  # the same extract, on different workers
    pd.testing.assert_frame_equal(by["North"], by["East"])
    timings = pd.read_csv(out / "timings.csv")
    assert timings.set_index("authority").loc[["North", "South", "East"], "read_s"].gt(0).all()


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    spec = {"region": "R", "period_end": "2025-03-31",
            "authorities": [{"name": n, "annex_a": str(REPO / "data" / "synthetic" / "annex_a"),
                             "population_0_17": 1000} for n in "ABC"]}  # fmt: skip
    path = tmp_path / "region.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert cli_main(["region", str(path), "--quiet", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "could not be reached" in err and "Traceback" not in err
