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
    toggle: function (n, open) { return n ? !open : open; },
    // /map: a ranking row picked brings the map (what the click changes) into view.
    showMap: function (cell) {
      const body = document.getElementById("map-body");
      if (cell && body) { body.scrollIntoView({block: "start"}); }
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
