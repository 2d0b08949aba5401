"""Request validation: malformed input is refused with a 400 (or 404) and a short
message, logged and audited, before any page or callback code sees it.

Installed as the first ``before_request`` hook (ahead of the sign-in guard, so the
guard never parses a body that could crash it). It checks

- the path and every query/form value: no control characters, no repeated query
  parameter (``?area=TH50&area=TH10`` would reach a page as a list);
- a Dash callback body (``/_dash-update-component``): JSON no deeper than
  MAX_DEPTH, no control characters in any key or string (tab, newline and carriage
  return are allowed in text a person types), an ``output`` the app registered,
  exactly the inputs and states that callback declares, each naming the component
  and property the declaration names, wildcard (pattern-matching) id values that are
  short strings or integers and the same for every MATCH;
- ``/_dash-component-suites/`` paths: no encoded slash or backslash, no ``..``.

Callbacks that turn an id or value into a number use :func:`positive_int`, which
raises :class:`BadInput` (answered the same way) instead of a ValueError (a 500).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

import dash
import flask
from werkzeug.exceptions import BadRequest, NotFound

from chipao.domain.scope import PUBLIC
from chipao.settings import current
from chipao.web import auth
from queries import audit
from queries.db import scoped

log = logging.getLogger("chipao.requests")

MAX_DEPTH = 32  # Dash's own bodies nest ~8 deep (component trees in State)
MAX_ID_TEXT = 200
CALLBACK_PATH = "/_dash-update-component"
SUITES = "/_dash-component-suites/"
# C0 controls, DEL and C1 controls. In typed text (JSON strings) tab, LF and CR are
# ordinary; in paths, query strings, form fields and component ids nothing is.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SECRET_FIELDS = frozenset({"password", "csrf"})  # never logged, not even escaped


def escape(value: Any, limit: int = 200) -> str:
    """The value as printable text for logs: control characters as \\xNN, clipped."""
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    s = CONTROL_STRICT.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    return s if len(s) <= limit else s[:limit] + "…"


class BadInput(BadRequest):
    """A malformed request: answered 400 with `message`, logged and audited."""

    def __init__(self, reason: str, field: str, value: Any = None,
                 message: str = "คำขอไม่ถูกต้อง / Malformed request", secret: bool = False):
        super().__init__(description=message)
        self.reason, self.field, self.message = reason, field, message
        self.value = "(hidden)" if secret else escape(value)


class UnknownCallback(NotFound):
    def __init__(self, output: Any):
        super().__init__(description="ไม่มี callback นี้ / Unknown callback")
        self.reason, self.field, self.value = "unknown_callback", "output", escape(output)
        self.message = self.description


def positive_int(value: Any, field: str, maximum: int = 2**63 - 1) -> int:
    """An integer id from untrusted input (an int, or digits in a string), else BadInput."""
    if isinstance(value, bool):
        raise BadInput("not_an_id", field, value, "รหัสไม่ถูกต้อง / Invalid id")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= maximum:
        raise BadInput("not_an_id", field, value, "รหัสไม่ถูกต้อง / Invalid id")
    return value


# ── the pieces ───────────────────────────────────────────────────────────────
def _control(field: str, value: str, strict: bool = True) -> None:
    if (CONTROL_STRICT if strict else CONTROL).search(value):
        raise BadInput("control_character", field, value,
                       "ข้อมูลมีอักขระควบคุม / Control characters are not allowed",
                       secret=field in SECRET_FIELDS)


def check_query(query: str, field: str = "query") -> None:
    """A URL query string ('?a=1&b=2' or 'a=1&b=2'): no control character, no
    repeated parameter."""
    query = query[1:] if query.startswith("?") else query
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise BadInput("bad_encoding", field, query, "URL ไม่ใช่ UTF-8 / URL is not UTF-8") from None
    seen: set[str] = set()
    for key, value in pairs:
        _control(field, key)
        _control(f"{field}.{key}", value)
        if key in seen:
            raise BadInput("repeated_parameter", f"{field}.{key}", query,
                           f"พารามิเตอร์ {key} ซ้ำ / Parameter {key} given more than once")
        seen.add(key)


def _walk(node: Any, depth: int = 0) -> None:
    """Every key and string of a JSON value: depth and control characters."""
    if depth > MAX_DEPTH:
        raise BadInput("too_deep", "body", f"> {MAX_DEPTH} levels",
                       "ข้อมูลซ้อนลึกเกินไป / JSON nested too deeply")
    if isinstance(node, str):
        _control("body", node, strict=False)
    elif isinstance(node, list):
        for item in node:
            _walk(item, depth + 1)
    elif isinstance(node, dict):
        for key, item in node.items():
            _control("body key", key)
            _walk(item, depth + 1)


def parse_json_body(req: flask.Request) -> Any:
    """The request's JSON, parsed once (Flask caches it for Dash and the guard)."""
    data = req.get_data(cache=True)
    if not data:
        return None
    # A cheap bound before parsing: the C parser recurses once per bracket.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        raise BadInput("too_deep", "body", f"> {MAX_DEPTH} levels",
                       "ข้อมูลซ้อนลึกเกินไป / JSON nested too deeply")
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise BadInput("bad_json", "body", str(err), "JSON ไม่ถูกต้อง / Malformed JSON") from None
    _walk(body)
    req._cached_json = (body, body)  # what get_json() returns from here on
    return body


