"""Sign-in, the global access guard, security headers and the origin/CSRF checks.

Every request passes :func:`guard` (installed first among the Flask
``before_request`` hooks), whatever serves it: Dash pages, the ``/_dash-*`` layout and
callback endpoints, ``/geo`` geometry, downloads. Only static files and the sign-in
page are open. Identity is the user id and session version in the signed session
cookie; the user, role and areas are reloaded from the store on every request, so a
disabled or locked account loses access at once.

Which role may open which page is decided here and nowhere else (:data:`PAGE_ROLES`),
for the page itself and for the Dash callbacks that fill it (component ids are
page-prefixed, :data:`CALLBACK_PREFIXES`). Row-level security in PostgreSQL is the
second wall behind this one.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import dash
import flask
import jinja2
from flask.sessions import SecureCookieSessionInterface

from chipao.domain.passwords import verify_password
from chipao.domain.scope import PUBLIC, RECORD_ROLES, SYSTEM, Role, Scope
from chipao.settings import current
from chipao.web.lang import current_lang
from chipao.web.session import note_write
from queries import audit, sessions, users
from queries.db import owner, scoped

log = logging.getLogger("chipao.web.auth")

LOGIN_PATH, LOGOUT_PATH = "/login", "/logout"
MAX_FAILURES = 5  # consecutive failures that lock an account …
LOCK_MINUTES = 15  # … for this long
SESSION_LIFETIME = timedelta(hours=8)  # absolute: the cookie is not refreshed per request
SESSION_COOKIE = "chipao_session"
SESSION_TOKEN = "sid"  # cookie key: the token of the database's session (queries/sessions.py)
# Dash's renderer copies this cookie into this header on every callback request
# (Dash's csrf_token_name / csrf_header_name defaults): a double-submit CSRF token.
CSRF_COOKIE, CSRF_HEADER = "_csrf_token", "X-CSRFToken"
TEMPLATES = Path(__file__).resolve().parent / "templates"

# ── who may open what ────────────────────────────────────────────────────────
SIGNED_IN_ROLES = frozenset(r for r in Role if r != Role.SYSTEM)
RECORDS = frozenset(RECORD_ROLES)
PAGE_ROLES: dict[str, frozenset[Role]] = {
    "/": SIGNED_IN_ROLES,  # national overview: aggregates only
    "/map": SIGNED_IN_ROLES,  # MPI maps: aggregates only
    "/plans": RECORDS | {Role.EXECUTIVE},  # progress aggregates (+ records, RLS-filtered)
    "/plans/household": RECORDS,  # one household's plan items and the update form
    "/centres": RECORDS | {Role.EXECUTIVE},  # coverage and the planner
    "/households": RECORDS,  # household lists and /households/<id> records: personal data
    "/admin": frozenset({Role.ADMIN}),  # users and the audit log
}
# Pages an anonymous visitor may open when CHIPAO_PUBLIC_AGGREGATES=1 (as PUBLIC).
PUBLIC_PAGES = frozenset({"/", "/map"})
# Component-id prefix → page whose callbacks they belong to.
# The longest matching prefix wins ("plans-item-" before "plans-").
CALLBACK_PREFIXES: dict[str, str] = {
    "overview-": "/", "map-": "/map", "plans-": "/plans", "centres-": "/centres",
    "plans-item-": "/plans/household",  # the plan-item form (record roles only)
    "hh-": "/households", "rec-": "/households", "admin-": "/admin",
}
SHARED_PREFIXES = ("shell-", "_pages_")  # the frame around every page
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")  # static files, no data
OPEN_PATHS = frozenset({LOGIN_PATH, "/_favicon.ico", "/favicon.ico"})
DASH_INFRA = frozenset({"/_dash-layout", "/_dash-dependencies", "/_reload-hash"})
AGGREGATE_PREFIXES = ("/geo/",)  # boundary geometry: no personal data
CALLBACK_PATH = "/_dash-update-component"
ROUTER_OUTPUT = "_pages_content"  # Dash's page container: the router renders layouts into it
SHARED = "shared"

# Downloads served by Flask views (not Dash pages): each belongs to the page whose roles
# may fetch it. A view registered with :func:`add_download` names its page; a view
# defined in a Dash page's module belongs to that page; any other route under these
# prefixes is refused to everyone (a forgotten export is closed, not open).
DOWNLOAD_PREFIXES = ("/export/", "/briefs/")
_DOWNLOAD_PAGES: dict[str, str] = {}  # Flask endpoint → PAGE_ROLES entry


def add_download(server: flask.Flask, rule: str, endpoint: str, view: Any, page: str) -> None:
    """Register a download route (under DOWNLOAD_PREFIXES) for the roles of `page`."""
    if page not in PAGE_ROLES:
        raise ValueError(f"unknown page {page!r} for download {rule}")
    if not rule.startswith(DOWNLOAD_PREFIXES):
        raise ValueError(f"download routes live under {DOWNLOAD_PREFIXES}: {rule}")
    _DOWNLOAD_PAGES[endpoint] = page
    server.add_url_rule(rule, endpoint, view)


def download_page(server: flask.Flask, endpoint: str | None) -> str | None:
    """The page a download route belongs to (see DOWNLOAD_PREFIXES), or None."""
    if endpoint is None:
        return None
    if endpoint in _DOWNLOAD_PAGES:
        return _DOWNLOAD_PAGES[endpoint]
    view = server.view_functions.get(endpoint)
    entry = dash.page_registry.get(getattr(view, "__module__", None) or "")
    return page_for_path(entry["path"]) if entry else None


def page_for_path(path: str) -> str | None:
    """The PAGE_ROLES entry a URL path belongs to ('/households/x' → '/households')."""
    if path == "/":
        return "/"
    path = path.rstrip("/")
    for page in sorted(PAGE_ROLES, key=len, reverse=True):
        if page != "/" and (path == page or path.startswith(page + "/")):
            return page
    return None


def allowed_paths(role: Role | None) -> frozenset[str]:
    """Pages this role may open (None: an anonymous visitor under public aggregates)."""
    if role is None:
        return PUBLIC_PAGES
    return frozenset(p for p, roles in PAGE_ROLES.items() if role in roles)


def page_for_component(cid: Any) -> str | None:
    """Page of a component id by its prefix; SHARED for the shell; None when unknown."""
    if isinstance(cid, dict):
        cid = cid.get("type")
    if not isinstance(cid, str):
        return None
    if cid.startswith(SHARED_PREFIXES):
        return SHARED
    for prefix in sorted(CALLBACK_PREFIXES, key=len, reverse=True):
        if cid.startswith(prefix):
            return CALLBACK_PREFIXES[prefix]
    return None


class MalformedCallback(ValueError):
    """A callback request Dash could not dispatch as sent (unknown output, inputs that
    do not fit the callback's declaration): refused before Dash sees it."""


def _output_ids(output: str) -> list[Any]:
    """Component ids named in a callback's output string ('a.b' or '..a.b...c.d..')."""
    ids: list[Any] = []
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    for part in parts:
        cid = part.split("@", 1)[0].rsplit(".", 1)[0]
        if cid.startswith("{"):
            try:
                cid = json.loads(cid)
            except ValueError:
                pass
        ids.append(cid)
    return ids


def _component_ids(body: dict) -> list[Any]:
    """Output ids of a callback request, from both `output` (which Dash dispatches on)
    and `outputs` (which shapes the answer), so neither can be forged alone."""
    out = body.get("output")
    ids: list[Any] = _output_ids(out) if isinstance(out, str) else []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict) and "id" in node:
            ids.append(node["id"])

    walk(body.get("outputs"))
    return ids


