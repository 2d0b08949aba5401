"""Production serving: gunicorn with gthread workers (``chipao serve --workers N``).

Workers are stateless: the session is the signed cookie (its user, version and lockout
are checked against the database on every request), rate limits and lockouts live in
the database, caches are keyed by data version (and shared through Redis when it is
configured), so any worker may serve any request. The app is imported once in the
master (``preload_app``) and forked, so workers share its read-only pages; each worker
opens its own database connections (queries.db keys engines by process id, and the
inherited ones are dropped here without closing the parent's sockets).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

from gunicorn.app.base import BaseApplication

from queries import db

# The access log names the worker that served each request (%(p)s), so a log shows how
# requests spread over workers; the response time is in microseconds (%(D)s).
ACCESS_LOG_FORMAT = '%(h)s pid=%(p)s "%(r)s" %(s)s %(b)s %(D)sus'


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 2
    threads: int = 8
    timeout: int = 120  # the coverage planner runs in a background job, not a request
    max_requests: int = 5000  # recycle a worker now and then (memory growth)
    access_log: str | None = None  # a path, "-" for stderr, None for none


def default_workers() -> int:
    """Cores + 1: a worker uses at most one core (the GIL), and the load test found
    workers beyond the cores add only memory (docs/performance.md)."""
    return (os.cpu_count() or 1) + 1


def _post_fork(_server, _worker) -> None:
    db.forget_inherited()  # the master's pooled connections belong to the master


def _on_starting(_server) -> None:
    # The app's long-lived objects (layouts, catalogue) never die: freeze them so the
    # collector stops rescanning them (it caused 100+ ms outliers under load), and the
    # forked workers keep sharing their pages.
    gc.collect()
    gc.freeze()


def gunicorn_config(opts: ServeOptions) -> dict:
    cfg = {
        "bind": f"{opts.host}:{opts.port}",
        "workers": opts.workers,
        "worker_class": "gthread",
        "threads": opts.threads,
        "timeout": opts.timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": opts.max_requests,
        "max_requests_jitter": max(opts.max_requests // 10, 1),
        "preload_app": True,
        "proc_name": "chipao",
        "post_fork": _post_fork,
        "on_starting": _on_starting,
        "access_log_format": ACCESS_LOG_FORMAT,
        "forwarded_allow_ips": os.environ.get("CHIPAO_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }
    if opts.access_log:
        cfg["accesslog"] = opts.access_log
    return cfg


class ChipaoGunicorn(BaseApplication):
    def __init__(self, opts: ServeOptions):
        self.opts = opts
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_config(self.opts).items():
            self.cfg.set(key, value)

    def load(self):
        from app import server

        return server


def serve(opts: ServeOptions) -> None:
    ChipaoGunicorn(opts).run()
