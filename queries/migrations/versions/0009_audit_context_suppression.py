"""Audit rows say who, from where and how much; public counts hide complementary cells.

- audit_log gains the user agent, the scope the user held (their areas) and the
  number of personal rows served; an index on (username, action, at) lets the
  paging rate limit (queries.audit.paging_rows) sum a user's recent blocks cheaply.
- agg_area_suppressed: the cells (round, level, measure, area) a public viewer must
  not see — small counts (primary) and the complementary cells chosen so that no
  small count follows from its parent's margin (queries.suppression). Rebuilt with
  the aggregates; no personal data.

Revision ID: 0009_audit_context
"""

from alembic import op

revision = "0009_audit_context"
down_revision = "0012_data_version"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE audit_log ADD COLUMN user_agent text, ADD COLUMN scope text,
                      ADD COLUMN rows integer CHECK (rows >= 0);
CREATE INDEX audit_log_user_action ON audit_log (username, action, at);

CREATE TABLE agg_area_suppressed (
    round_id smallint NOT NULL,
    level    smallint NOT NULL CHECK (level BETWEEN 0 AND 3),
    measure  text NOT NULL,
    pcode    text NOT NULL,
    is_primary boolean NOT NULL,  -- a small count itself (else a complementary cell)
    PRIMARY KEY (round_id, level, measure, pcode)
);
GRANT SELECT ON agg_area_suppressed TO chipao_app;
"""

DOWNGRADE = """
DROP TABLE agg_area_suppressed;
DROP INDEX audit_log_user_action;
ALTER TABLE audit_log DROP COLUMN user_agent, DROP COLUMN scope, DROP COLUMN rows;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    # a store migrated with figures already in it must not publish them unprotected
    # until the next import: compute the hiding patterns now
    from queries import suppression

    suppression.refresh(op.get_bind())
    # cached public figures (per data version, in every worker and Redis) are stale now
    op.execute("UPDATE data_version SET version = version + 1, changed_at = now() "
               "WHERE kind = 'aggregates'")


def downgrade() -> None:
    op.execute(DOWNGRADE)
