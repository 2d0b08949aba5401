/* The meeting tools (briefs/ui.py): download links that follow the view, and the
   presentation mode (?present=1): full screen, large type, keys step through areas
   and dimensions. No inline script: the CSP allows none. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  meeting: {
    links: function (search) {
      const q = search || '';
      const present = new URLSearchParams(q);
      present.set('present', '1');
      return ['/export/map.png' + q, '/export/map.svg' + q, '/export/ranking.csv' + q,
              '/export/ranking.xlsx' + q, '/map?' + present.toString()];
    }
  }
});
