"""The saved-context cache is used only for the exact inputs it was made from."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cscbook.config.params import load_params
from cscbook.data.context import data_dir, load_context, read_all, save_context

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data/synthetic/ssda903", tmp_path / "data/ssda903")
    (tmp_path / "params").mkdir()
    (tmp_path / "params/q.yaml").write_text(
        "authority: Test\nperiod_end: 2024-12-31\nssda903: [data/ssda903]\npopulation_0_17: 53000\n"
    )
    return tmp_path


def test_cache_is_used_then_invalidated_when_an_input_changes(project: Path):
    params = load_params(project / "params/q.yaml")
    ctx = read_all(params)
    save_context(ctx)
    # Mark the cache so we can tell whether it was read.
    episodes = ctx.tables["cla_episodes"].iloc[:5]
    episodes.to_parquet(data_dir(params) / "cla_episodes.parquet", index=False)
    assert len(load_context(project / "params/q.yaml").tables["cla_episodes"]) == 5

    # Touching an input file (a new extract dropped in) invalidates the cache.
    f = sorted((project / "data/ssda903").glob("episodes_*.csv"))[0]
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert len(load_context(project / "params/q.yaml").tables["cla_episodes"]) == len(
        ctx.tables["cla_episodes"]
    )
