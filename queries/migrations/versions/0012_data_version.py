"""Data versions: one counter per kind of derived data, bumped in the writing
transaction, so every dashboard worker (and the shared Redis cache) can key its cached
geometry and aggregates by version and a boundary import or `chipao refresh` in one
process invalidates the caches of all the others.

The counters are bumped by statement-level triggers on the tables themselves, so no
import path can forget to: a write to `area` bumps 'boundaries', to the area aggregates
'aggregates', to the plan aggregates 'plans', to the coverage table 'centres'. The
trigger runs in the writer's transaction, so readers see the new version exactly when
they see the new rows (and a replica replays both together).

Revision ID: 0012_data_version
"""

from alembic import op

revision = "0012_data_version"
down_revision = "0008_rls_scope_elements"
branch_labels = None
depends_on = None

# kind -> tables whose writes change it
KINDS = {
    "boundaries": ("area",),
    "aggregates": ("agg_area_count", "agg_area_score"),
    "plans": ("agg_plan_area",),
    "centres": ("tambon_coverage",),
}


def upgrade() -> None:
    op.execute("""
        CREATE TABLE data_version (
            kind text PRIMARY KEY,
            version bigint NOT NULL DEFAULT 1,
            changed_at timestamptz NOT NULL DEFAULT now()
        );
        COMMENT ON TABLE data_version IS
            'Bumped by triggers when derived data changes; cache keys include it';
        CREATE FUNCTION chipao_bump_version() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now()
            WHERE kind = TG_ARGV[0];
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION chipao_bump_version() FROM PUBLIC;
        GRANT SELECT ON data_version TO chipao_app;
    """)
    for kind, tables in KINDS.items():
        op.execute(f"INSERT INTO data_version (kind) VALUES ('{kind}')")  # noqa: S608
        for table in tables:
            op.execute(f"""
                CREATE TRIGGER {table}_bump_version
                AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION chipao_bump_version('{kind}')
            """)


def downgrade() -> None:
    for tables in KINDS.values():
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS chipao_bump_version()")
    op.execute("DROP TABLE IF EXISTS data_version")