def _depth(data: bytes) -> int:
    """Maximum bracket nesting outside strings (a linear scan, bytes only)."""
    depth = best = 0
    in_str = esc = False
    for b in data:
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):
            depth += 1
            if depth > best:
                best = depth
                if best > MAX_DEPTH:
                    return best
        elif b in (0x5D, 0x7D):
            depth -= 1
    return best


WILDCARDS = ('["MATCH"]', '["ALL"]', '["ALLSMALLER"]')


def _spec_id(spec: str) -> str | dict:
    return json.loads(spec) if spec.startswith("{") else spec


def _id_matches(spec: str | dict, given: Any, matched: dict[str, Any], where: str) -> None:
    if isinstance(spec, str):
        if given != spec:
            raise BadInput("wrong_component", where, given)
        return
    if not isinstance(given, dict) or set(given) != set(spec):
        raise BadInput("wrong_component", where, given)
    for key, want in spec.items():
        value = given[key]
        if isinstance(want, list):  # a wildcard: MATCH, ALL, ALLSMALLER
            ok = (isinstance(value, str) and len(value) <= MAX_ID_TEXT) or (
                isinstance(value, int) and not isinstance(value, bool))
            if not ok:
                raise BadInput("bad_id_value", f"{where}.{key}", value)
            if isinstance(value, str):
                _control(f"{where}.{key}", value)
            if want == ["MATCH"]:
                if matched.setdefault(key, value) != value:
                    raise BadInput("match_mismatch", f"{where}.{key}", value)
        elif value != want:
            raise BadInput("wrong_component", where, given)


def _check_items(kind: str, given: Any, declared: list[dict], matched: dict) -> None:
    if not isinstance(given, list) or len(given) != len(declared):
        n = len(given) if isinstance(given, list) else type(given).__name__
        raise BadInput("wrong_arity", kind, n,
                       f"จำนวน {kind} ไม่ถูกต้อง / Wrong number of {kind} "
                       f"({n}, expected {len(declared)})")
    for i, (item, dep) in enumerate(zip(given, declared, strict=True)):
        spec = _spec_id(dep["id"])
        wild_all = isinstance(spec, dict) and any(v in (["ALL"], ["ALLSMALLER"])
                                                  for v in spec.values())
        entries = item if wild_all and isinstance(item, list) else [item]
        if wild_all and not isinstance(item, list):
            raise BadInput("wrong_shape", f"{kind}[{i}]", item)
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("property") != dep["property"]:
                raise BadInput("wrong_component", f"{kind}[{i}]", entry)
            _id_matches(spec, entry.get("id"), matched, f"{kind}[{i}]")


def check_callback(app: dash.Dash, body: Any) -> None:
    """The body names a registered callback with the inputs and states it declares."""
    if not isinstance(body, dict):
        raise BadInput("not_an_object", "body", type(body).__name__)
    output = body.get("output")
    if not isinstance(output, str) or output not in app.callback_map:
        raise UnknownCallback(output)
    cb = app.callback_map[output]
    if "callback" not in cb:  # a clientside callback: it runs in the browser, not here
        raise UnknownCallback(output)
    matched: dict[str, Any] = {}
    _check_items("inputs", body.get("inputs"), cb["inputs"], matched)
    _check_items("state", body.get("state", []), cb.get("state", []), matched)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadInput("wrong_shape", "changedPropIds", changed)
    outputs = body.get("outputs")
    if not isinstance(outputs, list | dict):
        raise BadInput("wrong_shape", "outputs", outputs)
    for entry in outputs if isinstance(outputs, list) else [outputs]:
        for e in entry if isinstance(entry, list) else [entry]:
            if not isinstance(e, dict) or not isinstance(e.get("property"), str):
                raise BadInput("wrong_shape", "outputs", e)
    # The page router renders the layout for its pathname/search: check those too.
    for entry in body["inputs"]:
        if isinstance(entry, dict) and entry.get("id") == "_pages_location":
            value = entry.get("value")
            if value is not None and not isinstance(value, str):
                raise BadInput("wrong_shape", f"_pages_location.{entry.get('property')}", value)
            if entry.get("property") == "search" and value:
                check_query(value, "search")
            elif entry.get("property") in ("pathname", "href") and value:
                _control(f"_pages_location.{entry['property']}", value)


