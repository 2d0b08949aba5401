"""Background jobs: Celery with Redis as broker and result store when Redis is
configured (``CHIPAO_REDIS_URL`` / ``CHIPAO_REDIS=local``; run workers with
`chipao worker`), otherwise a thread pool in the serving process with job states in a
diskcache under .cache/ (readable by every local worker process).

Two ways in:
- Dash background callbacks take :func:`background_manager` (a CeleryManager with
  Redis, a DiskcacheManager without), e.g. the centres planner;
- other work (briefs, large exports, aggregate refresh) registers a function with
  :func:`job` and is started with :func:`submit`; :func:`status` reports its state,
  progress and result to the user who started it (and nobody else).

When Redis is configured but unreachable, :func:`submit` and the planner raise
:class:`JobsUnavailable` with a message for the user instead of hanging; the rest of
the dashboard keeps working without the shared cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import flask

from chipao.domain.scope import Scope
from chipao.settings import current
from chipao.web.session import current_scope
from queries import aggregates
from queries.db import owner

log = logging.getLogger("chipao.web.jobs")
RESULT_TTL = 24 * 3600
BACKGROUND_RESULT_SECONDS = 600  # a background callback's result, kept for its owner
SEAL = "seal"  # the key of a result's seal (see seal())
UNAVAILABLE_TH = "ระบบงานเบื้องหลังไม่พร้อม จึงเริ่มงานนี้ไม่ได้ ส่วนอื่นของแดชบอร์ดยังใช้ได้"
UNAVAILABLE_EN = ("The background job service is unreachable, so this job cannot start; "
                  "the rest of the dashboard still works.")


class JobsUnavailable(RuntimeError):
    """The job broker cannot be reached: the job was not started."""

    def __init__(self, detail: str = ""):
        super().__init__(f"{UNAVAILABLE_TH} / {UNAVAILABLE_EN}" + (f" ({detail})" if detail
                                                                 else ""))


class JobNotFound(LookupError):
    """No such job for this user (unknown, expired, or started by someone else)."""


@dataclass(frozen=True)
class JobStatus:
    id: str
    name: str
    state: str  # queued | running | done | failed
    progress: float | None = None  # 0..1
    label: str | None = None
    result: Any = None
    error: str | None = None


Progress = Callable[[float, str], None]
_REGISTRY: dict[str, Callable[..., Any]] = {}


# ── Celery ───────────────────────────────────────────────────────────────────
@lru_cache(maxsize=1)
def celery_app():
    """The Celery application (None without Redis). Fails fast when the broker is down:
    no publish retries, one-second connect timeouts."""
    url = current().services.redis_url
    if not url:
        return None
    from celery import Celery

    app = Celery("chipao", broker=url, backend=url)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=RESULT_TTL, task_track_started=True,
        task_acks_late=True, task_reject_on_worker_lost=True,  # a killed worker's job reruns
        worker_prefetch_multiplier=1,
        task_publish_retry=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 1, "socket_timeout": 5,
                                  "max_retries": 0, "visibility_timeout": 3600},
        redis_socket_connect_timeout=1, redis_socket_timeout=5,
        redis_backend_health_check_interval=30,
        worker_hijack_root_logger=False,
    )
    for name, fn in _REGISTRY.items():
        _register_celery(app, name, fn)
    return app


def _register_celery(app, name: str, fn: Callable[..., Any]) -> None:
    @app.task(name=name, bind=True)
    def run(task, *args, **kwargs):
        def progress(fraction: float, label: str = "") -> None:
            task.update_state(state="PROGRESS", meta={"progress": fraction, "label": label})

        return fn(progress, *args, **kwargs)


def _redis():
    import redis

    return redis.Redis.from_url(current().services.redis_url, socket_timeout=2,
                                socket_connect_timeout=1)


def jobs_available() -> bool:
    """Whether a job can be started now (always, without Redis)."""
    if not current().services.redis_url:
        return True
    try:
        return bool(_redis().ping())
    except Exception:
        return False


# ── registering and starting jobs ────────────────────────────────────────────
def job(name: str):
    """Register `fn(progress, *args, **kwargs)` as the job `name`. Arguments and the
    result must be JSON-serialisable (they travel through Redis)."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = fn
        app = celery_app()
        if app is not None and name not in app.tasks:
            _register_celery(app, name, fn)
        return fn
    return wrap


def current_owner() -> str:
    """The owner of a job started in this request: the signed-in user *and* their
    scope (role, areas), as an HMAC under the server's secret key — the same in every
    worker, different for every user and scope, not guessable from outside. Pass it
    as ``owner=`` to :func:`submit` and :func:`status`; background callbacks use it as
    part of their cache key (:func:`background_manager`), and the guard lets only the
    session that started a background callback fetch its result (chipao.web.auth)."""
    scope = current_scope()
    user = flask.g.get("user")
    ident = "|".join([str(user.user_id) if user is not None else "anonymous", str(scope.role),
                      ",".join(sorted(scope.areas))])
    key = (flask.current_app.secret_key or "").encode()
    return hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()