def _dependency_values(spec: dict, body: dict) -> list[Any]:
    """The argument values Dash will pass to the callback, by position: Dash ignores the
    ids and property names in the request's `inputs`/`state` and takes the values in
    order (dash._utils.inputs_to_vals), then groups them by the callback's declared
    `inputs_state_indices`. Anything that Dash could not map this way is malformed."""
    sent = (body.get("inputs") or []) + (body.get("state") or [])
    declared = (spec.get("inputs") or []) + (spec.get("state") or [])
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise MalformedCallback("the inputs do not match the callback")
    values = []
    for item in sent:
        if isinstance(item, dict):
            values.append(item.get("value"))
        elif isinstance(item, list) and all(isinstance(i, dict) for i in item):
            values.append([i.get("value") for i in item])
        else:
            raise MalformedCallback("an input is neither an object nor a list of objects")
    return values


def routed_page(app: dash.Dash, path: Any) -> str:
    """The PAGE_ROLES entry whose layout Dash's page router renders for `path`, found
    the way the router finds it (strip_relative_path, then the registry's paths and
    path templates); SHARED for Dash's not-found page."""
    from dash._pages import _path_to_page  # the router's own lookup, not a copy

    if not isinstance(path, str):
        raise MalformedCallback("the page path is not text")
    entry, _ = _path_to_page(app.strip_relative_path(path))
    if not entry:
        return SHARED
    return page_for_path(entry.get("path") or "/") or SHARED


