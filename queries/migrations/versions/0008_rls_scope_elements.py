"""Row-level security: an empty, malformed or over-long element of the scope list
matches nothing.

Until now `tambon_pcode ^@ ANY (string_to_array(scope, ','))` made 'TH500101,' (or
',' or ',TH500101') show every row: `starts_with(x, '')` is true. The scope is now
read through one function, chipao_scope_areas(), which keeps only elements that are
area P-codes (TH + 2, 4 or 6 digits; no whitespace, nothing longer) and returns an
empty array for anything else. Every policy, and chipao_in_scope() (used by the
member search), reads that function once per query (an InitPlan, as in 0007).

Revision ID: 0008_rls_scope_elements
"""

from alembic import op

revision = "0008_rls_scope_elements"
down_revision = "0007_rls_scope_once"
branch_labels = None
depends_on = None

TABLES = ("household", "household_round", "member", "household_plan", "plan_item",
          "plan_item_event", "visit", "household_nearest_centre")

AREAS_FUNCTION = r"""
CREATE FUNCTION chipao_scope_areas() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(array_agg(DISTINCT a), '{}')
  FROM unnest(string_to_array(current_setting('chipao.scope', true), ',')) AS a
  WHERE a ~ '^TH[0-9]{2}([0-9]{2}){0,2}$'
$$;
"""
IN_SCOPE = r"""
CREATE OR REPLACE FUNCTION chipao_in_scope(p_tambon text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_tambon ^@ ANY (chipao_scope_areas()), false)
$$;
"""
OLD_IN_SCOPE = r"""
CREATE OR REPLACE FUNCTION chipao_in_scope(p_tambon text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(p_tambon ^@ ANY (string_to_array(nullif(current_setting('chipao.scope', true), ''), ',')), false)
$$;
"""
# a scalar sub-select: evaluated once per query (InitPlan), not per row
ONCE = "tambon_pcode ^@ ANY (CAST((SELECT chipao_scope_areas()) AS text[]))"
OLD_ONCE = ("tambon_pcode ^@ ANY (ARRAY(SELECT unnest(string_to_array("
            "nullif(current_setting('chipao.scope', true), ''), ','))))")


def _policies(rule: str) -> None:
    for table in TABLES:
        op.execute(f"ALTER POLICY app_scope ON {table} USING ({rule}) WITH CHECK ({rule})")


def upgrade() -> None:
    op.execute(AREAS_FUNCTION)
    op.execute(IN_SCOPE)
    _policies(ONCE)


def downgrade() -> None:
    _policies(OLD_ONCE)
    op.execute(OLD_IN_SCOPE)
    op.execute("DROP FUNCTION chipao_scope_areas()")
