"""Deprecated alias of tests/factory.py for tests written before it (session 3);
removed once they are adapted. Import from tests.factory instead."""

from tests.factory import (  # noqa: F401
    IN_TAMBON,
    OTHER_TAMBON_SAME_DISTRICT,
    OUT_TAMBON,
    ROLE_AREAS,
    house_id,
    national_id,
    permission_store,
    surname,
)
from tests.factory import PERM_LAYOUT as LAYOUT  # noqa: F401
from tests.factory import PERM_ROUND as ROUND  # noqa: F401
from tests.factory import permission_build as build  # noqa: F401
