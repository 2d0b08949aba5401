"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def app(database):
    """The real Dash app (app.py) on the test database: its Flask server serves the
    requests of a test client."""
    from app import app as dash_app

    return dash_app