def _canonical(value: Any) -> Any:
    """`value` as it reads after a trip through a browser: JSON has one number type, so
    a whole float (1.0) comes back as an integer (1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _seal_of(result: dict, scope: Scope) -> str:
    body = json.dumps({"for": [scope.username, str(scope.role), sorted(scope.areas)],
                       "result": _canonical({k: v for k, v in result.items() if k != SEAL})},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    key = (current().security.secret_key or "").encode()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def seal(result: dict, scope: Scope) -> dict:
    """`result` (JSON-able) with a seal: an HMAC, under the server's secret key, of its
    content and of the user and scope it was computed for. A job's result that travels
    through the browser (a dcc.Store) and comes back to be written into a file is
    checked with :func:`unseal` first, so a file never holds figures a browser made up.
    Works in a job process too (no request needed)."""
    return {**result, SEAL: _seal_of(result, scope)}


def unseal(data: Any, scope: Scope) -> dict | None:
    """`data` if it carries a seal this server made for this very user and scope, else
    None."""
    if not isinstance(data, dict) or not isinstance(data.get(SEAL), str):
        return None
    try:
        expected = _seal_of(data, scope)
    except (TypeError, ValueError):  # not JSON-able, NaN: not ours
        return None
    return data if hmac.compare_digest(expected, data[SEAL]) else None


def _owner_key(job_id: str) -> str:
    return f"chipao:job:{job_id}"


def submit(name: str, *args: Any, owner: str, **kwargs: Any) -> str:
    """Start the job `name` for user `owner`; returns its id. Raises JobsUnavailable
    when the broker cannot be reached (nothing was started)."""
    if name not in _REGISTRY:
        raise KeyError(f"no job named {name!r}")
    job_id = uuid.uuid4().hex
    app = celery_app()
    if app is None:
        _local_submit(job_id, name, owner, args, kwargs)
        return job_id
    try:
        _redis().set(_owner_key(job_id), f"{owner}\n{name}", ex=RESULT_TTL)
        app.tasks[name].apply_async(args=args, kwargs=kwargs, task_id=job_id)
    except Exception as err:  # redis.ConnectionError, kombu.OperationalError, …
        log.warning("job %s not started: %s", name, err)
        raise JobsUnavailable(type(err).__name__) from err
    return job_id


def status(job_id: str, owner: str) -> JobStatus:
    """The state of a job started by `owner`; JobNotFound for anyone else's."""
    app = celery_app()
    if app is None:
        return _local_status(job_id, owner)
    try:
        stored = _redis().get(_owner_key(job_id))
    except Exception as err:
        raise JobsUnavailable(type(err).__name__) from err
    if stored is None:
        raise JobNotFound(job_id)
    who, name = stored.decode().split("\n", 1)
    if who != owner:
        raise JobNotFound(job_id)
    res = app.AsyncResult(job_id)
    state, info = res.state, res.info
    if state == "SUCCESS":
        return JobStatus(job_id, name, "done", 1.0, result=res.result)
    if state == "FAILURE":
        return JobStatus(job_id, name, "failed", error=str(info))
    if state == "PROGRESS" and isinstance(info, dict):
        return JobStatus(job_id, name, "running", info.get("progress"), info.get("label"))
    return JobStatus(job_id, name, "running" if state == "STARTED" else "queued")


# ── without Redis: threads in this process, states in a diskcache ─────────────
_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _local_store():
    import diskcache

    return diskcache.Cache(str(current().services.cache_dir / "jobs"))


def _local_submit(job_id: str, name: str, owner: str, args, kwargs) -> None:
    global _pool
    store = _local_store()
    store.set(job_id, {"owner": owner, "name": name, "state": "queued"}, expire=RESULT_TTL)

    def update(**fields) -> None:
        store.set(job_id, {**store.get(job_id, {}), **fields}, expire=RESULT_TTL)

    def run() -> None:
        update(state="running")
        try:
            result = _REGISTRY[name](lambda f, label="": update(progress=f, label=label),
                                     *args, **kwargs)
        except Exception as err:
            log.exception("job %s failed", name)
            update(state="failed", error=str(err))
        else:
            update(state="done", progress=1.0, result=result)

    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chipao-job")
        _pool.submit(run)


def _local_status(job_id: str, owner: str) -> JobStatus:
    rec = _local_store().get(job_id)
    if not rec or rec.get("owner") != owner:
        raise JobNotFound(job_id)
    return JobStatus(job_id, rec["name"], rec["state"], rec.get("progress"), rec.get("label"),
                     rec.get("result"), rec.get("error"))


# ── Dash background callbacks ────────────────────────────────────────────────
def background_manager(name: str):
    """The manager for a page's background callbacks: Celery with Redis (a broker that
    is down gives JobsUnavailable, not a hang), diskcache without."""
    # The owner is part of every cache key: two users (or one user under two scopes)
    # asking the same question never share a job or a result. (With cache_by, Dash
    # keeps a result for BACKGROUND_RESULT_SECONDS instead of deleting it when fetched.)
    app = celery_app()
    if app is None:
        import diskcache
        from dash import DiskcacheManager

        return DiskcacheManager(diskcache.Cache(str(current().services.cache_dir / name)),
                                cache_by=[current_owner], expire=BACKGROUND_RESULT_SECONDS)
    from dash import CeleryManager

    class FailFastCeleryManager(CeleryManager):
        def call_job_fn(self, key, job_fn, args, context):
            try:
                return super().call_job_fn(key, job_fn, args, context)
            except Exception as err:
                log.warning("background callback not started: %s", err)
                raise JobsUnavailable(type(err).__name__) from err

    return FailFastCeleryManager(app, cache_by=[current_owner], expire=BACKGROUND_RESULT_SECONDS)


# ── built-in jobs ────────────────────────────────────────────────────────────
@job("aggregates.refresh")
def refresh_aggregates(progress: Progress) -> dict:
    """Rebuild every aggregate table (as `chipao refresh` does), in the background."""
    started = time.perf_counter()
    progress(0.0, "refreshing aggregates")
    with owner() as conn:
        aggregates.refresh(conn)
    return {"seconds": round(time.perf_counter() - started, 2)}
