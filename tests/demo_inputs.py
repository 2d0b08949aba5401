"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import CATALOGUE_ROWS, memory_inputs  # noqa: F401
from tests.factory import DEMO_LAYOUT as LAYOUT  # noqa: F401
