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
    toggle: function (n, open) { return n ? !open : open; }
  }
});
