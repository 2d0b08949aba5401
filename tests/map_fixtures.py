"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import MAP_HOUSEHOLDS as HOUSEHOLDS  # noqa: F401
from tests.factory import MAP_LAYOUT as LAYOUT  # noqa: F401
from tests.factory import MAP_ROUNDS as ROUNDS  # noqa: F401
from tests.factory import map_load as load  # noqa: F401
from tests.factory import map_store  # noqa: F401