def _routed_paths(spec: dict, values: list[Any]) -> list[Any]:
    """Values the callback receives as a location's pathname (or href, reduced to its
    path): what a page router renders a layout for. Positions come from the callback's
    declaration, never from the names in the request."""
    declared = (spec.get("inputs") or []) + (spec.get("state") or [])
    paths = []
    for dep, value in zip(declared, values, strict=True):
        if dep.get("property") == "pathname":
            paths.append(value)
        elif dep.get("property") == "href":
            paths.append(urlsplit(value).path if isinstance(value, str) else value)
    return paths


def callback_pages(body: dict, app: dash.Dash | None = None) -> set[str | None]:
    """Pages a callback request touches (None for an id that follows no convention).

    With the app, the callback that Dash will run is the one registered for
    `body["output"]` (an unknown one, or inputs that do not fit it, are malformed);
    the ids in `output` and in `outputs` both count. A callback that renders page
    content (the page router writes `_pages_content`) belongs to the page of the path
    it receives — read by position, as Dash passes it, whatever the request calls
    that input."""
    spec = None
    if app is not None:
        output = body.get("output")
        spec = app.callback_map.get(output) if isinstance(output, str) else None
        if spec is None:
            raise MalformedCallback("unknown callback output")
    ids = _component_ids(body)  # `output` is the callback map's key: what Dash runs
    pages = {page_for_component(cid) for cid in ids if cid != ROUTER_OUTPUT}
    if spec is None:
        return pages | ({SHARED} if ROUTER_OUTPUT in ids else set())
    values = _dependency_values(spec, body)
    if ROUTER_OUTPUT in ids:
        paths = _routed_paths(spec, values)
        if not paths:
            raise MalformedCallback("content without a path")
        pages |= {routed_page(app, p) for p in paths}
    return pages


# ── the signed-in user ───────────────────────────────────────────────────────
@dataclass(frozen=True)
class SignedInUser:
    user_id: int
    username: str
    display_name: str
    role: Role
    areas: tuple[str, ...]
    names_th: tuple[str, ...]
    names_en: tuple[str, ...]
    session: str | None = None  # the token the database verifies (queries/sessions.py)

    @property
    def scope(self) -> Scope:
        return Scope(self.username, self.role, self.areas, session=self.session)


def _load_user() -> SignedInUser | None:
    """The session's user if still valid: exists, enabled, not locked, same session
    version. Anything else clears the session."""
    uid, ver = flask.session.get("uid"), flask.session.get("ver")
    token = flask.session.get(SESSION_TOKEN)
    if not isinstance(uid, int) or not isinstance(ver, int) or not isinstance(token, str):
        return None
    with scoped(Scope(PUBLIC.username, PUBLIC.role, session=token)) as conn:
        # the database says whose token this is (expired, revoked, disabled or locked:
        # nobody's); the cookie's user id must agree
        owner_id = sessions.session_user(conn)
        rec = users.get_user(conn, PUBLIC, uid) if owner_id == uid else None
    now = time.time()
    if (rec is None or rec.disabled or rec.session_version != ver or rec.role == Role.SYSTEM
            or (rec.locked_until is not None and rec.locked_until.timestamp() > now)):
        flask.session.clear()
        return None
    return SignedInUser(rec.user_id, rec.username, rec.display_name, rec.role, rec.areas,
                        rec.names_th, rec.names_en, token)


def signed_in_user() -> SignedInUser | None:
    """The signed-in user of this request, for code that runs around the guard (the
    refusal handler of chipao/web/request_checks.py runs before it): the guard's answer
    when it ran, else the session's user checked the same way (store and database
    session), else None. Never trusts the cookie alone."""
    if "user" in flask.g:
        return flask.g.user
    return _load_user()


def _client_ip() -> str | None:
    return flask.request.remote_addr


def _wants_html() -> bool:
    req = flask.request
    return (req.method == "GET" and not req.path.startswith(("/_dash-", "/geo/"))
            and "text/html" in req.headers.get("Accept", "text/html"))


