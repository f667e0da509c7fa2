"""House rules that keep the layers apart (design.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYTICS = sorted((ROOT / "analytics").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_analytics_package_never_imports_streamlit():
    offenders = [p.name for p in ANALYTICS if "streamlit" in _imports(p)]
    assert offenders == []


def test_no_sql_is_executed_from_an_f_string_in_the_analytics():
    pattern = re.compile(r"(execute|sql|query)\(\s*f[\"']")
    offenders = [
        f"{p.name}:{i}"
        for p in ANALYTICS
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_pages_contain_no_sql():
    pages = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
    pattern = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\s+.*\b(FROM|INTO|SET)\b")
    offenders = [
        p.name for p in pages if p.exists() and pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
