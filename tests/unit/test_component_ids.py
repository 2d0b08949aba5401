"""Component ids (docs/architecture.md, "Component ids"): every page declares its ids
as constants in pages/<page>_ids.py, page-prefixed (the prefix the callback guard maps
to the page); the shell's are in components/shell_ids.py. Pages write no id literal,
ids that components make are declared, and every id of every callback is declared."""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

from chipao.web.auth import CALLBACK_PREFIXES, SHARED_PREFIXES
from components import shell_ids

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = re.compile(r"register_page|\b(Input|Output|State)\(|\bid=")


def _page_modules() -> list[str]:
    """Modules of pages/ that make components or callbacks (not the ids modules, not
    modules of download routes only, like pages/plans_exports.py)."""
    return sorted(p.stem for p in (ROOT / "pages").glob("*.py")
                  if not p.stem.endswith("_ids") and not p.stem.startswith("_")
                  and COMPONENTS.search(p.read_text(encoding="utf-8")))


PAGES = _page_modules()
DASH_OWN = "_pages_"  # Dash's page router (_pages_location, _pages_content, …)
ID_CALLS = {"Input", "Output", "State"}


def _constants(module) -> dict[str, str]:
    """The ids a module declares (UPPER_CASE strings; *PREFIX names are prefixes, not ids)."""
    return {k: v for k, v in vars(module).items()
            if k.isupper() and not k.endswith("PREFIX") and isinstance(v, str)}


def _ids_module(page: str):
    return importlib.import_module(f"pages.{page}_ids")


def _declared() -> dict[str, str]:
    """id value → the module declaring it."""
    out = {v: "components.shell_ids" for v in _constants(shell_ids).values()}
    for page in PAGES:
        try:
            module = _ids_module(page)
        except ModuleNotFoundError:
            continue
        for value in _constants(module).values():
            assert value not in out or out[value] == module.__name__, \
                f"{value!r} declared by {out[value]} and {module.__name__}"
            out[value] = module.__name__
    return out


def test_the_shell_ids_carry_the_shared_prefix():
    assert shell_ids.PREFIX in SHARED_PREFIXES
    for name, value in _constants(shell_ids).items():
        assert value.startswith(shell_ids.PREFIX) or name == "MAIN", (name, value)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_declares_its_ids_with_its_prefix(page):
    path = ROOT / "pages" / f"{page}_ids.py"
    assert path.exists(), f"pages/{page}.py has no pages/{page}_ids.py"
    assert "register_page" not in path.read_text(encoding="utf-8")  # Dash would load it as a page
    module = _ids_module(page)
    assert module.PREFIX in CALLBACK_PREFIXES, \
        f"{module.PREFIX!r} is not a prefix of chipao.web.auth.CALLBACK_PREFIXES"
    for name, value in vars(module).items():  # e.g. TOOLBAR_PREFIX = "map" for toolbar("map")
        if name.endswith("PREFIX") and name != "PREFIX":
            assert f"{value}-".startswith(module.PREFIX) or value.startswith(module.PREFIX), name
    for name, value in _constants(module).items():
        assert value.startswith(module.PREFIX), f"{page}_ids.{name} = {value!r}"


def _literal_ids(tree: ast.AST) -> list[tuple[int, str]]:
    """Ids written as literals: id="x", component_id=f"…", Input("x", …), {"type": "x"},
    ctx.triggered_id == "x"."""
    found = []

    def from_ids(node):  # f"{ids.ROW}{n}": a declared id, numbered per row
        head = node.values[0] if node.values else None
        return isinstance(head, ast.FormattedValue) and isinstance(head.value, ast.Attribute) \
            and isinstance(head.value.value, ast.Name) and head.value.value.id.endswith("ids")

    def is_text(node):
        return (isinstance(node, ast.JoinedStr) and not from_ids(node)) or (
            isinstance(node, ast.Constant) and isinstance(node.value, str))

    def dict_type(node):
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and k.value == "type" and is_text(v):
                    return True
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg and (kw.arg == "id" or kw.arg.endswith("_id")) \
                        and (is_text(kw.value) or dict_type(kw.value)):
                    found.append((node.lineno, ast.unparse(kw)))
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ID_CALLS and node.args and (is_text(node.args[0]) or dict_type(node.args[0])):
                found.append((node.lineno, ast.unparse(node)[:80]))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) \
                and node.left.attr == "triggered_id" and any(is_text(c) for c in node.comparators):
            found.append((node.lineno, ast.unparse(node)[:80]))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_pages_write_no_id_literals(page):
    tree = ast.parse((ROOT / "pages" / f"{page}.py").read_text(encoding="utf-8"))
    assert _literal_ids(tree) == [], f"pages/{page}.py: use constants of pages/{page}_ids.py"


def test_ids_components_make_are_declared():
    declared = _declared()
    undeclared = []
    for path in sorted((ROOT / "components").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "id" \
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
                    and node.value.value and node.value.value not in declared:
                undeclared.append(f"{path.name}: {node.value.value}")
    assert undeclared == [], "ids written in components but declared in no ids module"


def _parse(raw: str):
    return json.loads(raw) if raw.startswith("{") else raw


def _callback_ids(dependency: dict) -> list:
    ids = [_parse(i["id"]) for i in dependency["inputs"] + dependency["state"]]
    output = dependency["output"]
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return ids + [_parse(part.rsplit(".", 1)[0]) for part in parts]


def test_every_callback_id_is_declared():
    import dash._callback

    import app

    callbacks = dash._callback.GLOBAL_CALLBACK_LIST + app.app._callback_list
    assert len(callbacks) > 20, "the pages' callbacks are registered"
    declared = _declared()
    undeclared = set()
    for dep in callbacks:
        for cid in _callback_ids(dep):
            if isinstance(cid, dict):  # pattern-matching: its "type" (or a map's id) is declared
                if any(isinstance(v, list) for v in cid.values()):
                    continue  # a component's callback for all its instances (map_view: MATCH)
                if not any(isinstance(v, str) and v in declared for v in cid.values()):
                    undeclared.add(json.dumps(cid, sort_keys=True))
            elif not cid.startswith(DASH_OWN) and cid not in declared:
                undeclared.add(cid)
    assert sorted(undeclared) == [], "callback ids declared in no ids module"
