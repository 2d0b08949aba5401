"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import HH_LAYOUT as LAYOUT  # noqa: F401
from tests.factory import HH_ROUNDS as ROUNDS  # noqa: F401
from tests.factory import PER_TAMBON  # noqa: F401
from tests.factory import households_build as build  # noqa: F401
