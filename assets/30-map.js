// Poverty map (pages/map.py): start downloading and parsing the map's GeoJSON as soon
// as the page arrives, while Plotly itself is still loading. Plotly looks the URL up in
// window.PlotlyGeoAssets before fetching it, so a finished prefetch is used as is; if
// Plotly gets there first it fetches the (by then HTTP-cached) file itself.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  chipao_map: {
    // A ranking row picked: the map (what the click changes) comes into view.
    showMap: function (cell) {
      const body = document.getElementById("map-body");
      if (cell && body) { body.scrollIntoView({block: "start"}); }
      return window.dash_clientside.no_update;
    },
    prefetchGeometry: function (url, _search) {
      if (!url) { return window.dash_clientside.no_update; }
      window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
      const assets = window.PlotlyGeoAssets;
      if (!assets[url]) {
        fetch(url, {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (geojson) { if (geojson && !assets[url]) { assets[url] = geojson; } })
          .catch(function () { /* Plotly will fetch it and report any error */ });
      }
      return window.dash_clientside.no_update;
    }
  }
});
