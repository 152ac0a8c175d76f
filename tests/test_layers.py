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


def magic_displays(path: Path) -> list[str]:
    """Statements Streamlit's magic would have shown: bare expressions other than calls and docstrings."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call | ast.Await) \
                and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            found.append(f"{path.parent.name}/{path.name}:{node.lineno} {ast.unparse(node.value)[:60]}")
    return found


def test_pages_show_nothing_through_magic_which_is_off():
    # .streamlit/config.toml turns magic off (it rewrites each page's source on a session's first run): a bare
    # expression in a page would then silently show nothing
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "magicEnabled = false" in config
    found = [f for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))] for f in magic_displays(path)]
    assert found == []


def test_the_magic_check_catches_a_bare_value(tmp_path):
    probe = tmp_path / "pages" / "probe.py"
    probe.parent.mkdir()
    probe.write_text('"""doc"""\nimport streamlit as st\nst.title("x")\nvalue = 3\nvalue\n')
    assert magic_displays(probe) == ["pages/probe.py:5 value"]


def undeclared(paths, requirements: str, root: Path = ROOT) -> list[str]:
    """Third-party modules the files import (at any level, relative imports aside) whose distribution
    ``requirements`` (pip requirement lines) does not name."""
    import re
    import sys
    from importlib.metadata import packages_distributions

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = {norm(m.group(0)) for line in requirements.splitlines()
                if (m := re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line.strip()))}
    local = {p.name for p in ROOT.iterdir()} | {p.stem for p in ROOT.glob("*.py")}
    dists = packages_distributions()
    missing = []
    for path in paths:
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top in local or top == "__future__":
                continue
            if not {norm(d) for d in dists.get(top, [top])} & declared:
                missing.append(f"{path.relative_to(root)} imports {name}")
    return sorted(set(missing))


def test_every_module_the_app_imports_is_a_declared_dependency():
    # a fresh machine installs requirements.txt only: a module the app imports that it does not name (a chart
    # library dropped from it, say) works here and fails there
    app = [ROOT / "app.py", *[p for folder in ("pages", "ui", "bk") for p in sorted((ROOT / folder).rglob("*.py"))]]
    assert undeclared(app, (ROOT / "requirements.txt").read_text(encoding="utf-8")) == []


def test_an_undeclared_import_is_named(tmp_path):
    source = tmp_path / "page.py"
    source.write_text("import os\nimport pandas as pd\nfrom plotly import express\nfrom ui import charts\n")
    assert undeclared([source], "pandas>=2\nstreamlit\n", root=tmp_path) == ["page.py imports plotly"]
    assert undeclared([source], "pandas>=2\nplotly>=5  # charts\n", root=tmp_path) == []