def _refuse_anonymous():
    if _wants_html():
        nxt = flask.request.full_path.rstrip("?")
        return flask.redirect(f"{LOGIN_PATH}?{urlencode({'next': nxt})}")
    return flask.jsonify(error="unauthenticated",
                         message="กรุณาเข้าสู่ระบบ / Please sign in"), 401


def _audit_refusal(page: str | None, reason: str) -> None:
    scope: Scope = flask.g.scope
    with scoped(scope) as conn:
        audit.record(conn, scope, "refused", flask.request.path,
                     {"page": page, "reason": reason, "method": flask.request.method},
                     _client_ip())


def _refuse_forbidden(page: str | None, reason: str):
    if flask.g.get("user") is not None:  # probing by an account is worth a trace
        _audit_refusal(page, reason)
    if _wants_html():
        return _render("refused.html", lang=_lang()), 403
    return flask.jsonify(error="forbidden",
                         message="ไม่มีสิทธิ์เข้าถึง / Not permitted for your role"), 403


def _same_origin() -> bool:
    """POSTs must come from our own pages: Origin (or, failing that, Referer) names
    this host. Browsers send Origin on every cross-site POST."""
    req = flask.request
    source = req.headers.get("Origin") or req.headers.get("Referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc.lower() == req.host.lower()


def _csrf_token() -> str:
    token = flask.session.get("csrf")
    if not isinstance(token, str):
        token = flask.session["csrf"] = secrets.token_urlsafe(32)
    return token


def _token_ok(given: str | None) -> bool:
    expected = flask.session.get("csrf")
    return bool(given) and isinstance(expected, str) and hmac.compare_digest(given, expected)


JOBS_KEY = "jobs"  # session key: background-callback handles this session was given
MAX_JOBS = 16


def _foreign_job_handle() -> str | None:
    """Which handle of a background-callback poll (`?cacheKey=…&job=…`) this session
    was not given, if any. Dash signs its handles per page load; this binds them to
    the session (and so to the user) that started the job, in every worker: the
    handles travel in the signed session cookie."""
    args = flask.request.args
    mine = flask.session.get(JOBS_KEY) or []
    for name in ("cacheKey", "job"):
        value = args.get(name)
        if value is not None and not any(
                isinstance(h, list) and h[["cacheKey", "job"].index(name)] == value
                for h in mine):
            return name
    return None


def _remember_job(response: flask.Response) -> None:
    """After a callback started a background job, note its handles in the session."""
    req = flask.request
    if (req.path != CALLBACK_PATH or "cacheKey" in req.args or response.status_code != 200
            or not response.is_json or response.direct_passthrough):
        return
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("cacheKey"), str):
        handles = [h for h in flask.session.get(JOBS_KEY) or [] if isinstance(h, list)]
        flask.session[JOBS_KEY] = [*handles[-(MAX_JOBS - 1):],
                                   [data["cacheKey"], str(data.get("job", ""))]]


def _refuse_pages(pages: set[str | None], user: SignedInUser | None):
    """A refusal if the request touches a page this session may not open, else None."""
    for page in pages:
        if page == SHARED or (page is None and user is not None):
            continue
        if page not in flask.g.allowed_paths:
            return _refuse_anonymous() if user is None else _refuse_forbidden(page, "callback")
    return None


