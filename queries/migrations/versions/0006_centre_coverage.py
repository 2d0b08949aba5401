"""Centre coverage: per-tambon populated centroids with their nearest open centre, and
two aggregates (no personal data) that make any coverage figure a sum: located
households per distance band, and poor households per ~1 km demand cell.

All three tables are rebuilt by ``queries.centres.refresh_coverage``; the dashboard's
role reads them.

Revision ID: 0006_centres
"""

from alembic import op

revision = "0006_centres"
down_revision = "0005_plans"
branch_labels = None
depends_on = None

TABLES = ("agg_centre_demand", "agg_centre_distance", "tambon_coverage", "coverage_refresh")

UPGRADE = """
-- One row per tambon: where its people live (the mean location of its located
-- households when there are at least a few, else the boundary's label point) and the
-- nearest open centre to that point. Candidate sites of the "where to open next" planner.
CREATE TABLE tambon_coverage (
    tambon_pcode    text PRIMARY KEY,
    centroid        geometry(Point, 4326) NOT NULL,
    populated       boolean NOT NULL,  -- centroid = mean of located households
    located         integer NOT NULL CHECK (located >= 0),
    centre_id       integer,           -- nearest open centre (NULL: none is open)
    distance_m      real CHECK (distance_m >= 0),
    open_centres    smallint NOT NULL DEFAULT 0,
    planned_centres smallint NOT NULL DEFAULT 0
);
CREATE INDEX tambon_coverage_centroid ON tambon_coverage USING gist (centroid);

-- Located households per area, round and distance band to the nearest open centre:
-- band b < 50 holds distances in [b, b+1) km, 50 holds 50 km and more, 99 households
-- with no open centre at all. Coverage within D km = sum of bands < D. level 0 = 'TH'.
CREATE TABLE agg_centre_distance (
    round_id    smallint NOT NULL,
    level       smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    pcode       text NOT NULL,
    band        smallint NOT NULL CHECK (band BETWEEN 0 AND 50 OR band = 99),
    located     integer NOT NULL,           -- households with a location, surveyed in the round
    poor        integer NOT NULL,           -- … poor (TPMAP rule)
    target_poor integer NOT NULL,           -- … poor with a state welfare card
    poor_km     double precision NOT NULL,  -- sum of the poor households' distances, km
    PRIMARY KEY (round_id, level, pcode, band)
);

-- Poor located households per round, tambon, ~1 km cell (0.01 degree) and distance
-- band (1 km and more: band 0 is within reach at any distance), at the mean location
-- of those households: the demand points of the planner.
CREATE TABLE agg_centre_demand (
    round_id     smallint NOT NULL,
    tambon_pcode text NOT NULL,
    cx           integer NOT NULL,  -- floor(lon / 0.01)
    cy           integer NOT NULL,  -- floor(lat / 0.01)
    band         smallint NOT NULL,
    poor         integer NOT NULL CHECK (poor > 0),
    target_poor  integer NOT NULL,
    lon          double precision NOT NULL,
    lat          double precision NOT NULL,
    PRIMARY KEY (round_id, tambon_pcode, cx, cy, band)
);

CREATE TABLE coverage_refresh (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    refreshed_at   timestamptz NOT NULL DEFAULT now(),
    seconds        real NOT NULL,
    households     integer NOT NULL,  -- households given a nearest centre
    open_centres   integer NOT NULL,
    exact_searches integer NOT NULL   -- households whose KNN answer needed the exact search
);

GRANT SELECT ON tambon_coverage, agg_centre_distance, agg_centre_demand, coverage_refresh
    TO chipao_app;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(UPGRADE)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
