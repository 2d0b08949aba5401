"""Plan-progress aggregates: the funnel, plan items by horizon/category/agency/status,
completion times, stalled work, monthly pace and programme targets, plus the refresh
bookkeeping (as-of date, areas with status updates since the last rebuild).

All of them hold counts only (no personal data) and are rebuilt by
``queries.plans.refresh_plans``; the dashboard's role reads them.

Revision ID: 0005_plans
"""

from alembic import op

revision = "0005_plans"
down_revision = "0004_households"
branch_labels = None
depends_on = None

TABLES = ("agg_plan_area", "agg_plan_item", "agg_plan_horizon", "agg_plan_stalled",
          "agg_plan_monthly", "agg_plan_target", "plan_refresh", "plan_stale_area")

UPGRADE = """
-- When the plan aggregates were rebuilt, and the date that "overdue" and "idle days"
-- are measured against (the as-of date printed under every plan figure).
CREATE TABLE plan_refresh (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    as_of        date NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    seconds      real
);

-- Tambons whose plan items changed through the dashboard since the last rebuild (the
-- page says how many updates are not yet in the figures). Emptied by the rebuild.
CREATE TABLE plan_stale_area (
    tambon_pcode text PRIMARY KEY,
    first_at     timestamptz NOT NULL DEFAULT now(),
    last_at      timestamptz NOT NULL DEFAULT now(),
    updates      integer NOT NULL DEFAULT 1 CHECK (updates > 0)
);

-- The funnel of programme-target households per area and survey round, and the
-- totals of that round's plan items. level 0 is the country (pcode 'TH').
CREATE TABLE agg_plan_area (
    round_id      smallint NOT NULL,
    level         smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode         text NOT NULL,
    target        integer NOT NULL DEFAULT 0,  -- programme_target households surveyed in the round
    visited       integer NOT NULL DEFAULT 0,  -- … with a visit in the round's period
    analysed      integer NOT NULL DEFAULT 0,  -- … with a visit that recorded a poverty type
    with_plan     integer NOT NULL DEFAULT 0,  -- … with a development plan of the round
    plans_done    integer NOT NULL DEFAULT 0,  -- … whose non-cancelled items are all done
    left_poverty  integer,                     -- … poor in the round, not poor in the next
                                               --     (NULL: no later round yet)
    items         integer NOT NULL DEFAULT 0,  -- plan items of the round's plans (all households)
    items_active  integer NOT NULL DEFAULT 0,  -- … not cancelled
    items_done    integer NOT NULL DEFAULT 0,
    items_overdue integer NOT NULL DEFAULT 0,  -- … open and due before the as-of date
    PRIMARY KEY (round_id, level, pcode)
);

CREATE TABLE agg_plan_item (
    round_id      smallint NOT NULL,
    level         smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode         text NOT NULL,
    horizon       text NOT NULL,
    category_code text NOT NULL,
    agency_code   text NOT NULL,
    status        text NOT NULL,
    items         integer NOT NULL,
    overdue       integer NOT NULL,
    PRIMARY KEY (round_id, level, pcode, horizon, category_code, agency_code, status)
);

-- Done items and the median days from creation to completion, per horizon.
CREATE TABLE agg_plan_horizon (
    round_id    smallint NOT NULL,
    level       smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode       text NOT NULL,
    horizon     text NOT NULL,
    done_items  integer NOT NULL,
    median_days real,
    PRIMARY KEY (round_id, level, pcode, horizon)
);

-- Open (not started / in progress) items and households by idle days (days between the
-- last change of the item and the as-of date, capped at 730), stored sparsely:
-- idle_days ascending, items_ge[i] / households_ge[i] = open items / households idle
-- for at least idle_days[i] days. A household's idle time is that of its most
-- recently moved open item. "Idle ≥ N" is the first element with idle_days ≥ N.
CREATE TABLE agg_plan_stalled (
    round_id      smallint NOT NULL,
    level         smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode         text NOT NULL,
    idle_days     integer[] NOT NULL,
    items_ge      integer[] NOT NULL,
    households_ge integer[] NOT NULL,
    PRIMARY KEY (round_id, level, pcode)
);

-- Programme-target households first visited / first given a plan, per month (pace).
CREATE TABLE agg_plan_monthly (
    level        smallint NOT NULL CHECK (level BETWEEN 0 AND 2),
    pcode        text NOT NULL,
    month        date NOT NULL,
    first_visits integer NOT NULL,
    first_plans  integer NOT NULL,
    PRIMARY KEY (level, pcode, month)
);

-- Province targets (summed for the country) against programme-target households in
-- the store and those reached in any round.
CREATE TABLE agg_plan_target (
    level             smallint NOT NULL CHECK (level BETWEEN 0 AND 1),
    pcode             text NOT NULL,
    target_households integer,
    in_store          integer NOT NULL,
    visited           integer NOT NULL,
    analysed          integer NOT NULL,
    with_plan         integer NOT NULL,
    PRIMARY KEY (level, pcode)
);

GRANT SELECT ON plan_refresh, plan_stale_area, agg_plan_area, agg_plan_item, agg_plan_horizon,
                agg_plan_stalled, agg_plan_monthly, agg_plan_target TO chipao_app;
-- a tambon officer's status update marks its tambon stale (no personal data)
GRANT INSERT, UPDATE ON plan_stale_area TO chipao_app;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(UPGRADE)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
