"""Ruff over the whole project, including the rule that bans streamlit under bk/ (bk/ruff.toml)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_ruff_bans_streamlit_under_bk(tmp_path):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    probe = ROOT / "bk" / "_lint_probe.py"
    probe.write_text("import streamlit  # noqa: F401\n")
    try:
        result = subprocess.run([ruff, "check", str(probe)], cwd=ROOT, capture_output=True, text=True)
    finally:
        probe.unlink()
    assert "TID251" in result.stdout
