// Chipao clientside callbacks. Kept in a file (not inline) so the Content-Security-Policy
// can forbid inline scripts.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  chipao: {
    setLanguage: function (thClicks, enClicks) {
      const ctx = window.dash_clientside.callback_context;
      const trig = (ctx.triggered[0] || {}).prop_id || "";
      if (!trig) { return window.dash_clientside.no_update; }
      const lang = trig.startsWith("shell-lang-en") ? "en" : "th";
      document.cookie = "chipao_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
      window.location.reload();
      return window.dash_clientside.no_update;
    },
    // The phone menu: the toggler opens and closes it; choosing a page (the address
    // changes, or a menu link is clicked) closes it so the page starts at the top.
    navMenu: function (n, _path, _links, open) {
      const trig = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
      if (trig.startsWith("shell-toggler")) { return n ? !open : open; }
      return false;
    },
    // Every page: the round selector and the address's `round` parameter in step. A
    // round chosen goes into the address (the other parameters kept, in their order);
    // an address naming another round the selector offers moves the selector.
    syncRound: function (search, value, options) {
      const nu = window.dash_clientside.no_update;
      const ctx = window.dash_clientside.callback_context;
      const trig = (ctx.triggered[0] || {}).prop_id || "";
      const params = new URLSearchParams(typeof search === "string" ? search : "");
      const fromUrl = params.get("round");
      if (trig === "shell-round.value" && value !== null && value !== undefined) {
        if (fromUrl === String(value)) { return [nu, nu]; }
        params.set("round", String(value));
        // a map that fetched this round's view ahead draws it now (40-chipao-map.js)
        document.dispatchEvent(new CustomEvent("chipao:round-chosen",
                                               {detail: {value: String(value)}}));
        return ["?" + params.toString(), nu];
      }
      const valid = new Set((Array.isArray(options) ? options : []).map(function (o) {
        return String(o && o.value);
      }));
      if (fromUrl && /^[0-9]+$/.test(fromUrl) && valid.has(fromUrl)
          && fromUrl !== String(value)) {
        return [nu, parseInt(fromUrl, 10)];
      }
      return [nu, nu];
    },
    // Every page: the navigation links keep the chosen round.
    roundInNav: function (value, ids) {
      const suffix = value ? "?round=" + value : "";
      return (ids || []).map(function (i) { return i.path + suffix; });
    },
    // /map: each control (dimension, measure, k, level, classes, comparison) shows the
    // view drawn (after a link, the back button, or a measure that needs a dimension),
    // unless the user has changed it since that view was asked for (the newer choice's
    // answer is on its way). Here, not as outputs of the server's callback: Dash loses
    // a change to an input that a pending callback writes.
    controlsOfView: function (drawn) {
      const nu = window.dash_clientside.no_update;
      const now = Array.prototype.slice.call(arguments, 1);
      if (!drawn || !drawn.shown) { return now.map(function () { return nu; }); }
      return now.map(function (value, i) {
        const shown = drawn.shown[i];
        return shown === value || drawn.asked[i] !== value ? nu : shown;
      });
    },
    // /map: the address, for the view's callback, unless it is the view shown (the
    // address that callback wrote itself: no round trip to find that out).
    addressOfView: function (search, shown) {
      return (search || "") === (shown || "") ? window.dash_clientside.no_update : search;
    },
    // /map: a ranking row picked brings the map (what the click changes) into view.
    showMap: function (cell) {
      const body = document.getElementById("map-body");
      if (cell && body) { body.scrollIntoView({block: "start"}); }
      return window.dash_clientside.no_update;
    },
    // / and /map: a provincial, district or tambon user opens at their own area; the
    // address says so (replaceState, so the pages router does not rebuild the page)
    // unless it already names an area or a level (the user zoomed out on purpose).
    ownArea: function (search) {
      const now = new URLSearchParams(window.location.search);
      if (search && !now.has("area") && !now.has("level")) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
      }
      return window.dash_clientside.no_update;
    },
    // /centres: the province, district and distance in the address (replaceState, so
    // the pages router does not rebuild the page): a shared link reproduces the view.
    centresUrl: function (province, district, distance) {
      const params = new URLSearchParams(window.location.search);
      const area = district || province;
      params.set("area", area || "TH");  // the country, said (no area: the user's own)
      if (distance) { params.set("d", String(distance)); }
      const search = params.toString();
      const url = window.location.pathname + (search ? "?" + search : "");
      if (url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, "", url);
      }
      return window.dash_clientside.no_update;
    }
  }
});

// Accessibility repairs for Dash 4's own widgets (WCAG 2.1 AA; axe-core checks them in
// tests/e2e/test_every_page.py). They run on every DOM change, idempotently:
// - dcc.Dropdown keeps a hidden read-only input as the target of its <label for>: it
//   is aria-hidden, so it must not take Tab focus as well (the visible button does);
//   a click on the label still focuses it programmatically.
// - dcc.Slider's thumb (role=slider) and its number box have no name: they take the
//   text of the <label for="<slider id>"> that names the slider on the page.
(function () {
  function labelFor(id) {
    if (!id) { return ""; }
    const label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
    return label ? label.textContent.trim() : "";
  }
  function repair() {
    document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden='true']").forEach(function (el) {
      if (el.getAttribute("tabindex") !== "-1") { el.setAttribute("tabindex", "-1"); }
    });
    document.querySelectorAll(".dash-slider-thumb, .dash-range-slider-input").forEach(function (el) {
      if (el.getAttribute("aria-label")) { return; }
      for (let node = el.parentElement; node; node = node.parentElement) {
        const name = labelFor(node.id);
        if (name) { el.setAttribute("aria-label", name); return; }
      }
    });
  }
  // Repaired in the observer's own callback (a microtask after the change), not in a
  // later frame: a widget is never seen, by a person's screen reader or by axe, unnamed.
  const observer = new MutationObserver(repair);
  function start() {
    repair();
    observer.observe(document.body, {childList: true, subtree: true, attributes: true,
                                     attributeFilter: ["tabindex"]});
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
// A click on a slider's mark gives the mark's own value. (Dash's slider places marks
// inset by the thumb's width but maps the pointer linearly over the whole track, so a
// click on "5" of 1–50 gave 6.) Capture phase: the slider never sees the press.
document.addEventListener("pointerdown", function (event) {
  const mark = event.target.closest && event.target.closest(".dash-slider-mark");
  const slider = mark && mark.closest(".dash-slider-container[id]");
  const value = mark ? Number(mark.textContent.trim()) : NaN;
  if (!slider || !Number.isFinite(value) || !window.dash_clientside.set_props) { return; }
  event.preventDefault();
  event.stopPropagation();
  window.dash_clientside.set_props(slider.id, {value: value});
}, true);
