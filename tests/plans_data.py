"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from __future__ import annotations

from contextlib import contextmanager

from tests.factory import PLANS_DISTRICTS as DISTRICTS  # noqa: F401
from tests.factory import PLANS_PROVINCES as PROVINCES  # noqa: F401
from tests.factory import PLANS_ROUNDS as ROUNDS  # noqa: F401
from tests.factory import PLANS_TAMBONS as TAMBONS  # noqa: F401
from tests.factory import (
    TARGETS,  # noqa: F401
    isolated_store,
)
from tests.factory import plans_areas as insert_areas  # noqa: F401
from tests.factory import plans_build as insert_data  # noqa: F401


@contextmanager
def plans_store(tag: str):
    with isolated_store(f"chipao_test_{tag}") as url:
        yield url
