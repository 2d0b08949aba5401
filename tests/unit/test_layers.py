"""What import-linter cannot see (docs/architecture.md): imports placed inside functions
(the way cycles used to be hidden) and app.py, a module outside the root packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("chipao", "queries", "geodata", "components", "pages", "app")
# The command line imports each command's feature when the command runs: `chipao db`
# must not load Dash, geopandas and every page (importing `app` builds the whole app).
LAZY_ALLOWED = ("chipao/cli/",)


def _modules() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in ("chipao", "queries", "geodata", "components", "pages"):
        files += sorted((ROOT / package).rglob("*.py"))
    return [f for f in files if "migrations/versions" not in f.as_posix()]


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _ours(name: str) -> bool:
    return name.split(".")[0] in OURS


def _function_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                found += [(node.lineno, name) for name in _imported(node) if _ours(name)]
    return found


def test_no_module_imports_our_code_inside_a_function():
    offenders = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(LAZY_ALLOWED):
            continue
        offenders += [f"{rel}:{line} imports {name}"
                      for line, name in _function_imports(ast.parse(path.read_text()))]
    assert offenders == []


def test_the_check_sees_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from queries.db import owner\n    import json\n")
    assert _function_imports(tree) == [(2, "queries.db")]


def test_app_sits_below_the_cli_and_above_everything_else():
    app_imports = [n for node in ast.walk(ast.parse((ROOT / "app.py").read_text()))
                   for n in _imported(node)]
    assert not [n for n in app_imports if n.startswith(("chipao.cli", "tests", "bench"))]
    importers_of_app = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "app.py" or rel.startswith("chipao/cli/"):
            continue
        names = [n for node in ast.walk(ast.parse(path.read_text())) for n in _imported(node)]
        if "app" in names:
            importers_of_app.append(rel)
    assert importers_of_app == []


def test_bench_does_not_import_tests():
    offenders = [p.name for p in (ROOT / "bench").glob("*.py")
                 for node in ast.walk(ast.parse(p.read_text())) for n in _imported(node)
                 if n.split(".")[0] == "tests"]
    assert offenders == []
