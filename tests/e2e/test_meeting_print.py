"""Presentation mode and print media of /map in headless Chromium at 1366×768: the map,
its legend and area names on one screen with no controls, the keyboard steps through
areas and dimensions, a shared link opens the same view; the print-media PDF carries a
non-blank static map image and the figure's stamp."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
READY = """() => { const m = (window.chipaoMaps || {})['map-view'];
    return !!(m && m.ready && m.areas().length); }"""


@pytest.fixture
def page(province_context):
    pg = province_context.new_page()
    yield pg
    pg.close()


def _box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, """e => { const r = e.getBoundingClientRect();
        return {x: r.x, y: r.y, w: r.width, h: r.height,
                shown: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'}; }""")


def test_presentation_shows_map_legend_and_names_without_controls(page, live_server, tmp_path):
    page.goto(f"{live_server}/map?area=TH50&round=2566&present=1")
    page.wait_for_function(READY)
    assert page.evaluate("document.documentElement.classList.contains('present')")
    for hidden in (".map-controls", ".shell-navbar", ".meeting-toolbar", "#map-ranking",
                   ".maplibregl-ctrl-group", ".form-switch"):
        assert not page.is_visible(hidden), hidden
    canvas, legend = _box(page, ".chipao-map-canvas"), _box(page, ".chipao-map-legend")
    assert canvas["shown"] and legend["shown"]
    for box in (canvas, legend):  # both on the one screen
        assert box["y"] >= 0 and box["y"] + box["h"] <= 768 + 1, box
    assert canvas["h"] >= 500  # the map fills the projector's screen
    assert page.evaluate("window.chipaoMaps['map-view'].labels().length") >= 2  # names
    assert page.is_visible("#map-present-hint")
    page.screenshot(path=str(tmp_path / "present.png"))
    shot = np.asarray(Image.open(tmp_path / "present.png").convert("RGB")).astype(int)
    assert ((shot.max(axis=2) - shot.min(axis=2)) > 60).mean() > 0.02  # a coloured map


def test_keys_step_through_areas_and_dimensions(page, live_server):
    page.goto(f"{live_server}/map?area=TH50&round=2566&present=1")
    page.wait_for_function(READY)
    areas = page.evaluate("window.chipaoMaps['map-view'].areas()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(p) => location.search.includes('sel=' + p)", arg=areas[0])
    page.wait_for_function("(p) => document.getElementById('map-panel-name') &&"
                           " document.getElementById('map-panel-name').innerText.includes(p)",
                           arg=areas[0])
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(p) => location.search.includes('sel=' + p)", arg=areas[1])
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => location.search.includes('subject=dim%3A') || "
                           "location.search.includes('subject=dim:')")
    assert page.evaluate("document.documentElement.classList.contains('present')")
    # the presentation link opens the same view for a colleague (the page rewrites the
    # link after the address changes: wait for the link a person would copy)
    link = page.locator("#map-present")
    expect(link).to_have_attribute("href", re.compile(r"subject=dim"))
    href = link.get_attribute("href")
    assert "present=1" in href and f"sel={areas[1]}" in href


def test_print_media_pdf_has_a_static_map_image(page, live_server, tmp_path):
    page.goto(f"{live_server}/map?area=TH50&round=2566&subject=dim:income")
    page.wait_for_function(READY)
    page.wait_for_function("""() => { const i = document.querySelector('.chipao-map-print');
        return i && i.dataset.static === '1' && i.complete && i.naturalWidth > 0; }""")
    page.emulate_media(media="print")
    assert not page.is_visible(".map-controls") and not page.is_visible(".meeting-toolbar")
    assert not page.is_visible(".chipao-map-canvas")
    stamp = page.inner_text("#map-print-stamp")
    assert "พ.ศ. 2566" in stamp and "OCHA" in stamp
    pdf = tmp_path / "map.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                             capture_output=True, text=True).stdout
    assert len(listing.strip().splitlines()) > 2, listing  # at least one image
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    images = [Image.open(p).convert("RGB") for p in sorted(Path(tmp_path).glob("img-*.png"))]
    biggest = max(images, key=lambda im: im.size[0] * im.size[1])
    pixels = np.asarray(biggest).astype(int)
    assert biggest.size[0] >= 600
    assert ((pixels.max(axis=2) - pixels.min(axis=2)) > 60).mean() > 0.02  # coloured areas
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "OCHA" in text
