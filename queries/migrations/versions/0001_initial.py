"""Initial schema: areas, catalogue, households, plans, visits, centres, users, audit, RLS.

Revision ID: 0001_initial
"""

from pathlib import Path

from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parent.parent / "sql" / "0001_initial.sql"

TABLES = [
    "agg_area_score", "agg_area_count", "audit_log", "user_scope", "app_user",
    "province_target", "area_process_step", "process_step", "household_nearest_centre",
    "centre", "visit", "plan_item_event", "plan_item", "household_plan", "plan_category",
    "agency", "member", "household_round", "household", "indicator", "dimension",
    "survey_round", "village", "area",
]


def upgrade() -> None:
    # The driver runs the file as is: many statements, no bind-parameter parsing.
    op.get_bind().connection.driver_connection.execute(SQL.read_text())


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS chipao_in_scope(text)")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
