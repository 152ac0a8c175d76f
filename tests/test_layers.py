"""Architecture rules checked on the source: bk never imports streamlit; services never import upward."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def offenders(folder: str, banned: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == b or name.startswith(b + ".") for b in banned):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_kernel_never_imports_streamlit():
    assert offenders("bk", ("streamlit",)) == []


def test_services_never_import_optimization_or_ui():
    assert offenders("bk/services", ("bk.optimization", "ui", "pages", "streamlit")) == []


def test_ingest_never_imports_services_or_ui():
    assert offenders("bk/ingest", ("bk.services", "ui", "pages", "streamlit")) == []


def test_the_rule_itself_catches_an_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("import streamlit as st\nfrom bk.optimization import cache\n")
    assert imported_modules(bad) == {"streamlit", "bk.optimization"}
