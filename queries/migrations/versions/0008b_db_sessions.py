"""Row-level security reads the scope from a session the database itself verifies.

Until now the dashboard's role told PostgreSQL its scope (`set_config('chipao.scope',
…)`), so SQL run as `chipao_app` — an injection anywhere — could say 'TH' and read
every household. Now the app passes only an opaque random token
(`set_config('chipao.session', token, true)`); `chipao_scope_areas()`, SECURITY
DEFINER and owned by the owner role, looks its SHA-256 up in `app_session`, which
`chipao_app` can neither read nor write, and returns the areas of a session that is
neither expired nor revoked (a user's session: that user's current areas, while the
account is enabled and not locked). The policies of 0008 already read that function
once per query (InitPlan); the `chipao.scope` setting is no longer read by anything.

Sessions are opened by the owner role only (at sign-in, after the password check; or
for a command-line/system scope); `chipao_app` may end the session whose token it
holds (sign-out), or all sessions of that session's user, and ask whose it is.

Revision ID: 0008b_db_sessions
"""

from alembic import op

revision = "0008b_db_sessions"
down_revision = "0009_audit_context"
branch_labels = None
depends_on = None

TOKEN_HASH = "sha256(convert_to(current_setting('chipao.session', true), 'UTF8'))"

UPGRADE = r"""
CREATE TABLE app_session (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    integer REFERENCES app_user (user_id) ON DELETE CASCADE,
    username   text NOT NULL,
    role       text NOT NULL,
    areas      text[] NOT NULL DEFAULT '{}',  -- used when user_id IS NULL (system scopes)
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX app_session_user ON app_session (user_id) WHERE revoked_at IS NULL;
CREATE INDEX app_session_expires ON app_session (expires_at);
REVOKE ALL ON app_session FROM PUBLIC;
REVOKE ALL ON app_session FROM chipao_app;
COMMENT ON TABLE app_session IS
  'Sessions the RLS policies trust (SHA-256 of the token); owner-only';

-- the valid session of this transaction's token, if any
CREATE FUNCTION chipao_session_row() RETURNS app_session
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT s.* FROM public.app_session s
  WHERE s.token_hash = TOKEN_HASH
    AND s.revoked_at IS NULL AND s.expires_at > now()
    AND (s.user_id IS NULL OR EXISTS (
          SELECT FROM public.app_user u WHERE u.user_id = s.user_id AND NOT u.disabled
            AND (u.locked_until IS NULL OR u.locked_until <= now())))
$$;
REVOKE ALL ON FUNCTION chipao_session_row() FROM PUBLIC;

CREATE OR REPLACE FUNCTION chipao_scope_areas() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH s AS (SELECT * FROM public.chipao_session_row() WHERE token_hash IS NOT NULL),
  granted AS (
    SELECT unnest(s.areas) AS a, s.role FROM s WHERE s.user_id IS NULL
    UNION ALL
    SELECT us.pcode, u.role FROM s
      JOIN public.app_user u ON u.user_id = s.user_id
      JOIN public.user_scope us ON us.user_id = u.user_id
  )
  SELECT coalesce(array_agg(DISTINCT a), '{}') FROM granted
  WHERE role IN ('province', 'district', 'tambon') AND a ~ '^TH[0-9]{2}([0-9]{2}){0,2}$'
$$;
REVOKE ALL ON FUNCTION chipao_scope_areas() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chipao_scope_areas() TO chipao_app;

-- whose session this is (the dashboard reloads that user on every request)
CREATE FUNCTION chipao_session_user() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT user_id FROM public.chipao_session_row() $$;
REVOKE ALL ON FUNCTION chipao_session_user() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chipao_session_user() TO chipao_app;

-- sign-out: end this session, or every session of its user
CREATE FUNCTION chipao_session_end(everywhere boolean) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  h bytea := TOKEN_HASH;
  uid integer;
  n integer;
BEGIN
  SELECT user_id INTO uid FROM public.app_session WHERE token_hash = h;
  UPDATE public.app_session SET revoked_at = now()
  WHERE revoked_at IS NULL
    AND (token_hash = h OR (everywhere AND uid IS NOT NULL AND user_id = uid));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION chipao_session_end(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chipao_session_end(boolean) TO chipao_app;
"""

# The member search (0004) ran its own loop over the `chipao.scope` setting.
SEARCH = r"""
CREATE OR REPLACE FUNCTION chipao_member_search(pattern text)
RETURNS TABLE (house_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED ROWS 200
SET search_path = public, pg_temp
AS $$
DECLARE
  areas text[] := AREAS_EXPR;
  area text;
BEGIN
  IF areas IS NULL OR pattern IS NULL OR length(replace(pattern, '%', '')) < 3 THEN
    RETURN;
  END IF;
  FOREACH area IN ARRAY areas LOOP
    CONTINUE WHEN area !~ '^TH([0-9]{2}){1,3}$';
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
"""
OLD_AREAS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION chipao_scope_areas() RETURNS text[]
LANGUAGE sql STABLE SECURITY INVOKER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(array_agg(DISTINCT a), '{}')
  FROM unnest(string_to_array(current_setting('chipao.scope', true), ',')) AS a
  WHERE a ~ '^TH[0-9]{2}([0-9]{2}){0,2}$'
$$;
GRANT EXECUTE ON FUNCTION chipao_scope_areas() TO PUBLIC;
"""


def upgrade() -> None:
    op.execute(UPGRADE.replace("TOKEN_HASH", TOKEN_HASH))
    op.execute(SEARCH.replace("AREAS_EXPR", "chipao_scope_areas()"))


def downgrade() -> None:
    op.execute(SEARCH.replace("AREAS_EXPR", "string_to_array(nullif(current_setting("
                              "'chipao.scope', true), ''), ',')"))
    op.execute(OLD_AREAS_FUNCTION)
    op.execute("DROP FUNCTION chipao_session_end(boolean); DROP FUNCTION chipao_session_user();")
    op.execute("DROP FUNCTION chipao_session_row(); DROP TABLE app_session;")
