"""Alembic environment: runs migrations as the owner role (DATABASE_URL)."""

from alembic import context
from sqlalchemy import create_engine, pool

from queries.db import database

config = context.config
url = config.get_main_option("sqlalchemy.url") or database().owner_url

engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
