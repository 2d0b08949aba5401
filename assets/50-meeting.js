/* The meeting tools (components/meeting.py): download and print-image links that
   follow the view, the print stamp, and presentation mode (?present=1): large type, no
   controls, full screen on the first key press; ←/→ step through the areas drawn,
   ↑/↓ through overall and the five dimensions. No inline script: the CSP allows none. */
(function () {
  const SUBJECTS = ["overall", "dim:health", "dim:living", "dim:education", "dim:income",
                    "dim:access"];

  function stamp() {
    const box = document.querySelector(".meeting-print-stamp");
    if (!box) { return; }
    const parts = [];
    for (const sel of ["#map-figure-title", ".figure-source", "#map-definition",
                       ".map-attribution"]) {
      const el = document.querySelector(sel);
      if (el && el.innerText.trim()) { parts.push(el.innerText.trim()); }
    }
    box.textContent = parts.join(" · ");
  }

  // The page rewrites its URL to the canonical view (dropping ?present=1), so the
  // mode is remembered for this tab; Esc outside full screen leaves it.
  const KEY = "chipao-present";
  function present() {
    if (new URLSearchParams(window.location.search).get("present") === "1") {
      try { window.sessionStorage.setItem(KEY, "1"); } catch (e) { return true; }
    }
    try { return window.sessionStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function leave() {
    try { window.sessionStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    const params = new URLSearchParams(window.location.search);
    params.delete("present");
    go(params);
    sync();
  }

  function go(params) {  // navigate inside Dash (as dcc.Link does): the URL is the state
    window.history.pushState({}, "", window.location.pathname + "?" + params.toString());
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }

  function step(delta) {
    const maps = window.chipaoMaps || {};
    const m = maps["map-view"];
    if (!m) { return; }
    const areas = m.areas();
    if (!areas.length) { return; }
    const params = new URLSearchParams(window.location.search);
    const i = areas.indexOf(params.get("sel"));
    const next = areas[(i + delta + areas.length) % areas.length];
    params.set("sel", next);
    go(params);
  }

  function subject(delta) {  // the map's subjects: only where a map is shown
    if (!(window.chipaoMaps || {})["map-view"]) { return; }
    const params = new URLSearchParams(window.location.search);
    const i = Math.max(0, SUBJECTS.indexOf(params.get("subject") || "overall"));
    params.set("subject", SUBJECTS[(i + delta + SUBJECTS.length) % SUBJECTS.length]);
    go(params);
  }

  function sync() { document.documentElement.classList.toggle("present", present()); }

  document.addEventListener("keydown", function (e) {
    if (!present() || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (window.location.pathname !== "/map") {  // other pages: F and Esc here, their
      if (e.key === "Escape" && !document.fullscreenElement) { leave(); return; }  // own
      if (e.key === "f" && document.documentElement.requestFullscreen) {  // steps in
        document.documentElement.requestFullscreen().catch(() => {});  // 55-downloads.js
      }
      return;
    }
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    const actions = {ArrowRight: () => step(1), ArrowLeft: () => step(-1),
                     ArrowDown: () => subject(1), ArrowUp: () => subject(-1),
                     PageDown: () => step(1), PageUp: () => step(-1)};
    if (e.key === "Escape" && !document.fullscreenElement) { leave(); return; }
    if (e.key === "f" && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
    const act = actions[e.key];
    if (act) {
      e.preventDefault();
      act();
      if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(() => {});  // needs a gesture
      }
    }
  });
  window.addEventListener("popstate", sync);
  window.addEventListener("_dashprivate_pushstate", sync);
  window.addEventListener("beforeprint", stamp);
  document.addEventListener("DOMContentLoaded", sync);
  sync();

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    meeting: {
      links: function (search) {
        const q = search || "";
        const shown = new URLSearchParams(q);
        shown.delete("present");
        const s = shown.toString() ? "?" + shown.toString() : "";
        const img = document.querySelector("#map-view-frame .chipao-map-print, " +
                                           ".chipao-map .chipao-map-print");
        if (img) {  // print shows the server's static map of this very view
          window.chipaoMapPrintImage(img, "/export/map.png" + s + (s ? "&" : "?") + "purpose=print");
        }
        sync();
        window.setTimeout(stamp, 0);
        const p = new URLSearchParams(s); p.set("present", "1");
        return ["/export/map.png" + s, "/export/map.svg" + s, "/export/ranking.csv" + s,
                "/export/ranking.xlsx" + s, "/map?" + p.toString(),
                "/export/profile.csv" + s, "/export/profile.xlsx" + s];
      }
    }
  });
})();