def guard():
    """The before_request hook: open static files, otherwise identify and authorise."""
    req = flask.request
    path = req.path
    if path.startswith(OPEN_PREFIXES) or (path in OPEN_PATHS and req.method != "POST"):
        return None
    if req.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        return flask.jsonify(error="bad_origin",
                             message="คำขอจากต่างโดเมน / Cross-origin request refused"), 403
    if path == LOGIN_PATH:  # POST: the view checks the form's CSRF token
        return None

    user = _load_user()
    public = user is None and current().security.public_aggregates
    flask.g.user = user
    flask.g.scope = user.scope if user else PUBLIC
    flask.g.allowed_paths = allowed_paths(user.role if user else None)
    if path == LOGOUT_PATH:
        return None
    if user is None and not public:
        return _refuse_anonymous()
    if req.method == "GET":
        _csrf_token()  # public visitors get their callback token with the first page

    if path == CALLBACK_PATH:
        if not _token_ok(req.headers.get(CSRF_HEADER)):
            return flask.jsonify(error="csrf", message="โปรดโหลดหน้าใหม่ / Reload the page"), 403
        body = req.get_json(silent=True)
        if not isinstance(body, dict):
            return flask.jsonify(error="bad_request"), 400
        handle = _foreign_job_handle()
        if handle is not None:  # a background job's result: only its starter may poll
            if user is not None:
                _audit_refusal(None, f"background job of another session ({handle})")
            return flask.jsonify(error="forbidden",
                                 message="ไม่ใช่งานของคุณ / Not a job you started"), 403
        # first the pages the request names (a forged id is refused as such), then the
        # callback Dash will really run, with the path its router really receives
        refused = _refuse_pages(callback_pages(body), user)
        if refused is not None:
            return refused
        try:
            pages = callback_pages(body, flask.current_app.extensions["chipao.dash"])
        except MalformedCallback as err:
            log.warning("malformed callback refused (%s): output=%.200r", err, body.get("output"))
            if user is not None:
                _audit_refusal(None, f"malformed callback: {err}")
            return flask.jsonify(error="bad_request", message=str(err)), 400
        return _refuse_pages(pages, user)
    if path in DASH_INFRA or path.startswith(AGGREGATE_PREFIXES):
        return None
    if path.startswith(DOWNLOAD_PREFIXES):
        if user is None:  # anonymous visitors download nothing (public pages only)
            return _refuse_anonymous()
        page = download_page(flask.current_app, req.endpoint)
        if page is None:
            log.warning("download route %s (%s) belongs to no page: refused; register it "
                      "with chipao.web.auth.add_download", path, req.endpoint)
            return _refuse_forbidden(None, "download without a page")
        if page not in flask.g.allowed_paths:
            return _refuse_forbidden(page, "download")
        return None
    page = page_for_path(path)
    if page is not None and page not in flask.g.allowed_paths:
        return _refuse_anonymous() if user is None else _refuse_forbidden(page, "page")
    if page is None and user is None:  # anonymous visitors get the public pages only
        return _refuse_anonymous()
    return None


# ── sign-in and sign-out ─────────────────────────────────────────────────────
_jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _lang() -> str:
    return current_lang()


def _render(name: str, **ctx: Any) -> str:
    return _jinja.get_template(name).render(**ctx)


