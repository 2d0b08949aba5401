"""The committee brief against a real store (tests/factory.py): the PDF's headline
figures (pdftotext) equal counts computed here straight from household_round, every
page renders (pdftoppm) and is not blank, the Thai font is embedded (pdffonts), a Thai
area name round-trips, a public brief holds no personal data and suppresses small
counts, a repeated build comes from the cache and every hand-out is audited; the
static maps render Thai labels as SVG and PNG."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

from chipao.domain.mapstate import format_k
from tests import factory

PROVINCE = "TH50"


@pytest.fixture(scope="module")
def store(database, tmp_path_factory):
    import os

    from chipao import settings

    cache = tmp_path_factory.mktemp("brief-cache")
    old = os.environ.get("CHIPAO_CACHE_DIR")
    os.environ["CHIPAO_CACHE_DIR"] = str(cache)
    settings.reload()
    with factory.map_store() as url:
        yield url
    if old is None:
        os.environ.pop("CHIPAO_CACHE_DIR", None)
    else:
        os.environ["CHIPAO_CACHE_DIR"] = old
    settings.reload()


def _expected(conn, pcode: str, year: int) -> dict[str, int]:
    """Headline counts straight from the household rows (not the aggregates)."""
    row = conn.execute(text("""
        SELECT count(*) AS surveyed, sum(r.size) AS people,
               count(*) FILTER (WHERE r.dims_failed <> 0) AS poor,
               sum(r.size) FILTER (WHERE r.dims_failed <> 0) AS poor_people,
               count(*) FILTER (WHERE r.dims_failed <> 0 AND r.welfare_card) AS target_poor,
               count(*) FILTER (WHERE r.score >= 1.0 / 3 - 1e-6) AS af_poor
        FROM household_round r JOIN survey_round s USING (round_id)
        WHERE s.year_be = :y AND starts_with(r.tambon_pcode, :p)
    """), {"y": year, "p": pcode}).mappings().one()
    return {k: int(v or 0) for k, v in row.items()}


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def _row(text_: str, label: str) -> list[str]:
    """The figures on the headline line that starts with `label`."""
    for line in text_.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].split()
    raise AssertionError(f"no line for {label!r} in the PDF text")


@pytest.fixture(scope="module")
def province_pdf(store, tmp_path_factory):
    from chipao.briefs.brief import BriefOptions, build
    from chipao.domain.scope import SYSTEM

    brief = build(SYSTEM, BriefOptions(PROVINCE, 2566))
    path = tmp_path_factory.mktemp("brief") / brief.filename
    path.write_bytes(brief.pdf)
    return path, brief


def test_headline_figures_equal_the_store(province_pdf):
    from queries.db import owner

    path, brief = province_pdf
    assert brief.filename == "จังหวัดทดสอบ_TH50-2566-สรุป.pdf"
    text_ = _pdftotext(path)
    with owner() as conn:
        now, before = _expected(conn, PROVINCE, 2566), _expected(conn, PROVINCE, 2565)
    assert now["surveyed"] > 100 and now["poor"] > 0
    assert _row(text_, "ครัวเรือนที่สำรวจ")[:2] == [f"{now['surveyed']:,}",
                                                   f"{before['surveyed']:,}"]
    assert _row(text_, "สมาชิกครัวเรือนที่สำรวจ (คน)")[:2] == [f"{now['people']:,}",
                                                             f"{before['people']:,}"]
    poor = _row(text_, "ครัวเรือนยากจนตามเกณฑ์ TPMAP")
    assert poor == [f"{now['poor']:,}", f"{before['poor']:,}",
                    f"{now['poor'] - before['poor']:+,}"]
    assert _row(text_, "ร้อยละครัวเรือนยากจน")[0] == f"{100 * now['poor'] / now['surveyed']:.1f}%"
    assert _row(text_, "สมาชิกครัวเรือนยากจน (คน)")[0] == f"{now['poor_people']:,}"
    assert _row(text_, "คนจนเป้าหมาย (ยากจนและถือบัตรสวัสดิการ)")[0] == \
        f"{now['target_poor']:,}"
    assert _row(text_, f"H (k = {format_k(1 / 3)})")[0] == f"{100 * now['af_poor'] / now['surveyed']:.1f}%"
    # the trend table has every round of the store
    for year, counts in ((2565, before), (2566, now)):
        assert re.search(rf"^\s*{year}\s+{counts['surveyed']:,}\s+{counts['poor']:,}\s",
                         text_, re.M), year


def test_every_page_renders_and_is_not_blank(province_pdf, tmp_path):
    path, _ = province_pdf
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 6 <= pages <= 12
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == pages
    for image in images:
        pixels = np.asarray(Image.open(image).convert("L"))
        assert (pixels < 200).mean() > 0.01, f"{image.name} is blank"
    # the map pages carry colour (the choropleth), not just text
    colours = np.asarray(Image.open(images[2]).convert("RGB")).astype(int)
    saturated = (colours.max(axis=2) - colours.min(axis=2)) > 60
    assert saturated.mean() > 0.02


def test_thai_font_is_embedded_and_thai_round_trips(province_pdf):
    from queries.db import owner

    path, _ = province_pdf
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout
    sarabun = [line for line in fonts.splitlines() if "Chipao-Sarabun" in line]
    assert sarabun and all(" yes yes yes " in line for line in sarabun), fonts
    with owner() as conn:
        name = conn.execute(text("SELECT name_th FROM area WHERE pcode = :p"),
                            {"p": PROVINCE}).scalar_one()
    assert name in _pdftotext(path)


def test_every_page_is_stamped_and_numbered(province_pdf):
    path, _ = province_pdf
    pages = _pdftotext(path).split("\f")[:-1]
    for n, page in enumerate(pages, start=1):
        assert f"หน้า {n} / {len(pages)}" in page
        assert "OCHA" in page and "พ.ศ. 2566" in page
        if n > 1:
            assert f"k = {format_k(1 / 3)}" in page and "ข้อมูล ณ" in page


def test_public_brief_has_no_personal_data_and_suppresses(store, tmp_path):
    from chipao.briefs.brief import BriefOptions, build
    from chipao.domain.scope import PUBLIC
    from queries.db import owner

    brief = build(PUBLIC, BriefOptions(PROVINCE, 2566, lang="en"))
    path = tmp_path / "public.pdf"
    path.write_bytes(brief.pdf)
    text_ = _pdftotext(path)
    with owner() as conn:
        ids = set(conn.execute(text(
            "SELECT house_id FROM household WHERE starts_with(tambon_pcode, :p)"),
            {"p": PROVINCE}).scalars())
        names = set(conn.execute(text(
            "SELECT m.first_name FROM member m JOIN household h USING (house_id) "
            "WHERE starts_with(h.tambon_pcode, :p)"), {"p": PROVINCE}).scalars()) \
            if _has_column(conn, "member", "first_name") else set()
    words = set(re.findall(r"\S+", text_))
    assert ids and not ids & words
    assert not names & words
    assert not re.search(r"\b\d{13}\b|\b\d-\d{4}-\d{5}-\d{2}-\d\b", text_)  # national IDs
    assert "Share of households poor" in text_ and "fewer than 5" in text_
    # plan progress and centre coverage are not open to public viewers (issue 13, item 9)
    assert "Plan progress" not in text_ and "Social-help centres and access" not in text_
    assert brief.cached is False


def _has_column(conn, table: str, column: str) -> bool:
    return bool(conn.execute(text(
        "SELECT 1 FROM information_schema.columns WHERE table_name = :t AND column_name = :c"),
        {"t": table, "c": column}).first())


def test_a_repeated_brief_comes_from_the_cache_and_is_audited(store, province_pdf):
    from chipao.briefs.brief import BriefOptions, build
    from chipao.domain.scope import SYSTEM
    from queries.db import owner

    _path, first = province_pdf
    again = build(SYSTEM, BriefOptions(PROVINCE, 2566))
    assert again.cached and again.pdf == first.pdf and again.key == first.key
    other = build(SYSTEM, BriefOptions(PROVINCE, 2566, k=0.5), use_cache=False)
    assert other.key != first.key
    with owner() as conn:
        rows = conn.execute(text(
            "SELECT details FROM audit_log WHERE action = 'brief' AND target = :p "
            "ORDER BY audit_id"), {"p": PROVINCE}).scalars().all()
    assert [r["cached"] for r in rows][-2:] == [True, False]


def test_bad_options_are_refused_with_a_message(store):
    from chipao.briefs.brief import BriefError, BriefOptions, build
    from chipao.domain.scope import SYSTEM

    for opts, words in ((BriefOptions("TH500101"), "province"),
                        (BriefOptions("TH99"), "no area"),
                        (BriefOptions(PROVINCE, 2400), "no survey round"),
                        (BriefOptions(PROVINCE, k=0), "k must")):
        with pytest.raises(BriefError, match=words):
            build(SYSTEM, opts)


def test_static_map_svg_and_png(store):
    from geodata import static_map as sm
    from queries.db import owner

    with owner() as conn:
        frame = sm.shapes_frame(conn, 2, PROVINCE)
    assert list(frame["pcode"]) == ["TH5001", "TH5002"]
    spec = sm.MapSpec({"TH5001": "#bd0026", "TH5002": None},
                      [sm.LegendEntry("#bd0026", "10.0% – 20.0%")], title="ทดสอบ ชื่อแผนที่",
                      subtitle="พ.ศ. 2566", source="ที่มา: จปฐ.")
    svg = sm.render(frame, spec, "svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert b"#bd0026" in svg and b"#d9d9d9" in svg  # the class colour and no-data grey
    png = sm.render(frame, spec, "png", dpi=60)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # a change map's words carry symbols Sarabun lacks: drawn from the fallback, never a box
    change = sm.MapSpec(spec.colors, spec.legend, title="การเปลี่ยนแปลง 2565 → 2566",
                        subtitle="k ≥ 0.33 · −2.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of every glyph missing from a font
        for fmt in ("png", "svg"):
            assert sm.render(frame, change, fmt, dpi=60)
    assert sm.file_name("เชียงใหม่", "2567", "รายได้", ext="png") == "เชียงใหม่-2567-รายได้.png"