def check_suites_path(raw_path: str) -> None:
    """Static component files: plain relative paths only (no encoded separators)."""
    low = raw_path.lower()
    if "%2f" in low or "%5c" in low or "\\" in raw_path or "/../" in raw_path + "/" \
            or "/./" in raw_path:
        raise NotFound()


def check_input(app: dash.Dash) -> None:
    """Before the guard: nothing the guard or Dash parses can crash them (control
    characters, repeated parameters, encoded separators, unparseable or deep JSON)."""
    req = flask.request
    raw = req.environ.get("RAW_URI") or req.environ.get("REQUEST_URI") or ""
    raw_path = raw.split("?", 1)[0] or req.environ.get("PATH_INFO", "")
    if req.path.startswith(SUITES):
        check_suites_path(raw_path or req.path)
    _control("path", req.path)
    check_query(req.query_string.decode("latin-1"))
    if req.method == "POST" and req.mimetype == "application/x-www-form-urlencoded":
        for key, value in req.form.items(multi=True):
            _control(key, key)
            _control(key, value, strict=key not in SECRET_FIELDS)
    if req.path == CALLBACK_PATH and req.method == "POST":
        body = parse_json_body(req)
        try:
            check_shape(body)
        except BadInput:
            if _who() is PUBLIC and not current().security.public_aggregates:
                return  # not signed in: the guard answers 401 without reading the body
            raise


def _entries(value: Any, where: str) -> None:
    """A list of {id, property[, value]} dicts (or lists of them: ALL wildcards)."""
    if not isinstance(value, list):
        raise BadInput("wrong_shape", where, value)
    for item in value:
        for entry in item if isinstance(item, list) else [item]:
            if not isinstance(entry, dict) or not isinstance(entry.get("property"), str) \
                    or not isinstance(entry.get("id"), str | dict):
                raise BadInput("wrong_shape", where, entry)


def check_shape(body: Any) -> None:
    """The shape every callback body has (whatever the callback): what the guard reads
    to find the pages a callback touches must be there with the right types."""
    if not isinstance(body, dict):
        raise BadInput("not_an_object", "body", type(body).__name__)
    if not isinstance(body.get("output"), str):
        raise BadInput("wrong_shape", "output", body.get("output"))
    _entries(body.get("inputs"), "inputs")
    _entries(body.get("state", []), "state")
    outputs = body.get("outputs")
    _entries(outputs if isinstance(outputs, list) else [outputs], "outputs")
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadInput("wrong_shape", "changedPropIds", changed)


def check_callback_request(app: dash.Dash) -> None:
    """After the guard (so an unknown or refused caller gets 401/403 first): the body
    is a callback the app registered, with the inputs and states it declares."""
    req = flask.request
    if req.path == CALLBACK_PATH and req.method == "POST":
        check_callback(app, req.get_json(silent=True))


# ── answering and recording a refusal ───────────────────────────────────────
def _who():
    """The requester's scope for the audit row: the guard's, if it ran; otherwise the
    session's user (this hook runs before the guard), else the anonymous public scope."""
    scope = flask.g.get("scope")
    if scope is not None:
        return scope
    try:
        user = auth.signed_in_user()
    except Exception:  # noqa: BLE001 - an unreadable session is just anonymous here
        log.debug("no session user for a refused request", exc_info=True)
        user = None
    return user.scope if user is not None else PUBLIC


def refuse(err: BadInput | UnknownCallback):
    """Log and audit a malformed request; answer 400/404 JSON with a short message."""
    req = flask.request
    details = {"reason": err.reason, "field": err.field, "value": err.value,
               "method": req.method}
    log.warning("refused %s %s: %s in %s: %s", req.method, escape(req.path), err.reason,
                err.field, err.value)
    try:
        scope = _who()
        with scoped(scope) as conn:
            audit.record(conn, scope, "refused", escape(req.path, 300), details)
    except Exception:  # noqa: BLE001 - the answer must not become a 500 because of the log
        log.exception("could not audit a refused request")
    code = 404 if isinstance(err, NotFound) else 400
    return flask.jsonify(error="bad_request" if code == 400 else "not_found",
                         message=err.message), code


def install(app: dash.Dash) -> None:
    """First before_request hook (ahead of the guard) and the refusal handler."""
    server: flask.Flask = app.server

    def input_hook():
        check_input(app)

    def callback_hook():
        check_callback_request(app)

    hooks = server.before_request_funcs.setdefault(None, [])
    # around the guard (after Dash's one-time set-up, which builds callback_map)
    at = hooks.index(auth.guard) if auth.guard in hooks else 0
    hooks.insert(at + 1, callback_hook)
    hooks.insert(at, input_hook)
    server.register_error_handler(BadInput, refuse)
    server.register_error_handler(UnknownCallback, refuse)
