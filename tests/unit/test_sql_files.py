"""queries/sql/: every statement file is loaded by a module of queries/, every name
loaded is a file, and names cannot leave the folder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from queries.sql import SQL_DIR, sql

ROOT = Path(__file__).resolve().parents[2]


def _loaded_names() -> dict[str, str]:
    names = {}
    for path in sorted((ROOT / "queries").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sql" and node.args \
                    and isinstance(node.args[0], ast.Constant):
                names[node.args[0].value] = f"{path.name}:{node.lineno}"
    return names


def test_every_sql_file_is_loaded_and_every_name_is_a_file():
    files = {p.relative_to(SQL_DIR).with_suffix("").as_posix() for p in SQL_DIR.rglob("*.sql")}
    loaded = _loaded_names()
    assert files - loaded.keys() == set(), "statement files no module loads"
    assert {n: w for n, w in loaded.items() if n not in files} == {}, "names with no file"
    # the folder is the module that runs the statement
    for name, where in loaded.items():
        assert where.startswith(name.split("/")[0]), (name, where)


def test_a_name_cannot_leave_the_folder():
    with pytest.raises(ValueError):
        sql("../sql")
