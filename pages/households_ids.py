"""Component ids of /households (pages/households.py)."""

from __future__ import annotations

PREFIX = "hh-"

REFUSED = "hh-refused"  # the message a refused request gets
PICK = "hh-pick-"  # + an area's P-code: its link in the area picker
PICKER = "hh-picker"
QUERY = "hh-query"  # dcc.Store: the list's URL parameters (re-validated on every call)
LOCATION = "hh-location"
Q = "hh-q"  # search box
SEARCH = "hh-search"
AREA_NAME = "hh-area-name"
EXPORT_CSV = "hh-export-csv"
EXPORT_XLSX = "hh-export-xlsx"
EXPORT_MSG = "hh-export-msg"
DOWNLOAD = "hh-download"
RESET = "hh-reset"
FILTERS = "hh-filters"
COUNT = "hh-count"
MESSAGE = "hh-message"
GRID = "hh-grid"
PAGE = "hh-page"  # the list page (print and presentation rules: assets/55-downloads.css)
PRESENT = "hh-present"  # the presentation-mode link
PRINT_TABLE = "hh-print-table"  # the loaded rows as a plain table, for print (31-households.js)
PRINT_STAMP = "hh-print-stamp"  # the foot line of every printed page
PAGING_LIMIT = "hh-paging-limit"
# the filter drop-downs, one a list parameter
VILLAGE = "hh-village"
DIM = "hh-dim"
IND = "hh-ind"
DIMS = "hh-dims"
K = "hh-k"
PLAN = "hh-plan"
VISITED = "hh-visited"
WELFARE = "hh-welfare"
