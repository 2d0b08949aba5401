"""Access control: a session version per user (signing out or a password reset ends
every session at once) and the time of the last sign-in.

Revision ID: 0003_access
"""

from alembic import op

revision = "0003_access"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE app_user ADD COLUMN session_version integer NOT NULL DEFAULT 1, "
               "ADD COLUMN last_login_at timestamptz")
    # The dashboard's role signs users in and out: it may touch these columns only
    # (the password hash, role and scope stay owner-only, i.e. the command line).
    op.execute("GRANT UPDATE (session_version, last_login_at) ON app_user TO chipao_app")
    op.execute("CREATE INDEX audit_log_username ON audit_log (username, at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS audit_log_username")
    op.execute("REVOKE UPDATE (session_version, last_login_at) ON app_user FROM chipao_app")
    op.execute("ALTER TABLE app_user DROP COLUMN IF EXISTS last_login_at, "
               "DROP COLUMN IF EXISTS session_version")
