"""Settings: read from what is passed in (environment and local files), one class per
concern, nothing read from the process's environment by load_settings itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chipao.settings import ROOT, Disclosure, LocalFiles, Settings, load_settings

LOCAL = LocalFiles({"owner_url": "postgresql://own@127.0.0.1:5/chipao",
                    "app_url": "postgresql://app@127.0.0.1:5/chipao",
                    "secret_key": "local-key"}, redis_url="redis://127.0.0.1:7/0")


def test_defaults_without_environment_or_local_files():
    s = load_settings({})
    assert s == Settings()
    assert s.disclosure == Disclosure(min_households=20, suppress_below=5,
                                      paging_rows=5000, paging_window_s=600)
    assert s.services.redis_url == "" and s.services.tile_url is None


def test_local_cluster_gives_both_roles_and_the_key():
    s = load_settings({}, LOCAL)
    assert s.database.owner_url == "postgresql+psycopg://own@127.0.0.1:5/chipao"
    assert s.database.app_url == "postgresql+psycopg://app@127.0.0.1:5/chipao"
    assert s.security.secret_key == "local-key"
    assert s.services.redis_url == ""  # the local Redis only with CHIPAO_REDIS=local
    assert load_settings({"CHIPAO_REDIS": "local"}, LOCAL).services.redis_url == LOCAL.redis_url


def test_a_database_url_elsewhere_never_borrows_the_local_app_role():
    s = load_settings({"DATABASE_URL": "postgres://o@db.example/x"}, LOCAL)
    assert s.database.owner_url == s.database.app_url == "postgresql+psycopg://o@db.example/x"


def test_each_variable_lands_in_its_concern():
    s = load_settings({"CHIPAO_MIN_HOUSEHOLDS": "10", "CHIPAO_SUPPRESS_BELOW": "3",
                       "CHIPAO_PRODUCTION": "yes", "CHIPAO_MAX_UPLOAD_MB": "7",
                       "CHIPAO_CACHE_DIR": "/tmp/c", "CHIPAO_TILE_URL": "http://t/{z}",
                       "CHIPAO_READ_DATABASE_URL": " postgresql://r1/x , postgresql://r2/x ",
                       "CHIPAO_REDIS_URL": "redis://r:6379/1"})
    assert (s.disclosure.min_households, s.disclosure.suppress_below) == (10, 3)
    assert s.security.production and s.security.max_upload_mb == 7
    assert s.services.cache_dir == Path("/tmp/c") and s.services.tile_url == "http://t/{z}"
    assert s.services.redis_url == "redis://r:6379/1"
    assert s.database.read_urls == ("postgresql+psycopg://r1/x", "postgresql+psycopg://r2/x")



CREATE_APP = """
from chipao import settings
from chipao.settings import Database, Security, Settings
from queries import db
import app

given = Settings(database=Database("postgresql+psycopg://o@h/x", "postgresql+psycopg://a@h/x"),
                 security=Security(secret_key="k" * 40, max_upload_mb=3))
built = app.create_app(given)
assert built.server.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
assert built.server.secret_key == "k" * 40
assert settings.current() is given and db.database() is given.database
print("ok")
"""


def test_create_app_uses_the_settings_passed_in():
    # its own process: a second Dash app would re-register the pages of this one
    done = subprocess.run([sys.executable, "-c", CREATE_APP], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
