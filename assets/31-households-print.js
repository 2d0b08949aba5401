/* Printing the household list (Ctrl+P, or a print-media PDF). AG Grid draws only the
   rows and columns in view, and its absolutely placed rows neither flow nor break across
   pages, so the print shows instead a plain table (#hh-print-table, hidden on screen:
   30-households.css) of the rows the grid has loaded, in the grid's columns and order,
   with a line saying how many of how many (the whole list is the CSV/XLSX export).
   Built with textContent only: no cell is ever parsed as HTML. */
(function () {
  function cellText(data, field) {
    if (field === "house_id") { return String(data.house_id_raw || ""); }  // the link's text
    const value = data[field];
    return value === null || value === undefined ? "" : String(value);
  }

  function build() {
    const box = document.getElementById("hh-print-table");
    const api = box && window.dash_ag_grid && window.dash_ag_grid.getApi("hh-grid");
    if (!api) { return; }
    const columns = api.getAllDisplayedColumns().map(function (c) { return c.getColDef(); });
    const rows = [];
    api.forEachNode(function (node) { if (node.data) { rows.push(node.data); } });
    const table = document.createElement("table");
    table.className = "hh-print-rows";
    const head = table.createTHead().insertRow();
    for (const col of columns) {
      const th = document.createElement("th");
      th.textContent = col.headerName || col.field;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const data of rows) {
      const tr = body.insertRow();
      for (const col of columns) { tr.insertCell().textContent = cellText(data, col.field); }
    }
    // an empty foot repeated on every printed page keeps the rows clear of the page stamp
    const foot = table.createTFoot().insertRow().insertCell();
    foot.colSpan = columns.length;
    foot.className = "hh-print-foot";
    const note = document.createElement("div");
    note.className = "hh-print-note figure-note";
    note.textContent = (box.dataset.note || "")
      .replace("{n}", rows.length.toLocaleString("en-US"))
      .replace("{total}", api.getDisplayedRowCount().toLocaleString("en-US"));
    box.replaceChildren(note, table);
    box.dataset.rows = String(rows.length);
  }

  window.addEventListener("beforeprint", build);
  const print = window.matchMedia("print");  // a headless PDF changes the media, no event
  if (print.addEventListener) {
    print.addEventListener("change", function (e) { if (e.matches) { build(); } });
  }
})();
