"""Household name search that can use a trigram index under row-level security.

Why: for the dashboard's role, PostgreSQL evaluates the RLS policy before any
non-LEAKPROOF operator, so `name ILIKE '%…%'` cannot use the trigram index and scans
all 13 M members (5 s at 4.1 M households). `chipao_member_search(pattern)` runs the
match as the owner (SECURITY DEFINER) but applies the caller's own scope — the same
`chipao_in_scope()` rule and `chipao.scope` setting the policies use — and returns
house IDs only; the household rows themselves are still read through RLS.

Trigram posting lists over the whole country are long (common syllables), so the
index is also split by region (first P-code digit): a scope-bounded search reads one
region's index (≈ 1/9 the size). The whole-table `member_name_trgm` stays for
searches that span the country.

Revision ID: 0004_households
"""

from alembic import op

revision = "0004_households"
down_revision = "0003_access"
branch_labels = None
depends_on = None

REGIONS = tuple(str(d) for d in range(1, 10))  # TH1… to TH9…


def _index(region: str) -> str:
    upper = f"TH{int(region) + 1}" if region != "9" else "TH:"
    return (f"CREATE INDEX member_name_trgm_r{region} ON member USING gin "
            f"((first_name || ' ' || last_name) gin_trgm_ops) "
            f"WHERE tambon_pcode ~>=~ 'TH{region}' AND tambon_pcode ~<~ '{upper}'")


SEARCH_FUNCTION = r"""
CREATE FUNCTION chipao_member_search(pattern text)
RETURNS TABLE (house_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED ROWS 200
SET search_path = public, pg_temp
AS $$
DECLARE
  areas text[] := string_to_array(nullif(current_setting('chipao.scope', true), ''), ',');
  area text;
BEGIN
  IF areas IS NULL OR pattern IS NULL OR length(replace(pattern, '%', '')) < 3 THEN
    RETURN;
  END IF;
  FOREACH area IN ARRAY areas LOOP
    CONTINUE WHEN area !~ '^TH([0-9]{2}){0,3}$';
    -- Literal bounds (P-codes are checked above) so the planner can match the
    -- region's partial index; '~' sorts after every digit in byte order.
    RETURN QUERY EXECUTE format(
      'SELECT DISTINCT m.house_id FROM member m
        WHERE (m.first_name || '' '' || m.last_name) ILIKE $1
          AND m.tambon_pcode ~>=~ %L AND m.tambon_pcode ~<~ %L
          AND chipao_in_scope(m.tambon_pcode)', area, area || '~')
      USING pattern;
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION chipao_member_search(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chipao_member_search(text) TO chipao_app;
"""


def upgrade() -> None:
    for region in REGIONS:
        op.execute(_index(region))
    op.execute(SEARCH_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS chipao_member_search(text)")
    for region in REGIONS:
        op.execute(f"DROP INDEX IF EXISTS member_name_trgm_r{region}")
