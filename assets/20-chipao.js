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
    }
  }
});
