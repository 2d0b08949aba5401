"""Print media and presentation mode of /plans in headless Chromium at 1366×768: the
print PDF carries the progress map as a non-blank static image, no navigation or
controls, and the filter and source line; presentation shows the map and its legend on
one screen without controls, and the keyboard steps through areas and measures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from queries import plans
from queries.db import owner
from tests.auth_helpers import create_user, login
from tests.factory import isolated_store, plans_areas, plans_build

pytestmark = pytest.mark.browser
VIEW = "?round=2565&level=1&area=TH&days=1"
READY = """() => { const m = (window.chipaoMaps || {})['plans-map'];
    return !!(m && m.ready && m.areas().length); }"""


@pytest.fixture(scope="module")
def store(database):
    with isolated_store("chipao_test_plans_print") as url:
        with owner() as conn:
            plans_areas(conn)
            plans_build(conn, plans.bangkok_today())
            plans.refresh_plans(conn, plans.bangkok_today())
        from geodata.serve import invalidate_geometry_cache

        invalidate_geometry_cache()
        yield url
        invalidate_geometry_cache()


@pytest.fixture(scope="module")
def context(browser, live_server, store):
    user = create_user("executive")
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="th-TH")
    page = ctx.new_page()
    login(page, live_server, *user, next_path="/plans")
    page.close()
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    yield pg
    pg.close()


def _box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return {x: r.x, y: r.y, w: r.width, h: r.height,
                shown: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'}; }""")


def _coloured(path: Path) -> float:
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return float(((pixels.max(axis=2) - pixels.min(axis=2)) > 60).mean())


def test_print_media_pdf_has_the_static_map_and_no_navigation(page, live_server, tmp_path):
    page.goto(f"{live_server}/plans{VIEW}")
    page.wait_for_function(READY)
    page.wait_for_function("""() => { const i = document.querySelector(
        '.chipao-map:has(#plans-map) .chipao-map-print');
        return i && i.dataset.static === '1' && i.complete && i.naturalWidth > 0; }""")
    page.emulate_media(media="print")
    for hidden in (".shell-navbar", "#plans-measure", "#plans-export-funnel",
                   "#plans-funnel-png", ".chipao-map-canvas", "#plans-present"):
        assert not page.is_visible(hidden), hidden
    stamp = page.inner_text("#plans-print-stamp")
    assert "2565" in stamp and "ที่มา" in stamp
    pdf = tmp_path / "plans.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    images = sorted(Path(tmp_path).glob("img-*.png"))
    assert images
    biggest = max(images, key=lambda p: Image.open(p).size[0] * Image.open(p).size[1])
    assert Image.open(biggest).size[0] >= 600 and _coloured(biggest) > 0.02
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "OCHA" in text  # the boundary attribution, in the stamp of every page
    assert "ครัวเรือนเป้าหมาย" in text
    assert "แผนที่ความยากจน" not in text  # no navigation (the navbar's link to /map)
    pages = text.count("\x0c")
    assert text.count("OCHA") >= pages >= 2  # the filter and source line on every page


def test_presentation_shows_map_and_legend_without_controls(page, live_server, tmp_path):
    page.goto(f"{live_server}/plans?round=2565&level=2&area=TH10&days=1&present=1")
    page.wait_for_function(READY)
    assert page.evaluate("document.documentElement.classList.contains('present')")
    for hidden in (".shell-navbar", "#plans-measure", "#plans-breadcrumb", ".export-links",
                   ".modebar-container", "#plans-present"):
        assert not page.is_visible(hidden), hidden
    canvas = _box(page, ".chipao-map:has(#plans-map) .chipao-map-canvas")
    legend = _box(page, "#plans-map-legend")
    assert canvas["shown"] and legend["shown"]
    for box in (canvas, legend):
        assert box["y"] >= 0 and box["y"] + box["h"] <= 768 + 1, box
    assert canvas["h"] >= 500
    page.screenshot(path=str(tmp_path / "present.png"))
    assert _coloured(tmp_path / "present.png") > 0.02
    # the keyboard steps through the areas and the measures
    areas = page.evaluate("window.chipaoMaps['plans-map'].areas()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(p) => location.search.includes('sel=' + p)", arg=areas[0])
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => location.search.includes('measure=done')")
    page.wait_for_function("() => document.querySelector('#plans-map-legend') && "
                           "document.querySelector('#plans-map-legend').innerText"
                           ".includes('ร้อยละรายการในแผนที่เสร็จ')")
    assert page.evaluate("document.documentElement.classList.contains('present')")
