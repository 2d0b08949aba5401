"""``chipao refresh-plans``: rebuild only the plan-progress aggregates (owner role).

Overdue items and idle days are measured against the rebuild's as-of date, so this
runs daily (cron: ``0 1 * * * chipao refresh-plans``) and picks up the status updates
recorded through the dashboard since the last rebuild; ``chipao refresh`` (after every
import) rebuilds everything, these included.
"""

from __future__ import annotations

import argparse
import os
from datetime import date

from chipao.cli.main import args, command, console


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


@args(lambda p: p.add_argument("--as-of", type=_as_of, default=None,
                               help="the date overdue and idle days are measured against "
                                    "(default: today in Bangkok)"))
@command("refresh-plans", "Rebuild the plan-progress aggregates (daily, and after imports).")
def cmd_refresh_plans(a: argparse.Namespace) -> int:
    if not os.environ.get("DATABASE_URL"):
        from chipao import settings
        from chipao.cli import localdb

        localdb.start()
        settings.reload()
    from queries.db import owner
    from queries.plans import refresh_plans

    with owner() as conn:
        steps = refresh_plans(conn, a.as_of)
    console.print(f"plan aggregates rebuilt in {steps['total']:.1f} s "
                  + "(" + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items() if k != "total")
                  + ")")
    return 0
