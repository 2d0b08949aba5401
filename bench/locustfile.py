"""Locust sessions per role for bench/load_test.py (loopback only). Each simulated user
signs in through the real form, then replays the requests the Dash renderer sends when
a person uses the pages: the page router callback (`_pages_content`) with the page's
URL, the geometry fetch, records and plan pages. Step names are what the tables report.

The plan (users per role, areas, households, catalogue codes) comes from the JSON file
named by CHIPAO_LOAD_PLAN, written by bench/load_test.py from the bench store.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.signin import CALLBACK_PATH, CSRF_COOKIE, login_form, page_body  # noqa: E402

PLAN = json.loads(open(os.environ["CHIPAO_LOAD_PLAN"], encoding="utf-8").read())


class ChipaoUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # a person reads between clicks
    role = ""

    def on_start(self) -> None:
        accounts = PLAN["accounts"][self.role]
        self.account = accounts[random.randrange(len(accounts))]
        self.client.headers.update({"Origin": self.host})
        html = self.client.get("/login", name="sign-in form").text
        self.client.post("/login", name="sign in", allow_redirects=False,
                         data=login_form(html, self.account["username"],
                                         self.account["password"]))

    def page(self, url: str, name: str) -> None:
        csrf = self.client.cookies.get(CSRF_COOKIE, "")
        with self.client.post(CALLBACK_PATH, json=page_body(url), name=name,
                              headers={"X-CSRFToken": csrf}, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif '"page-message"' in r.text and "danger" in r.text:
                r.failure("error message on the page")

    def geometry(self, level: int, parent: str | None = None) -> None:
        path = f"/geo/{level}/{parent}.geojson" if parent else f"/geo/{level}.geojson"
        self.client.get(path, name=f"geometry level {level}",
                        headers={"Accept-Encoding": "gzip"})


class Executive(ChipaoUser):
    """Overview, the national map, dimension switches, a drill-down, the change map."""
    role = "executive"
    weight = 3

    @task
    def session(self) -> None:
        province = random.choice(PLAN["provinces"])
        dim = random.choice(PLAN["dimensions"])
        self.page("/", "overview")
        self.page("/map", "map national")
        self.geometry(1)
        self.page(f"/map?subject=dim:{dim}", "map dimension switch")
        self.page(f"/map?subject=dim:{dim}&measure=count", "map measure switch")
        self.page(f"/map?area={province}&subject=dim:{dim}", "map drill-down")
        self.geometry(2, province)
        if PLAN["compare_year"]:
            self.page(f"/map?area={province}&compare={PLAN['compare_year']}", "map change")


class Province(ChipaoUser):
    """Its province's map, plans and coverage."""
    role = "province"
    weight = 3

    @task
    def session(self) -> None:
        area = self.account["area"]
        self.page(f"/map?area={area}", "province map")
        self.geometry(2, area)
        self.page(f"/plans?area={area}", "province plans")
        self.page(f"/centres?area={area}", "province centres")


class Officer(ChipaoUser):
    """District and tambon officers: household lists, records, a plan page."""
    role = "district"
    weight = 4

    @task
    def session(self) -> None:
        area = self.account["area"]
        self.page(f"/households?area={area}", "household list")
        house = random.choice(self.account["houses"])
        self.page(f"/households/{house}", "household record")
        self.page(f"/plans/household?house={house}", "household plan")
        self.page(f"/plans?area={area}", "district plans")


class Planner(ChipaoUser):
    """Coverage and its gaps (the planner itself is a background job, not timed here)."""
    role = "planner"
    weight = 1

    @task
    def session(self) -> None:
        province = random.choice(PLAN["provinces"])
        self.page("/centres", "coverage national")
        self.page(f"/centres?area={province}&d=10", "coverage province")