def _safe_next(target: object) -> str:
    """A same-origin path to go back to after signing in, else '/'. Never an open
    redirect: browsers drop tabs and newlines inside URLs and read '\\' as '/', so
    '/\t/evil.example' would become '//evil.example' (another site). Refused: anything
    but a string starting with one '/', any control or whitespace character, '\\',
    '//', a scheme or a host — checked on the text as given and percent-decoded once
    (and NFKC-normalised, which folds look-alike slashes)."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2048:
        return "/"
    for form in (target, unquote(target)):
        for text in (form, unicodedata.normalize("NFKC", form)):
            if "\\" in text or "//" in text or any(
                    unicodedata.category(c)[0] in "CZ" for c in text):
                return "/"
            parts = urlsplit(text)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                return "/"
    if urlsplit(target).path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return target


def failure_seconds() -> float:
    """How long after it began every failed sign-in answers (seconds), whatever the
    reason — unknown name, wrong password, locked or disabled account — so the time
    tells nothing about which accounts exist or are locked; it also slows guessing."""
    return float(os.environ.get("CHIPAO_LOGIN_FAILURE_SECONDS", "1.0"))


def _login_form(error: str | None = None, username: str = "", status: int = 200):
    nxt = _safe_next(flask.request.values.get("next"))
    html = _render("login.html", csrf=_csrf_token(), error=error, username=username, next=nxt,
                   lang=_lang(), max_failures=MAX_FAILURES, lock_minutes=LOCK_MINUTES)
    return flask.Response(html, status=status, mimetype="text/html")


def login_view():
    req = flask.request
    if req.method == "GET":
        if _load_user() is not None:
            return flask.redirect(_safe_next(req.args.get("next")))
        return _login_form()
    if not _token_ok(req.form.get("csrf")):
        return _login_form("expired", status=400)
    started = time.monotonic()
    username = (req.form.get("username") or "").strip().lower()[:64]
    password = (req.form.get("password") or "")[:1024]
    ok, _failures = _attempt(username, password)
    if not ok:
        # every failure answers at the same moment after it began (if the work took
        # longer, e.g. under load, it answers when done: no branch is faster than another)
        time.sleep(max(0.0, started + failure_seconds() - time.monotonic()))
        return _login_form("failed", username=username, status=401)
    return flask.redirect(_safe_next(req.form.get("next")))


def _attempt(username: str, password: str) -> tuple[bool, int]:
    """Check one sign-in; audit it; on success start a fresh session.
    Returns (signed in, consecutive failures so far)."""
    ip = _client_ip()
    with scoped(PUBLIC) as conn:
        rec = users.get_user_by_name(conn, PUBLIC, username) if username else None
        if rec is None or rec.disabled or rec.role == Role.SYSTEM:
            verify_password(None, password)  # same cost as a real check
            # an attempted name is kept only if it could be a username (not a password
            # typed into the wrong field)
            named = rec is not None or users.USERNAME_RE.fullmatch(username) is not None
            actor = Scope(username if named else "(invalid)", rec.role if rec else Role.PUBLIC)
            audit.record(conn, actor, "signin_failed", None,
                         {"reason": "disabled" if rec else "unknown_user"}, ip)
            return False, 1
        actor = rec.scope()
        # the hash is verified whatever happens next, so a locked account costs as much
        # as an unlocked one (and as an unknown name: the dummy hash above)
        # (the hash is read as the owner role: the dashboard's role cannot read hashes,
        # so SQL injected anywhere else cannot take them offline; migration 0013)
        with owner() as hashes:
            stored = users.password_hash(hashes, SYSTEM, rec.user_id)
        matches = verify_password(stored, password)
        if users.is_locked(conn, PUBLIC, rec.user_id):
            audit.record(conn, actor, "signin_failed", None, {"reason": "locked"}, ip)
            return False, MAX_FAILURES
        if not matches:
            failures, locked_until = users.record_failure(conn, PUBLIC, rec.user_id,
                                                          MAX_FAILURES, LOCK_MINUTES)
            audit.record(conn, actor, "signin_failed", None,
                         {"reason": "bad_password", "failures": failures,
                          "locked_until": locked_until}, ip)
            return False, failures
        users.record_success(conn, PUBLIC, rec.user_id)
        audit.record(conn, actor, "signin", None, {}, ip)
    # The session the database will verify for every personal read: opened by the owner
    # role (the dashboard's role cannot open one), after the password was checked.
    with owner() as conn:
        sessions.purge_expired(conn, SYSTEM)
        token = sessions.open_session(conn, SYSTEM, user_id=rec.user_id, username=rec.username,
                                      role=rec.role, lifetime=SESSION_LIFETIME)
    flask.session.clear()  # a new session (and CSRF token) at each sign-in: no fixation
    flask.session.permanent = True
    flask.session["uid"] = rec.user_id
    flask.session["ver"] = rec.session_version
    flask.session[SESSION_TOKEN] = token
    note_write()  # read replicas serve this user once they have the new session
    _csrf_token()
    return True, 0


def logout_view():
    """Sign out: a POST carrying the session's CSRF token (the navigation's sign-out
    button is a form). A GET (a link, an ``<img src=/logout>`` on another site) ends
    nothing and goes to the home page."""
    req = flask.request
    user: SignedInUser | None = flask.g.get("user")
    if user is None:  # nothing to end
        return flask.redirect(LOGIN_PATH)
    if req.method != "POST":
        return flask.redirect("/")
    if not _token_ok(req.form.get("csrf")):
        return flask.jsonify(error="csrf", message="โปรดโหลดหน้าใหม่ / Reload the page"), 403
    with scoped(user.scope) as conn:
        sessions.end_session(conn, everywhere=True)  # the database's sessions of the user
        users.bump_session_version(conn, user.scope, user.user_id)  # ends every session
        audit.record(conn, user.scope, "signout", None, {}, _client_ip())
    flask.session.clear()
    return flask.redirect(LOGIN_PATH)


def csrf_token() -> str:
    """This session's CSRF token, for forms the app renders (the sign-out button)."""
    return _csrf_token()


