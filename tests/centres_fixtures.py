"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import CENTRES as CENTRES  # noqa: F401
from tests.factory import CENTRES_LAYOUT as LAYOUT  # noqa: F401
from tests.factory import centres_build as build  # noqa: F401
from tests.factory import centres_store  # noqa: F401
