"""Every SQL statement of Chipao, and the schema. The only package that talks to the database.

Functions that touch household-level data take a :class:`chipao.domain.scope.Scope` as a
required argument and run inside :func:`queries.db.scoped`, which sets the
row-level-security scope for the transaction.
"""
