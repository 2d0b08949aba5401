"""Row-level security: read the user's scope once per query, not once per row.

The policies of 0001 call chipao_in_scope(tambon_pcode), which splits the
`chipao.scope` setting again for every row (a district's household count: ~11 ms).
An uncorrelated sub-select over the setting becomes an InitPlan that PostgreSQL
evaluates once (~2 ms); the rule is the same: a row is visible when its tambon P-code
starts with one of the scope's P-codes, and an unset or empty scope shows nothing.

Revision ID: 0007_rls_scope_once
"""

from alembic import op

revision = "0007_rls_scope_once"
down_revision = "0006_centres"
branch_labels = None
depends_on = None

TABLES = ("household", "household_round", "member", "household_plan", "plan_item",
          "plan_item_event", "visit", "household_nearest_centre")

ONCE = ("tambon_pcode ^@ ANY (ARRAY(SELECT unnest(string_to_array("
        "nullif(current_setting('chipao.scope', true), ''), ','))))")
PER_ROW = "chipao_in_scope(tambon_pcode)"


def _policies(rule: str) -> None:
    for table in TABLES:
        op.execute(f"ALTER POLICY app_scope ON {table} USING ({rule}) WITH CHECK ({rule})")


def upgrade() -> None:
    _policies(ONCE)


def downgrade() -> None:
    _policies(PER_ROW)
