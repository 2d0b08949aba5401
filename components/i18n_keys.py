"""Which interface-string keys the code uses, found by reading its syntax (no import).

Used by the catalogue test (tests/unit/test_strings.py) and as Babel's extractor in
``make i18n`` (babel.cfg), so both agree on what "used" means:

- ``t("map.title", …)``: a key used literally (it must be in both catalogues);
- ``t(f"plans.status.{s}", …)`` or any f-string that starts like a key
  (``f"service.{code}"``): a pattern; catalogue keys it matches are used;
- any other string constant equal to a catalogue key (``LEVEL_KEYS = {1: "map.level.1"}``
  then ``t(LEVEL_KEYS[n])``): that key is used;
- a string constant that is a key prefix ending in a dot (``_label("ptype.", code)``,
  which looks up ``"ptype." + code``): every key under it is used;
- in Jinja templates, ``t('map.rank')``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# where interface strings are used (tests and bench are not the interface)
SOURCES = ("app.py", "pages", "components", "chipao")
TEMPLATES = ("chipao/briefs/templates",)
KEY_PREFIX = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.$")  # "plans.status."
TEMPLATE_CALL = re.compile(r"""\bt\(\s*(['"])([^'"]+)\1""")


@dataclass
class Uses:
    """What one or more files use: literal keys, key patterns, other string constants
    (each with the places it occurs)."""
    keys: dict[str, list[str]] = field(default_factory=dict)
    patterns: dict[str, list[str]] = field(default_factory=dict)  # t(f"…") regex → places
    prefixes: dict[str, list[str]] = field(default_factory=dict)  # other key-like f"…", "x."
    constants: set[str] = field(default_factory=set)

    def add(self, kind: str, value: str, where: str) -> None:
        if kind == "constant":
            self.constants.add(value)
        else:
            getattr(self, kind).setdefault(value, []).append(where)

    def used(self, key: str) -> bool:
        return (key in self.keys or key in self.constants
                or any(re.fullmatch(p, key) for p in (*self.patterns, *self.prefixes)))


def _is_t(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Name) and f.id == "t") or (isinstance(f, ast.Attribute) and f.attr == "t")


def _pattern(node: ast.expr) -> str | None:
    """A regex for an f-string (or "literal" + x), or None if it has no literal head."""
    if isinstance(node, ast.JoinedStr):
        parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[^ ]+" for v in node.values]
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
            and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
        return re.escape(node.left.value) + "[^ ]+"
    return None


def _head(node: ast.JoinedStr) -> str:
    first = node.values[0] if node.values else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""


def scan_python(source: str, where: str) -> Iterator[tuple[str, str, int]]:
    """(kind, value, line): kind is "keys", "patterns" (in t()), "prefixes" or "constant"."""
    tree = ast.parse(source)
    in_t: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_t(node) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                in_t.add(id(arg))
                yield "keys", arg.value, arg.lineno
            elif (p := _pattern(arg)) is not None:
                in_t.add(id(arg))
                yield "patterns", p, arg.lineno
    for node in ast.walk(tree):
        if id(node) in in_t:
            continue
        if isinstance(node, ast.JoinedStr) and KEY_PREFIX.match(_head(node)):
            yield "prefixes", _pattern(node) or "", node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if KEY_PREFIX.match(node.value):
                yield "prefixes", re.escape(node.value) + "[^ ]+", node.lineno
            else:
                yield "constant", node.value, node.lineno


def scan_template(source: str) -> Iterator[tuple[str, str, int]]:
    for n, line in enumerate(source.splitlines(), 1):
        for m in TEMPLATE_CALL.finditer(line):
            yield "keys", m.group(2), n


def source_files(root: Path = ROOT) -> Iterator[Path]:
    for name in SOURCES:
        path = root / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))
    for name in TEMPLATES:
        yield from sorted((root / name).rglob("*.html"))


def scan(files: Iterable[Path] | None = None, root: Path = ROOT) -> Uses:
    uses = Uses()
    for path in files if files is not None else source_files(root):
        text = path.read_text(encoding="utf-8")
        found = scan_template(text) if path.suffix == ".html" else scan_python(text, str(path))
        for kind, value, line in found:
            uses.add(kind, value, f"{path.relative_to(root)}:{line}")
    return uses


# ── Babel extraction methods (babel.cfg) ──────────────────────────────────────
def _known_keys() -> set[str]:
    from babel.messages.pofile import read_po  # only `make i18n` needs it here

    keys: set[str] = set()
    for po in (ROOT / "locale").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            keys |= {m.id for m in read_po(f) if m.id}
    return keys


def _messages(found: Iterable[tuple[str, str, int]]) -> Iterator[tuple[int, str, str, list[str]]]:
    known = _known_keys()
    for kind, value, line in found:
        if kind == "keys" or (kind == "constant" and value in known):
            yield line, None, value, []
        elif kind in ("patterns", "prefixes"):
            for key in sorted(k for k in known if re.fullmatch(value, k)):
                yield line, None, key, []


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel extractor for our .py files: the keys `scan_python` finds."""
    yield from _messages(scan_python(fileobj.read().decode("utf-8"), "?"))


def extract_template(fileobj, keywords, comment_tags, options):
    """Babel extractor for the brief's Jinja templates: t('key')."""
    yield from _messages(scan_template(fileobj.read().decode("utf-8")))