# ── response hardening ───────────────────────────────────────────────────────
def _origin_of(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(app: dash.Dash) -> str:
    """No inline script and no eval: Dash's own inline scripts (the renderer start-up and
    any inline clientside callbacks) are allowed by their hashes only; neither Dash,
    Plotly's charts nor MapLibre's CSP build need eval (tests/test_map_page.py)."""
    tiles = _origin_of(current().services.tile_url)
    hashes = " ".join(app.csp_hashes())
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {hashes}".strip(),
        "style-src 'self' 'unsafe-inline'",  # Dash and Plotly set inline styles
        f"img-src 'self' data: blob: {tiles}".strip(),
        "font-src 'self' data:",
        f"connect-src 'self' {tiles}".strip(),
        "worker-src 'self'",  # the map component's worker is a served file (CSP build)
        "child-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _secure_cookies() -> bool:
    return current().security.production or flask.request.is_secure


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure when served over https or in production."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        return _secure_cookies()


def _harden(app: dash.Dash, response: flask.Response) -> flask.Response:
    _remember_job(response)
    h = response.headers
    h["Content-Security-Policy"] = content_security_policy(app)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Permissions-Policy"] = ("geolocation=(), camera=(), microphone=(), payment=(), usb=(), "
                               "interest-cohort=()")
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if _secure_cookies():
        h["Strict-Transport-Security"] = "max-age=31536000"
    if not flask.request.path.startswith(OPEN_PREFIXES + AGGREGATE_PREFIXES):
        h["Cache-Control"] = "no-store"  # pages and data may be personal
    # (boundary geometry keeps its own caching: public data, fetched once per level)
    token, sent = flask.session.get("csrf"), flask.request.cookies.get(CSRF_COOKIE)
    if isinstance(token, str) and sent != token:
        # readable by the page's script (not HttpOnly): Dash echoes it as X-CSRFToken
        response.set_cookie(CSRF_COOKIE, token, secure=_secure_cookies(), httponly=False,
                            samesite="Lax", max_age=int(SESSION_LIFETIME.total_seconds()))
    elif token is None and sent is not None:
        response.delete_cookie(CSRF_COOKIE)
    return response


# ── installation and start-up checks ─────────────────────────────────────────
def check_startup() -> None:
    """Refuse a production start that is not safe to run (clear messages)."""
    cfg = current().security
    if not cfg.production:
        return
    if len(cfg.secret_key) < 32 or cfg.secret_key.startswith("test-"):
        raise RuntimeError("CHIPAO_PRODUCTION is set but CHIPAO_SECRET_KEY is missing or weak: "
                           "set it to a random value of at least 32 characters "
                           "(python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if cfg.allow_demo_accounts:
        return
    with owner() as conn:
        demo = users.demo_usernames(conn, PUBLIC)
    if demo:
        raise RuntimeError(
            f"Refusing to start in production: {len(demo)} demo account(s) exist "
            f"({', '.join(demo)}). Remove them with `chipao demo-accounts --remove`, "
            "or set CHIPAO_ALLOW_DEMO_ACCOUNTS=1 to run with them anyway.")


def install(app: dash.Dash) -> None:
    """Wire the guard, the sign-in routes and the response hardening into the server."""
    check_startup()
    server: flask.Flask = app.server
    if current().security.production and server.debug:
        raise RuntimeError("debug mode is never on in production")
    if not server.secret_key:
        # Development without a configured key: sessions last until the process ends.
        log.warning("CHIPAO_SECRET_KEY is not set: using a random key for this process")
        server.secret_key = secrets.token_urlsafe(48)
    server.extensions["chipao.dash"] = app  # the guard reads the callback map
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_REFRESH_EACH_REQUEST=False,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    def setup_dash_once() -> None:
        """Dash builds its callback map on the first request and validates the layout
        by calling it; whatever that first request is (the sign-in page, a static
        file), run that step under the public scope, then forget it."""
        first = getattr(app, "_got_first_request", {})
        if first.get("setup_server", True) and first.get("pages", True):
            return
        flask.g.scope = PUBLIC
        try:
            if hasattr(app, "_setup_server"):
                app._setup_server()  # idempotent: Dash's own hook then returns at once
            # The page router's callback is registered by another first-request hook
            # of Dash's, after the guard: register it now, so that the guard knows it
            # even when a worker's first request is a callback.
            for hook in list(server.before_request_funcs.get(None, [])):
                if getattr(hook, "__name__", "") in ("router_sync", "router_async"):
                    hook()
        finally:
            flask.g.pop("scope", None)

    hooks = server.before_request_funcs.setdefault(None, [])
    hooks.insert(0, guard)
    hooks.insert(0, setup_dash_once)
    server.add_url_rule(LOGIN_PATH, "chipao_login", login_view, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "chipao_logout", logout_view, methods=["GET", "POST"])
    server.after_request(lambda response: _harden(app, response))
