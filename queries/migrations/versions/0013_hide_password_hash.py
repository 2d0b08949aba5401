"""The dashboard's role can no longer read password hashes.

`chipao_app` had SELECT on every column of `app_user`, so SQL run as that role (an
injection anywhere in the app) could read every account's argon2 hash and guess
passwords offline. Now it reads every column but `password_hash` (column privileges);
the sign-in reads the one hash it checks as the owner role (chipao/web/auth.py), which
the web process already uses to open the database session after that check.

A column added to `app_user` later is not readable by `chipao_app` until a migration
grants it (column privileges do not extend to new columns): the safe default.

Revision ID: 0013_hide_password_hash
"""

from alembic import op

revision = "0013_hide_password_hash"
down_revision = "0008b_db_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        DO $$
        DECLARE cols text;
        BEGIN
          SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute
          WHERE attrelid = 'app_user'::regclass AND attnum > 0 AND NOT attisdropped
            AND attname <> 'password_hash';
          REVOKE SELECT ON app_user FROM chipao_app;
          EXECUTE format('GRANT SELECT (%s) ON app_user TO chipao_app', cols);
        END$$
    """)


def downgrade() -> None:
    op.execute("""
        DO $$
        DECLARE cols text;
        BEGIN
          SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
          FROM pg_attribute
          WHERE attrelid = 'app_user'::regclass AND attnum > 0 AND NOT attisdropped
            AND attname <> 'password_hash';
          EXECUTE format('REVOKE SELECT (%s) ON app_user FROM chipao_app', cols);
          GRANT SELECT ON app_user TO chipao_app;
        END$$
    """)
