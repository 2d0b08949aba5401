"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import insert_test_areas, isolated_store  # noqa: F401
