"""Checks a person would make of any page, run in the real browser on what it drew:

- `thai_font_fallbacks(page)`: visible text drawn in a font other than the app's
  Sarabun (CDP ``CSS.getPlatformFontsForNode`` names the font Chromium really used for
  each element's own text; the browser tests run with no Thai system font, so any
  fallback is boxes). Native ``title`` tooltips are drawn by the browser's UI in a
  system font: Thai in a ``title`` counts as a fallback too.
- `modebar_titles(page)`: the Plotly toolbar buttons on the page.
- `axe_violations(page)`: axe-core's serious and critical WCAG 2.1 A/AA violations
  (axe-core is vendored for the tests only, tests/e2e/vendor/axe-core).
"""

from __future__ import annotations

import pathlib
import re

AXE = pathlib.Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
SARABUN = "Sarabun"
THAI = re.compile(r"[\u0E00-\u0E7F]")

# Mark every visible element whose own text (text-node children, an input's value or
# placeholder) has a character; count the characters Sarabun's files do not cover
# (assets/02-sarabun.css unicode-range: Thai, Latin-1 and common punctuation), which
# may rightly come from another font (e.g. "→").
_MARK = r"""() => {
  const covered = c => { const u = c.codePointAt(0);
    return (u >= 0x20 && u <= 0xFF) || (u >= 0x0E01 && u <= 0x0E5B) || (u >= 0x2000 && u <= 0x206F)
      || [0x131, 0x152, 0x153, 0x2BB, 0x2BC, 0x2C6, 0x2D7, 0x2DA, 0x2DC, 0x303, 0x304, 0x308,
          0x329, 0x331, 0x20AC, 0x2122, 0x2191, 0x2193, 0x2212, 0x2215, 0x25CC, 0xFEFF,
          0xFFFD].includes(u); };
  const shown = el => { const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && parseFloat(s.opacity) > 0; };
  let n = 0; const titles = [];
  for (const el of document.querySelectorAll('body *')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    let own = '';
    for (const c of el.childNodes) if (c.nodeType === 3) own += c.nodeValue;
    if (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') own += (el.value || el.placeholder || '');
    own = own.replace(/\s+/g, '');
    if (el.title && /[\u0E00-\u0E7F]/.test(el.title)) titles.push(el.title);
    if (!own || !shown(el)) continue;
    el.setAttribute('data-font-probe', String(n++));
    el.setAttribute('data-font-other', String([...own].filter(c => !covered(c)).length));
    el.setAttribute('data-font-thai', /[\u0E00-\u0E7F]/.test(own) ? '1' : '0');
  }
  return titles; }"""


def thai_font_fallbacks(page) -> list[str]:
    """Text on the page that Chromium drew with a font other than Sarabun, as
    "<text>: <fonts>" lines (empty: every glyph it could is Sarabun's)."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    titles = page.evaluate(_MARK)
    problems = [f"title tooltip (system font): {t!r}" for t in titles]
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll",
                         {"nodeId": root, "selector": "[data-font-probe]"})["nodeIds"]
        for node in nodes:
            try:
                fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                attrs = cdp.send("DOM.getAttributes", {"nodeId": node})["attributes"]
            except Exception as err:  # the element left the page: no longer text anyone sees
                if "Could not find node" not in str(err):
                    raise
                continue
            a = dict(zip(attrs[::2], attrs[1::2], strict=True))
            other = sum(f["glyphCount"] for f in fonts
                        if not (f["isCustomFont"] and f["familyName"].startswith(SARABUN)))
            # Thai text must be all Sarabun (a fallback has no Thai glyph: boxes); Latin
            # in a deliberate other face (monospace IDs) is not this check's business
            if a["data-font-thai"] == "1" and other > int(a["data-font-other"]):
                html = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
                used = ", ".join(f"{f['familyName']}×{f['glyphCount']}" for f in fonts)
                problems.append(f"{_text_of(html)!r}: {used}")
    finally:
        cdp.detach()
    page.evaluate("""() => document.querySelectorAll('[data-font-probe]').forEach(el => {
        el.removeAttribute('data-font-probe'); el.removeAttribute('data-font-other');
        el.removeAttribute('data-font-thai'); })""")
    return problems


def _text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()[:80]


def modebar_titles(page) -> set[str]:
    """The titles of every Plotly toolbar button on the page (drawn, shown on hover)."""
    return set(page.evaluate(
        "() => [...document.querySelectorAll('.modebar-btn')].map(b => b.dataset.title)"))


def axe_violations(page, impacts=("serious", "critical"), rules=None) -> list[str]:
    """Serious/critical axe-core violations of WCAG 2.0/2.1 A and AA on the page now
    (of `rules` only, when given)."""
    if not page.evaluate("() => !!window.axe"):
        # evaluated through the DevTools protocol: the page's CSP forbids inline scripts
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        resultTypes: ['violations']})""")
    out = []
    for v in result["violations"]:
        if v["impact"] not in impacts or (rules is not None and v["id"] not in rules):
            continue
        targets = "; ".join(" ".join(n["target"]) if isinstance(n["target"], list)
                            else str(n["target"]) for n in v["nodes"][:5])
        out.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} — {targets}")
    return out


def fonts_of(page, selector: str) -> dict[str, int]:
    """{font family: glyphs} Chromium really drew the text of every element matching
    `selector` with (CDP ``CSS.getPlatformFontsForNode``, summed over them and their
    descendants' text)."""
    cdp = page.context.new_cdp_session(page)
    used: dict[str, int] = {}
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        tops = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        nodes = list(tops)
        for top in tops:
            nodes += cdp.send("DOM.querySelectorAll", {"nodeId": top, "selector": "*"})["nodeIds"]
        for node in nodes:
            for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
                name = f["familyName"] if f["isCustomFont"] else f"{f['familyName']} (system)"
                used[name] = used.get(name, 0) + f["glyphCount"]
    finally:
        cdp.detach()
    return used
