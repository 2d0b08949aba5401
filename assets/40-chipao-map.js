// The Chipao map component (components/map_view.py builds it; docs/maps.md documents it).
//
// MapLibre GL JS (assets/vendor/maplibre-gl, CSP build) draws the areas of one level from a
// GeoJSON URL fetched once per level and subtree, or for the whole country's tambons from
// vector tiles of the same geometry (promoteId: the P-code). Values arrive
// as compact arrays aligned with the spec's P-codes and are applied with setFeatureState:
// the paint expressions below never change and setData is never called on a switch.
// Names are HTML labels in the served Sarabun font (MapLibre's text renderer does not
// shape Thai). Tests and other scripts use the DOM events `chipao:map-ready`,
// `chipao:map-painted` and `chipao:map-select`, the container's data-* attributes and
// window.chipaoMaps[id] (featureState, areas, focusArea, select).
(function () {
  "use strict";
  const maps = window.chipaoMaps = window.chipaoMaps || {};
  const NO_VALUE = "#ffffff";
  const MAX_LABELS = 100;         // more areas than this in view: no names (zoom in)
  const CACHED_GEOMETRIES = 6;    // sources kept for back/forth drill-down
  const VILLAGES = "villages";    // the village level's source, tile layer and circle layer
  const ROUND_CONTROL = "shell-round";  // components/shell_ids.py: the round selector
  const OUTLINE = "outline";      // the selected and the focused area's outline (source, layer)
  const AREAS = "areas";          // the layer of the areas' vector tiles (geodata/serve.py)
  const TILE_MAX_ZOOM = 10;       // … served up to this zoom, over-zoomed beyond
  const BORDER_ZOOM = 7.5;        // levels of thousands of areas: borders from this zoom
  const NO_FEATURES = {type: "FeatureCollection", features: []};
  const DRILLS_KEPT = 12;         // drill-downs fetched ahead, kept for a click
  const POINT_MS = 150;           // a pointer resting this long on an area fetches its drill-down
  const PRINT_MS = 1000;          // the print image loads this long after the map's last paint
  const TYPED_MS = 100;           // a typed value resting this long is fetched before its Enter
  const TYPED_KEPT = 8;           // views fetched while typing, kept until the page's answer
  let workerSet = false;

  function emit(inst, name, detail) {
    inst.frame.dispatchEvent(new CustomEvent("chipao:" + name,
      {bubbles: true, detail: Object.assign({id: inst.id}, detail)}));
  }

  function toDash(inst, kind, pcode) {
    if (inst.drillShown) {  // a drill-down drawn ahead: the server's answer first
      inst.queuedPick = [kind, pcode];
      return;
    }
    const url = drillUrl(inst, pcode);
    const ahead = url && inst.drills.get(url);
    if (ahead) { showDrillAhead(inst, ahead); }
    inst.events += 1;
    const data = {kind: kind, pcode: pcode, n: inst.events};
    emit(inst, "map-select", data);
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props({chipao_map: "event", map: inst.id}, {data: data});
    }
  }

  // a feature-state target: vector sources name their layer
  function target(inst, source, id) {
    return inst.vectors.has(source) ? {source: source, sourceLayer: AREAS, id: id}
                                    : {source: source, id: id};
  }

  // ── one map instance ──────────────────────────────────────────────────────
  function create(id, el, spec) {
    const frame = el.closest(".chipao-map");
    // performance marks (bench/bench_map.py splits a first render with them)
    performance.mark("chipao-map:create");
    if (!workerSet) {
      maplibregl.setWorkerUrl(frame.dataset.worker);
      workerSet = true;
    }
    const layers = [{id: "background", type: "background",
                     paint: {"background-color": "#eef2f5"}}];
    const sources = {};
    if (spec.tiles) {
      sources.basemap = {type: "raster", tiles: [spec.tiles], tileSize: 256};
      layers.push({id: "basemap", type: "raster", source: "basemap"});
    }
    const map = new maplibregl.Map({
      container: el,
      style: {version: 8, sources: sources, layers: layers},
      bounds: spec.bounds || [97.3, 5.6, 105.7, 20.5],
      fitBoundsOptions: {padding: 12},
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      maxZoom: 15,
      locale: {"Map.Title": frame.dataset.label || "Map"},
    });
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    map.addControl(new maplibregl.NavigationControl({showCompass: false}), "top-right");
    map.addControl(new maplibregl.ScaleControl({unit: "metric"}), "bottom-left");
    const inst = {
      id: id, el: el, frame: frame, map: map, spec: null, values: null, geometry: null,
      index: new Map(), stated: new Set(), selected: null, focus: -1, events: 0,
      paint: 0, pending: null, ready: false, styleReady: false, queued: null,
      tooltip: frame.querySelector(".chipao-map-tooltip"),
      live: frame.querySelector(".chipao-map-live"),
      labels: frame.querySelector(".chipao-map-labels"),
      labelPoints: new Map(), labelled: new Map(),
      ahead: new Map(), aheadRun: 0,   // views fetched ahead: URL → values
      nowRun: 0,                       // views fetched on demand, and the page's answers
      nowFetches: new Map(), typedTimer: null,  // on-demand URL → Promise (typing, below)
      drills: new Map(), pointed: null, pointTimer: null, drillShown: false, queuedPick: null,
      shapes: new Map(), outlineRun: 0,  // geometry URL → Promise of {pcode: geometry}
      vectors: new Set(),                // geometry URLs drawn from vector tiles
      labelFiles: new Map(),             // labels URL → Promise of {ids, th, en, at}
      aheadLegend: frame.querySelector(".chipao-map-legend-ahead"),
    };
    map.getCanvas().setAttribute("aria-describedby", frame.dataset.describedby || "");
    map.on("load", function () {
      performance.mark("chipao-map:style");
      addOutline(map);
      inst.styleReady = true;
      if (inst.queued) { const q = inst.queued; inst.queued = null; update(inst, q[0], q[1], true); }
    });
    map.on("render", function () { afterRender(inst); });
    map.on("sourcedata", function (e) {
      if (e.sourceId === inst.geometry && e.isSourceLoaded) {
        if (!inst.ready && !performance.getEntriesByName("chipao-map:geometry").length) {
          performance.mark("chipao-map:geometry");
        }
        collectLabels(inst);
      }
    });
    map.on("moveend", function () { placeLabels(inst); });
    map.on("move", function () { moveLabels(inst); });
    map.on("click", function (e) {
      const f = pick(inst, e.point);
      if (f) { toDash(inst, "click", f); }
    });
    map.on("mousemove", function (e) {
      const village = villageAt(inst, e.point);
      if (village) {  // a village point of the village level
        map.getCanvas().style.cursor = "";
        showLines(inst, villageLines(inst, village), e.point, "");
        return;
      }
      const point = map.getLayer("points") &&
        map.queryRenderedFeatures(e.point, {layers: ["points"]})[0];
      if (point && point.properties.label) {  // a point's own hover (centres, households)
        map.getCanvas().style.cursor = "";
        showLines(inst, String(point.properties.label).split("\n"), e.point, "");
        return;
      }
      const f = pick(inst, e.point);
      map.getCanvas().style.cursor = f ? "pointer" : "";
      if (f) { showTooltip(inst, f, e.point); } else { hideTooltip(inst); }
      pointAt(inst, f);
    });
    map.on("mouseout", function () { hideTooltip(inst); });
    frame.addEventListener("keydown", function (e) { onKey(inst, e); });
    el.addEventListener("focusout", function () { hideTooltip(inst); });
    return inst;
  }

  function pick(inst, point) {
    if (!inst.geometry || !inst.map.getLayer(inst.geometry + ":fill")) { return null; }
    const hits = inst.map.queryRenderedFeatures(point, {layers: [inst.geometry + ":fill"]});
    for (const f of hits) {
      const p = f.properties;
      if (inst.index.has(String(f.id))) {
        if (!inst.labelPoints.has(p.pcode) && p.lx !== undefined) {
          inst.labelPoints.set(p.pcode, {at: [p.lx, p.ly],
                                         name: inst.spec.lang === "en" ? p.name_en : p.name_th});
        }
        return String(f.id);
      }
    }
    return null;
  }

  // ── geometry: one GeoJSON source per URL, kept for going back ──────────────
  function showGeometry(inst, spec) {
    const map = inst.map;
    const url = spec.geometry;
    const many = spec.ids.length > 2000;  // borders of thousands of areas are a blur
    if (!map.getSource(url)) { addGeometry(inst, url, many, "visible", spec.vector); }
    inst.order = (inst.order || []).filter(function (u) { return u !== url; }).concat([url]);
    for (const u of inst.order) {
      const vis = u === url ? "visible" : "none";
      for (const kind of [":fill", ":line"]) {
        if (map.getLayer(u + kind)) { map.setLayoutProperty(u + kind, "visibility", vis); }
      }
    }
    inst.geometry = url;
    forgetGeometries(inst, CACHED_GEOMETRIES);
    inst.stated = new Set();
    inst.labelPoints = new Map();
    inst.labelsUrl = spec.labels || null;
    if (spec.labels) { loadLabels(inst, url, spec.labels); }
    else if (map.isSourceLoaded(url)) { collectLabels(inst); }
    if (spec.bounds) { map.fitBounds(spec.bounds, {padding: 12, animate: false}); }
  }

  // Borders of thousands of areas are a blur at the zoom that shows them all, and a line
  // layer there makes MapLibre's worker build line geometry for every area (~110 ms of
  // the national tambons' first paint): such a level draws borders only once zoomed in.
  // The selected and focused areas are outlined from the small OUTLINE source.
  // `vector`: a tile URL template of the same geometry (the whole country's tambons),
  // so that MapLibre's worker parses only the tiles on screen, already cut
  function addGeometry(inst, url, many, visibility, vector) {
    const map = inst.map;
    const on = {source: url, layout: {visibility: visibility}};
    if (vector) {
      const tiles = vector.charAt(0) === "/" ? window.location.origin + vector : vector;
      map.addSource(url, {type: "vector", tiles: [tiles], maxzoom: TILE_MAX_ZOOM,
                          promoteId: {[AREAS]: "pcode"}, attribution: ""});
      inst.vectors.add(url);
      on["source-layer"] = AREAS;
    } else {
      map.addSource(url, {type: "geojson", data: url, promoteId: "pcode", attribution: ""});
    }
    map.addLayer(Object.assign({id: url + ":fill", type: "fill", paint: {
      "fill-color": ["to-color", ["coalesce", ["feature-state", "fill"], NO_VALUE]],
      "fill-opacity": 0.92}}, on), OUTLINE);
    // many areas: borders only from BORDER_ZOOM, where a tile holds few of them
    map.addLayer(Object.assign({id: url + ":line", type: "line",
                                minzoom: many ? BORDER_ZOOM : 0, paint: {
                                  "line-color": "#ffffff", "line-width": 0.6}}, on), OUTLINE);
  }

  function addOutline(map) {
    map.addSource(OUTLINE, {type: "geojson", data: NO_FEATURES, attribution: ""});
    map.addLayer({id: OUTLINE, type: "line", source: OUTLINE, paint: {
      "line-color": ["match", ["get", "kind"], "sel", "#212529", "#0b5cad"],
      "line-width": ["match", ["get", "kind"], "sel", 3, 2.5]}});
  }

  // The areas' shapes of a geometry URL, read once in this thread (the browser's cache
  // already holds the file MapLibre's worker fetched), for the outline only.
  function shapesOf(inst, url) {
    let shapes = inst.shapes.get(url);
    if (!shapes) {
      shapes = getJson(url).then(function (fc) {
        return new Map(((fc && fc.features) || []).map(function (f) {
          return [String(f.properties.pcode), f.geometry];
        }));
      });
      inst.shapes.set(url, shapes);
    }
    return shapes;
  }

  async function drawOutline(inst) {
    const url = inst.geometry;
    const focused = inst.focus >= 0 && inst.spec ? inst.spec.ids[inst.focus] : null;
    const want = [[inst.selected, "sel"], [focused, "focus"]].filter(function (w) {
      return w[0] && inst.index.has(w[0]);
    });
    const run = ++inst.outlineRun;
    const shapes = want.length && url ? await shapesOf(inst, url) : new Map();
    if (run !== inst.outlineRun || !inst.map.getSource(OUTLINE)) { return; }  // moved on
    const features = want.filter(function (w) { return shapes.has(w[0]); }).map(function (w) {
      return {type: "Feature", properties: {kind: w[1], pcode: w[0]}, geometry: shapes.get(w[0])};
    });
    inst.map.getSource(OUTLINE).setData({type: "FeatureCollection", features: features});
    inst.frame.dataset.outlined = features.map(function (f) {
      return f.properties.kind + ":" + f.properties.pcode; }).join(" ");
  }

  // the oldest sources beyond `keep` go (never the one shown)
  function forgetGeometries(inst, keep) {
    const map = inst.map;
    while (inst.order.length > keep) {
      const i = inst.order.findIndex(function (u) { return u !== inst.geometry; });
      const old = inst.order.splice(i, 1)[0];
      for (const kind of [":fill", ":line"]) {
        if (map.getLayer(old + kind)) { map.removeLayer(old + kind); }
      }
      map.removeSource(old);
      inst.shapes.delete(old);
      inst.vectors.delete(old);
    }
  }

  // A same-origin JSON GET; null when refused, failing or not JSON.
  async function getJson(url) {
    try {
      const r = await fetch(url, {credentials: "same-origin",
                                  headers: {Accept: "application/json"}});
      return r.ok ? await r.json() : null;
    } catch (err) {
      return null;
    }
  }

  // getJson once per URL: the answer's Promise is kept in `cache` (the oldest beyond
  // `keep` go)
  function getJsonOnce(cache, url, keep) {
    let answer = cache.get(url);
    if (!answer) {
      answer = getJson(url);
      cache.set(url, answer);
      while (cache.size > keep) { cache.delete(cache.keys().next().value); }
    }
    return answer;
  }

  // ── drill-downs fetched ahead (values.drill, pages/map_ahead.py) ───────────
  // A pointer resting on an area (or the keyboard's focus) fetches the area's
  // drill-down — its spec and values — and adds its geometry, hidden, so that a click
  // draws it at once; the click still goes to the page, whose answer replaces it.
  // Picks made before that answer wait for it (the page's state is still the old view).
  function drillUrl(inst, pcode) {
    const d = pcode && inst.values && inst.values.drill;
    if (!d || !inst.index.has(pcode)) { return null; }
    return d.path + "?" + new URLSearchParams(Object.assign({}, d.params, {area: pcode}));
  }

  function pointAt(inst, pcode) {
    if (inst.pointed === pcode) { return; }
    inst.pointed = pcode;
    clearTimeout(inst.pointTimer);
    const url = drillUrl(inst, pcode);
    if (!url || inst.drills.has(url)) { return; }
    inst.pointTimer = setTimeout(function () {
      if (inst.pointed === pcode) { fetchDrill(inst, url); }
    }, POINT_MS);
  }

  async function fetchDrill(inst, url) {
    inst.drills.set(url, null);  // on its way
    const data = await getJson(url);
    if (!data || !data.spec || !data.values || data.values.geometry !== data.spec.geometry) {
      inst.drills.delete(url);  // refused or failing: the click still has the server
      return;
    }
    inst.drills.set(url, data);
    while (inst.drills.size > DRILLS_KEPT) { inst.drills.delete(inst.drills.keys().next().value); }
    const geometry = data.spec.geometry;
    if (inst.styleReady && !inst.map.getSource(geometry)) {
      addGeometry(inst, geometry, data.spec.ids.length > 2000, "none", data.spec.vector);
      inst.order = [geometry].concat(inst.order || []);  // the first to be forgotten
      forgetGeometries(inst, CACHED_GEOMETRIES + DRILLS_KEPT);
    }
    inst.frame.dataset.mapDrillAhead = data.values.key;
    emit(inst, "map-drill-ahead", {key: data.values.key});
  }

  function showDrillAhead(inst, data) {
    update(inst, data.spec, data.values, false);
    if (data.values.legend) { drawAheadLegend(inst, data.values.legend); }
    inst.frame.dataset.ahead = data.values.key;
    inst.drillShown = true;
  }

  function setPoints(inst, points) {
    const map = inst.map;
    const data = points || {type: "FeatureCollection", features: []};
    if (!map.getSource("points")) {
      map.addSource("points", {type: "geojson", data: data});
      map.addLayer({id: "points", type: "circle", source: "points", paint: {
        "circle-color": ["coalesce", ["get", "color"], "#0072B2"],
        "circle-radius": ["interpolate", ["linear"], ["zoom"],
                          5, ["*", ["coalesce", ["get", "size"], 1], 2.5],
                          10, ["*", ["coalesce", ["get", "size"], 1], 6]],
        "circle-stroke-color": "#ffffff", "circle-stroke-width": 0.8}});
    } else {
      map.getSource("points").setData(data);
    }
  }

  // ── values: feature-state only ────────────────────────────────────────────
  function applyValues(inst, spec, values) {
    const map = inst.map;
    const src = spec.geometry;
    const ids = spec.ids;
    const seen = new Set();
    for (let i = 0; i < ids.length; i++) {
      const c = values.c[i];
      const fill = c === null || c === undefined ? NO_VALUE
        : (c === -2 ? values.suppressed_color : c < 0 ? values.few_color : values.colors[c]);
      map.setFeatureState(target(inst, src, ids[i]),
                          {c: c === undefined ? null : c, fill: fill,
                           sel: ids[i] === values.sel, focus: i === inst.focus});
      seen.add(ids[i]);
    }
    for (const old of inst.stated) {  // areas no longer in the view lose their colour
      if (!seen.has(old)) { map.removeFeatureState(target(inst, src, old)); }
    }
    inst.stated = seen;
    inst.selected = values.sel || null;
    inst.frame.dataset.selected = inst.selected || "";
    drawOutline(inst);
    inst.pending = values.key || String(Date.now());
    map.triggerRepaint();
  }

  function afterRender(inst) {
    if (!inst.pending || !inst.geometry) { return; }
    const map = inst.map;
    if (!map.isSourceLoaded(inst.geometry) || !map.areTilesLoaded()) { return; }
    if (inst.villageTiles && !map.isSourceLoaded(VILLAGES)) { return; }
    const key = inst.pending;
    inst.pending = null;
    inst.paint += 1;
    const f = inst.frame;
    f.dataset.mapPaint = String(inst.paint);
    f.dataset.mapValues = key;
    f.dataset.mapGeometry = inst.geometry;
    f.dataset.mapAreas = String(inst.spec.ids.length);
    // dispatched inside MapLibre's render: a listener may read the canvas' pixels
    // (gl.readPixels) before the frame is composited
    emit(inst, "map-painted", {paint: inst.paint, key: key, geometry: inst.geometry});
    if (!inst.ready) {
      performance.mark("chipao-map:painted");
      inst.ready = true;
      f.dataset.mapReady = "1";
      emit(inst, "map-ready", {geometry: inst.geometry});
      markPainted(inst.id);
    }
    schedulePrintImage(inst.frame);
    placeLabels(inst);
    if (!f.dataset.ahead) { fetchAhead(inst); }
  }

  // ── views fetched ahead (values.ahead, pages/map_ahead.py) ────────────────
  // After a paint of the server's values the component fetches, one at a time, the
  // views their `ahead` names (the other dimensions and measures); when the user
  // chooses one (chipao_maplibre.ahead, a clientside callback of the control) it is
  // drawn at once, legend included, and the server's answer replaces it when it comes.
  function aheadUrls(values) {
    const urls = [];
    for (const control of Object.keys(values.ahead || {})) {
      for (const value of Object.keys(values.ahead[control])) {
        urls.push(values.ahead[control][value]);
      }
    }
    return urls;
  }

  async function fetchAhead(inst) {
    const values = inst.values;
    if (!values || !values.ahead) { return; }
    const urls = aheadUrls(values);
    const keep = new Set(urls);
    for (const url of Array.from(inst.ahead.keys())) {
      if (!keep.has(url)) { inst.ahead.delete(url); }
    }
    const run = ++inst.aheadRun;
    for (const url of urls) {
      if (run !== inst.aheadRun || inst.values !== values) { return; }  // a newer view
      if (inst.ahead.has(url)) { continue; }
      const data = await getJson(url);
      if (data === null) { return; }  // refused or failing: every switch still has the server
      if (data.geometry === values.geometry) { inst.ahead.set(url, data); }
    }
    if (run === inst.aheadRun) {
      inst.frame.dataset.mapAhead = String(inst.ahead.size);
      inst.frame.dataset.mapAheadKey = values.key;
      emit(inst, "map-ahead", {count: inst.ahead.size, key: values.key});
    }
  }

  function drawAheadLegend(inst, legend) {
    const box = inst.aheadLegend;
    if (!box) { return; }
    const div = function (cls, text) {
      const el = document.createElement("div");
      el.className = cls;
      if (text !== undefined) { el.textContent = text; }
      return el;
    };
    const root = div("map-legend");
    root.appendChild(div("legend-title", legend.title));
    for (const row of legend.rows) {
      const line = div("legend-row");
      const swatch = document.createElement("span");
      swatch.className = ("legend-swatch " + (row.swatch || "")).trim();
      if (row.color) { swatch.style.background = row.color; }
      const text = document.createElement("span");
      text.textContent = row.text;
      line.append(swatch, text);
      root.appendChild(line);
    }
    if (legend.note) { root.appendChild(div("legend-note", legend.note)); }
    box.replaceChildren(root);
    box.hidden = false;
  }

  function showAhead(inst, data) {
    inst.values = data;
    applyValues(inst, inst.spec, data);
    if (data.legend) { drawAheadLegend(inst, data.legend); }
    inst.frame.dataset.ahead = data.key;
  }

  function clearAhead(inst) {
    inst.drillShown = false;
    if (!inst.frame.dataset.ahead) { return; }
    delete inst.frame.dataset.ahead;
    if (inst.aheadLegend) { inst.aheadLegend.hidden = true; inst.aheadLegend.replaceChildren(); }
  }

  // draws the view of `control` = `value` if it was fetched ahead; false if not
  function drawAhead(inst, control, value) {
    const url = (inst.values.ahead[control] || {})[String(value)];
    const data = url && inst.ahead.get(url);
    if (!data || data.key === inst.values.key || data.geometry !== inst.spec.geometry) {
      return false;
    }
    showAhead(inst, data);
    return true;
  }

  // The shell's round selector (assets/20-chipao.js says when one is chosen): a new
  // round is a new address, and Dash holds the page's callbacks until its pages router
  // has answered for it, so the map hears of the choice from this event, not Dash.
  document.addEventListener("chipao:round-chosen", function (e) {
    for (const id of Object.keys(maps)) {
      const inst = maps[id]._inst;
      if (inst && inst.values && inst.values.ahead && inst.spec) {
        drawAhead(inst, ROUND_CONTROL, e.detail.value);
      }
    }
  });

  function ahead() {
    const nu = window.dash_clientside.no_update;
    const storeId = arguments[arguments.length - 1];
    const ctx = window.dash_clientside.callback_context;
    const trig = ctx && ctx.triggered && ctx.triggered[0];
    const inst = storeId && maps[storeId.map] && maps[storeId.map]._inst;
    if (!trig || !inst || !inst.values || !inst.values.ahead || !inst.spec) { return nu; }
    const control = trig.prop_id.slice(0, trig.prop_id.lastIndexOf("."));
    if (!drawAhead(inst, control, trig.value)) { fetchNow(inst, control, trig.value); }
    return nu;
  }

  // A value typed into an on-demand text field (the cut-off k) is fetched once it has
  // rested TYPED_MS, before the Enter that chooses it: a person takes longer than the
  // request between the last key and Enter, so the chosen view is drawn at once.
  document.addEventListener("input", function (e) {
    const field = e.target;
    if (!(field instanceof HTMLInputElement) || !field.id) { return; }
    for (const id of Object.keys(maps)) {
      const inst = maps[id]._inst;
      const links = inst && inst.values && inst.values.on_demand;
      if (!links || !links[field.id]) { continue; }
      clearTimeout(inst.typedTimer);
      if (field.value === "" || !field.validity.valid) { continue; }
      const value = field.type === "number" ? String(Number(field.value)) : field.value;
      inst.typedTimer = setTimeout(function () {
        const url = onDemandUrl(inst, field.id, value);
        if (url) { getOnce(inst, url); }
      }, TYPED_MS);
    }
  }, true);

  // A control whose choices are too many to fetch ahead (values.on_demand: the cut-off
  // k, the classes): the view chosen is fetched now, beside the page's own callback,
  // and drawn if it comes first (that answer does ~20 outputs' worth of work more).
  // The on-demand view of `value` for `control`, or null (none, or the one shown).
  function onDemandUrl(inst, control, value) {
    const values = inst.values;
    const link = values && values.on_demand && values.on_demand[control];
    if (!link || value === null || value === undefined || value === "") { return null; }
    if (new URLSearchParams(values.key).get(link.param) === String(value)) { return null; }
    const url = new URL(link.url, window.location.href);
    url.searchParams.set(link.param, String(value));
    return url.pathname + url.search;
  }

  // one request per on-demand URL until the page answers (typing may have sent it)
  function getOnce(inst, url) {
    return getJsonOnce(inst.nowFetches, url, TYPED_KEPT);
  }

  async function fetchNow(inst, control, value) {
    const url = onDemandUrl(inst, control, value);
    if (!url) { return; }
    const run = ++inst.nowRun;
    const data = await getOnce(inst, url);
    if (!data) { return; }  // refused or failing: the page's answer still comes
    // drawn only if nothing newer came meanwhile (the page's answer, another choice)
    const fresh = run === inst.nowRun && data.key !== inst.values.key && inst.spec &&
                  data.geometry === inst.spec.geometry;
    if (fresh) { showAhead(inst, data); }
    inst.frame.dataset.mapNow = (fresh ? "drawn " : "late ") + data.key;
  }

  // `fromPage`: the page's own spec and values (else a view drawn ahead of them)
  function update(inst, spec, values, fromPage) {
    if (!inst.styleReady) { inst.queued = [spec, values]; return; }
    const picked = fromPage ? inst.queuedPick : null;
    if (!inst.spec || inst.spec.geometry !== spec.geometry || inst.spec !== spec) {
      if (!inst.spec || inst.spec.geometry !== spec.geometry) {
        inst.focus = -1;
        showGeometry(inst, spec);
      }
      inst.spec = spec;
      inst.index = new Map(spec.ids.map(function (p, i) { return [p, i]; }));
      setPoints(inst, spec.points);
      inst.frame.dataset.mapLevel = String(spec.level || "");
    }
    if (values && values.geometry === spec.geometry && values !== inst.values) {
      if (fromPage) {  // the server's answer replaces a view drawn ahead
        clearAhead(inst);
        inst.queuedPick = null;
        inst.nowRun += 1;  // a view fetched on demand is late now
        inst.nowFetches.clear();
      }
      inst.values = values;
      setVillages(inst, spec, values);
      applyValues(inst, spec, values);
    }
    if (picked && !inst.drillShown) { toDash(inst, picked[0], picked[1]); }
  }

  // ── the village level: points from vector tiles (geodata/village_tiles.py) ──
  // Each tile carries a village's code (vid) and class index (c), computed by the server
  // with the legend's class breaks (in the tile URL); the colour follows c.
  function setVillages(inst, spec, values) {
    const map = inst.map;
    const v = spec.villages && values.villages;
    const tiles = v ? v.tiles : null;
    const had = Boolean(inst.villageTiles);
    if (tiles !== inst.villageTiles) {
      if (map.getLayer(VILLAGES)) { map.removeLayer(VILLAGES); }
      if (map.getSource(VILLAGES)) { map.removeSource(VILLAGES); }
      inst.villageTiles = tiles;
      if (tiles) {
        const url = tiles.charAt(0) === "/" ? window.location.origin + tiles : tiles;
        map.addSource(VILLAGES, {type: "vector", tiles: [url], maxzoom: 14,
                                 promoteId: {villages: "vid"}, attribution: ""});
        const color = ["match", ["coalesce", ["get", "c"], -99],
                       -1, values.few_color, -2, values.suppressed_color];
        values.colors.forEach(function (c, i) { color.push(i, c); });
        color.push(NO_VALUE);
        map.addLayer({id: VILLAGES, type: "circle", source: VILLAGES, "source-layer": VILLAGES,
                      paint: {"circle-color": color,
                              "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 4, 14, 9],
                              "circle-stroke-color": "#212529", "circle-stroke-width": 1}});
      }
    }
    inst.villageIndex = new Map(v ? spec.villages.ids.map(function (p, i) { return [p, i]; })
                                  : []);
    // the geometry may stay (a district's tambons): frame the villages' area, and back
    if ((v ? !had || inst.villageSpec !== spec : had) && spec.bounds) {
      map.fitBounds(spec.bounds, {padding: 12, animate: false});
    }
    inst.villageSpec = v ? spec : null;
  }

  function villageAt(inst, point) {
    if (!inst.villageTiles || !inst.map.getLayer(VILLAGES)) { return null; }
    const hit = inst.map.queryRenderedFeatures(point, {layers: [VILLAGES]})[0];
    return hit ? String(hit.properties.vid) : null;
  }

  function villageLines(inst, vid) {
    const i = inst.villageIndex.get(vid);
    const v = (inst.values && inst.values.villages) || {};
    if (i === undefined) { return [vid]; }
    const few = inst.values.few_note && v.c[i] === -1 ? " (" + inst.values.few_note + ")" : "";
    const lines = [inst.spec.villages.names[i] || vid,
                   (inst.values.label || inst.spec.measure) + ": " + (v.t[i] || "–") + few];
    lines.push(inst.spec.rank + ": " + (v.r[i] ? v.r[i] + "/" + v.ranked : "–")
               + (inst.values.rank_note ? " (" + inst.values.rank_note + ")" : ""));
    return lines;
  }

  // ── hover tooltip and keyboard focus ──────────────────────────────────────
  function areaText(inst, pcode) {
    const i = inst.index.get(pcode);
    const v = inst.values || {};
    const name = nameOf(inst, pcode);
    const lines = [name];
    if (i !== undefined && v.t && (v.label || inst.spec.measure)) {
      // "too few households" is said once per view (few_note), not in every area's text
      const few = v.few_note && v.c && v.c[i] === -1 ? " (" + v.few_note + ")" : "";
      lines.push((v.label || inst.spec.measure) + ": " + (v.t[i] || "–") + few);
      if (v.m && v.m[i]) { lines.push(...String(v.m[i]).split("\n")); }
      if (v.r) {
        lines.push(inst.spec.rank + ": " + (v.r[i] ? v.r[i] + "/" + v.ranked : "–")
                   + (v.rank_note ? " (" + v.rank_note + ")" : ""));
      }
    }
    return lines;
  }

  function nameOf(inst, pcode) {
    const names = inst.spec.names;
    const i = inst.index.get(pcode);
    if (names && i !== undefined && names[i]) { return names[i]; }
    const lp = inst.labelPoints.get(pcode);
    return lp ? lp.name : pcode;
  }

  function showTooltip(inst, pcode, point) {
    showLines(inst, areaText(inst, pcode), point, pcode);
  }

  function showLines(inst, lines, point, pcode) {
    const tip = inst.tooltip;
    tip.replaceChildren();
    lines.forEach(function (line, n) {
      const div = document.createElement("div");
      div.textContent = line;
      if (n === 0) { div.className = "chipao-map-tooltip-name"; }
      tip.appendChild(div);
    });
    tip.dataset.pcode = pcode;
    tip.hidden = false;
    const w = inst.el.clientWidth;
    tip.style.left = Math.min(point.x + 12, Math.max(0, w - tip.offsetWidth - 4)) + "px";
    tip.style.top = Math.max(0, point.y - tip.offsetHeight - 12) + "px";
  }

  function hideTooltip(inst) {
    inst.tooltip.hidden = true;
    inst.tooltip.dataset.pcode = "";
  }

  function setFocus(inst, i) {
    const ids = inst.spec ? inst.spec.ids : [];
    if (!ids.length) { return; }
    const map = inst.map;
    if (inst.focus >= 0 && inst.focus < ids.length) {
      map.setFeatureState(target(inst, inst.geometry, ids[inst.focus]), {focus: false});
    }
    inst.focus = ((i % ids.length) + ids.length) % ids.length;
    const pcode = ids[inst.focus];
    map.setFeatureState(target(inst, inst.geometry, pcode), {focus: true});
    inst.frame.dataset.focused = pcode;
    drawOutline(inst);
    pointAt(inst, pcode);
    const lines = areaText(inst, pcode);
    inst.live.textContent = lines.join(", ");
    const lp = inst.labelPoints.get(pcode);
    if (lp) {
      if (!map.getBounds().contains(lp.at)) { map.panTo(lp.at, {animate: false}); }
      showTooltip(inst, pcode, map.project(lp.at));
    }
  }

  function onKey(inst, e) {
    if (e.target !== inst.map.getCanvas()) { return; }
    if (e.key === "]" || e.key === "PageDown") {
      setFocus(inst, inst.focus + 1); e.preventDefault();
    } else if (e.key === "[" || e.key === "PageUp") {
      setFocus(inst, inst.focus < 0 ? -1 : inst.focus - 1); e.preventDefault();
    } else if (e.key === "Enter" && inst.focus >= 0) {
      toDash(inst, "key", inst.spec.ids[inst.focus]); e.preventDefault();
    } else if (e.key === "Escape") {
      if (inst.focus >= 0) {
        inst.map.setFeatureState(target(inst, inst.geometry, inst.spec.ids[inst.focus]),
                                 {focus: false});
      }
      inst.focus = -1; inst.frame.dataset.focused = ""; hideTooltip(inst);
      drawOutline(inst);
    }
  }

  // ── HTML labels (Thai shaped by the browser, Sarabun from assets/fonts) ───
  // From the spec's labels file (names and label points by P-code) where it has one,
  // else from the GeoJSON features' properties.
  async function loadLabels(inst, geometry, url) {
    const data = await getJsonOnce(inst.labelFiles, url, CACHED_GEOMETRIES);
    if (!data || inst.geometry !== geometry || inst.labelsUrl !== url) { return; }
    const th = (inst.spec && inst.spec.lang) !== "en";
    const names = th ? data.th : data.en;
    data.ids.forEach(function (pcode, i) {
      inst.labelPoints.set(pcode, {at: data.at[i], name: names[i]});
    });
    placeLabels(inst);
  }

  function collectLabels(inst) {
    if (!inst.geometry || inst.labelsUrl) { return; }
    const th = (inst.spec && inst.spec.lang) !== "en";
    for (const f of inst.map.querySourceFeatures(inst.geometry)) {
      const p = f.properties;
      if (!inst.labelPoints.has(p.pcode) && p.lx !== undefined) {
        inst.labelPoints.set(p.pcode, {at: [p.lx, p.ly], name: th ? p.name_th : p.name_en});
      }
    }
    placeLabels(inst);
  }

  function placeLabels(inst) {
    const box = inst.labels;
    if (!inst.spec || !inst.labelPoints.size) { return; }
    const map = inst.map;
    const bounds = map.getBounds();
    const inView = inst.spec.ids.filter(function (p) {
      const lp = inst.labelPoints.get(p);
      return lp && bounds.contains(lp.at);
    });
    box.replaceChildren();
    inst.labelled = new Map();
    if (inView.length > MAX_LABELS) { return; }
    const placed = [];
    for (const pcode of inView) {
      const lp = inst.labelPoints.get(pcode);
      const span = document.createElement("span");
      span.className = "chipao-map-label";
      span.textContent = nameOf(inst, pcode);
      span.dataset.pcode = pcode;
      span.addEventListener("click", function () { toDash(inst, "label", pcode); });
      span.addEventListener("mouseenter", function () {
        pointAt(inst, pcode);
        showTooltip(inst, pcode, map.project(lp.at));
      });
      span.addEventListener("mouseleave", function () { hideTooltip(inst); });
      box.appendChild(span);
      const at = map.project(lp.at);
      const w = span.offsetWidth, h = span.offsetHeight;
      const r = [at.x - w / 2, at.y - h / 2, at.x + w / 2, at.y + h / 2];
      if (placed.some(function (q) {
        return r[0] < q[2] && q[0] < r[2] && r[1] < q[3] && q[1] < r[3];
      })) { box.removeChild(span); continue; }
      placed.push(r);
      span.style.transform = "translate(" + r[0] + "px," + r[1] + "px)";
      inst.labelled.set(pcode, {span: span, at: lp.at, w: w, h: h});
    }
  }

  function moveLabels(inst) {
    for (const item of inst.labelled.values()) {
      const at = inst.map.project(item.at);
      item.span.style.transform =
        "translate(" + (at.x - item.w / 2) + "px," + (at.y - item.h / 2) + "px)";
    }
  }

  // ── the public reader (tests, other scripts) ──────────────────────────────
  function api(inst) {
    return {
      map: inst.map,
      get paint() { return inst.paint; },
      get ready() { return inst.ready; },
      featureState: function (pcode) {
        if (!inst.geometry) { return null; }
        return inst.map.getFeatureState(target(inst, inst.geometry, pcode));
      },
      areas: function () { return inst.spec ? inst.spec.ids.slice() : []; },
      values: function () { return inst.values; },
      points: function () {
        const pts = inst.spec && inst.spec.points;
        return pts ? pts.features.map(function (f) { return f.properties; }) : [];
      },
      labels: function () { return Array.from(inst.labelled.keys()); },
      // the village points drawn now: [{vid, c}] (c: the class index the tile carries)
      villages: function () {
        if (!inst.villageTiles || !inst.map.getLayer(VILLAGES)) { return []; }
        const seen = new Map();
        for (const f of inst.map.queryRenderedFeatures({layers: [VILLAGES]})) {
          const p = f.properties;
          seen.set(String(p.vid), {vid: String(p.vid), c: p.c === undefined ? null : p.c});
        }
        return Array.from(seen.values()).sort(function (a, b) {
          return a.vid < b.vid ? -1 : 1;
        });
      },
      // the page's values of every village of the view: [{vid, c, t, r}]
      villageValues: function () {
        const spec = inst.spec && inst.spec.villages;
        const v = inst.values && inst.values.villages;
        if (!spec || !v) { return []; }
        return spec.ids.map(function (vid, i) {
          return {vid: vid, c: v.c[i], t: v.t[i], r: v.r[i]};
        });
      },
      focusArea: function (pcode) {
        const i = inst.index.get(pcode);
        if (i !== undefined) { setFocus(inst, i); }
      },
      select: function (pcode) { if (inst.index.has(pcode)) { toDash(inst, "api", pcode); } },
      snapshot: function () {  // a PNG of the current frame (print, export)
        return new Promise(function (resolve) {
          inst.map.once("render", function () {
            resolve(inst.map.getCanvas().toDataURL("image/png"));
          });
          inst.map.triggerRepaint();
        });
      },
    };
  }

  // what the page mounts after the map's first frame (components.map_view.after_first_paint)
  function markPainted(id) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props({chipao_map: "painted", map: id}, {data: true});
    }
  }

  function afterPaint(content, painted) {
    return painted ? content : window.dash_clientside.no_update;
  }

  function render(spec, values, _mounted, storeId) {
    const nu = window.dash_clientside.no_update;
    if (!spec && storeId && maps[storeId.map]) {  // the page shows a message instead
      const shown = maps[storeId.map]._inst;
      clearAhead(shown);
      shown.queuedPick = null;
    }
    if (!spec || !storeId || !window.maplibregl) { return nu; }
    const id = storeId.map;
    const el = document.getElementById(id);
    if (!el) { return nu; }
    let inst = maps[id] && maps[id]._inst;
    if (inst && inst.el !== el) {  // the page was drawn again: start afresh
      inst.map.remove();
      inst = null;
    }
    if (!inst) {
      try {
        inst = create(id, el, spec);
      } catch (err) {  // no WebGL, say: what waits for the first frame is shown anyway
        markPainted(id);
        schedulePrintImage(el.closest(".chipao-map"));
        throw err;
      }
      maps[id] = api(inst);
      maps[id]._inst = inst;
    }
    update(inst, spec, values, true);
    return nu;
  }

  // ── the print image: the server's static picture of the view (data-print-src) ──
  // Rendering it costs the server 0.3–1 s, so it is loaded only once the map has painted
  // and stayed PRINT_MS: loaded with every view, it competed with that view's tiles and
  // geometry (a district's villages waited for it), and flipping through views had a
  // picture of each rendered. Pages set it with window.chipaoMapPrintImage.
  function loadPrintImage(img) {
    clearTimeout(img.printTimer);
    const src = img.dataset.printSrc;
    if (src && img.getAttribute("src") !== src) { img.setAttribute("src", src); }
  }

  function schedulePrintImage(frame) {
    const img = frame && frame.querySelector(".chipao-map-print");
    if (!img || !img.dataset.printSrc) { return; }
    clearTimeout(img.printTimer);
    img.printTimer = setTimeout(function () { loadPrintImage(img); }, PRINT_MS);
  }

  window.chipaoMapPrintImage = function (img, src) {
    img.dataset.static = "1";
    img.dataset.printSrc = src;
    const frame = img.closest(".chipao-map");
    const inst = Object.values(maps).map(function (m) { return m._inst; })
      .find(function (i) { return i && i.frame === frame; });
    // else a paint still to come schedules it (afterRender), or the map's failure to start
    if (inst && inst.ready && !inst.pending) { schedulePrintImage(frame); }
  };

  // the server's picture of the view drawn, loaded
  function printImageReady(img) {
    return !!img.dataset.printSrc && img.getAttribute("src") === img.dataset.printSrc &&
           img.complete && img.naturalWidth > 0;
  }

  // print: the server's picture of the view when it has loaded; else (the page has none,
  // or the view is newer than PRINT_MS and its picture not loaded yet) a snapshot of the
  // canvas, taken now: a print never shows an empty frame or an earlier view
  window.addEventListener("beforeprint", function () {
    for (const id of Object.keys(maps)) {
      const inst = maps[id]._inst;
      const img = inst && inst.ready && inst.frame.querySelector(".chipao-map-print");
      if (!img || printImageReady(img)) { continue; }
      inst.map.redraw();  // a synchronous redraw keeps the buffer readable
      img.src = inst.map.getCanvas().toDataURL("image/png");
    }
  });
  // and the next print has the server's picture again
  window.addEventListener("afterprint", function () {
    document.querySelectorAll(".chipao-map-print[data-print-src]").forEach(loadPrintImage);
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    chipao_maplibre: {render: render, ahead: ahead, afterPaint: afterPaint},
  });
})();
